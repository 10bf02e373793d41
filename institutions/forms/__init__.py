"""The forms of the institutions app, one module per part: ``registry`` and ``accounts``."""
from .accounts import (
    AccountCreateForm,
    AccountFilterForm,
    InstitutionAdminBulkForm,
    QueuedPasswordResetForm,
)
from .registry import (
    InstitutionFilterForm,
    InstitutionForm,
    InstitutionStatusForm,
    RegistryImportForm,
)

__all__ = [
    "AccountCreateForm",
    "AccountFilterForm",
    "InstitutionAdminBulkForm",
    "InstitutionFilterForm",
    "InstitutionForm",
    "InstitutionStatusForm",
    "QueuedPasswordResetForm",
    "RegistryImportForm",
]

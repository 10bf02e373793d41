"""The forms of the institutions app, one module per part (``registry`` for now)."""
from .registry import (
    InstitutionFilterForm,
    InstitutionForm,
    InstitutionStatusForm,
    RegistryImportForm,
)

__all__ = [
    "InstitutionFilterForm",
    "InstitutionForm",
    "InstitutionStatusForm",
    "RegistryImportForm",
]

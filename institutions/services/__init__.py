"""Every write of the institutions app, one module per part: ``registry`` (institutions and
their filing status) and ``accounts`` (who may log in, and as what). Services take keyword-only
arguments, run in a transaction, validate with ``full_clean()`` and raise ``DomainError`` with a
readable sentence."""
from .accounts import (
    BulkCreateResult,
    account_create,
    account_deactivate,
    account_password_reset,
    account_reactivate,
    account_unlock,
    institution_admins_bulk_create,
    user_create,
)
from .registry import (
    INSTITUTION_EDITABLE_FIELDS,
    STATUS_TRANSITIONS,
    institution_change_status,
    institution_create,
    institution_update,
)

__all__ = [
    "INSTITUTION_EDITABLE_FIELDS",
    "STATUS_TRANSITIONS",
    "BulkCreateResult",
    "account_create",
    "account_deactivate",
    "account_password_reset",
    "account_reactivate",
    "account_unlock",
    "institution_admins_bulk_create",
    "institution_change_status",
    "institution_create",
    "institution_update",
    "user_create",
]

"""Every write of the institutions app, one module per part (``registry`` for now). Services
take keyword-only arguments, run in a transaction, validate with ``full_clean()`` and raise
``DomainError`` with a readable sentence."""
from .registry import (
    INSTITUTION_EDITABLE_FIELDS,
    STATUS_TRANSITIONS,
    institution_change_status,
    institution_create,
    institution_update,
    user_create,
)

__all__ = [
    "INSTITUTION_EDITABLE_FIELDS",
    "STATUS_TRANSITIONS",
    "institution_change_status",
    "institution_create",
    "institution_update",
    "user_create",
]

"""The registry (Art 2, 3, 15) in ``registry``: districts, industry clusters, filed
institutions, accounts, notifications, the outbox; beside it the city's expert pool (R6a) in
``pool``."""
from .pool import Expert, ExpertEmployment
from .registry import (
    AuditScope,
    Cluster,
    District,
    Institution,
    InstitutionStatusChange,
    Notification,
    OutboxMessage,
    User,
)

__all__ = [
    "AuditScope", "Cluster", "District", "Expert", "ExpertEmployment", "Institution",
    "InstitutionStatusChange", "Notification", "OutboxMessage", "User",
]

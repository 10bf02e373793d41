"""Audit trail: who created, changed or deleted which registry row, before → after
(django-auditlog; the actor comes from AuditlogMiddleware or ``auditlog.context.set_actor``)."""
from auditlog.registry import auditlog

from .models import Cluster, District, Institution, InstitutionStatusChange, User

auditlog.register(District)
auditlog.register(Cluster)
auditlog.register(Institution)
auditlog.register(InstitutionStatusChange)
auditlog.register(
    User,
    exclude_fields=["password", "last_login"],
)

from auditlog.registry import auditlog

from .models import Cycle, PolicyVersion

auditlog.register(PolicyVersion)
auditlog.register(Cycle)

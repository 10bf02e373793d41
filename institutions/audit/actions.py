"""The actions of the trail in the users' words: auditlog's create / update / delete, a change of a
status field told apart from other changes, the login events and the account actions that change
no recorded field (``auth``)."""
from __future__ import annotations

from auditlog.models import LogEntry
from django.db import models
from django.db.models import Q
from django.utils.translation import pgettext_lazy

from . import auth

# The field whose change makes an update a change of status (every status model names it so).
STATUS_FIELD = "status"


class AuditAction(models.TextChoices):
    CREATE = "create", pgettext_lazy("audit action", "Created")
    UPDATE = "update", pgettext_lazy("audit action", "Changed")
    DELETE = "delete", pgettext_lazy("audit action", "Deleted")
    STATUS = "status", pgettext_lazy("audit action", "Status changed")
    LOGIN = auth.LOGIN, pgettext_lazy("audit action", "Logged in")
    LOGIN_FAILED = auth.LOGIN_FAILED, pgettext_lazy("audit action", "Login failed")
    LOCKED_OUT = auth.LOCKED_OUT, pgettext_lazy("audit action", "Account locked")
    PASSWORD_RESET = auth.PASSWORD_RESET, pgettext_lazy("audit action", "Password reset")
    UNLOCK = auth.UNLOCK, pgettext_lazy("audit action", "Account unlocked")


# The Bootstrap colour of each action's badge.
ACTION_TONES = {
    AuditAction.CREATE: "success", AuditAction.UPDATE: "primary", AuditAction.DELETE: "danger",
    AuditAction.STATUS: "warning", AuditAction.LOGIN: "secondary",
    AuditAction.LOGIN_FAILED: "warning", AuditAction.LOCKED_OUT: "danger",
    AuditAction.PASSWORD_RESET: "info", AuditAction.UNLOCK: "info",
}

_BY_ACTION = {LogEntry.Action.CREATE: AuditAction.CREATE, LogEntry.Action.DELETE:
              AuditAction.DELETE}


def entry_action(entry: LogEntry) -> AuditAction:
    """What ``entry`` records, as the trail names it."""
    if entry.action == LogEntry.Action.ACCESS:
        event = (entry.additional_data or {}).get("event")
        return AuditAction(event) if event in auth.EVENTS else AuditAction.LOGIN
    if entry.action == LogEntry.Action.UPDATE:
        account_action = (entry.additional_data or {}).get(auth.ACCOUNT_ACTION_KEY)
        if account_action in auth.ACCOUNT_EVENTS:
            return AuditAction(account_action)
        return AuditAction.STATUS if STATUS_FIELD in (entry.changes or {}) \
            else AuditAction.UPDATE
    return _BY_ACTION.get(entry.action, AuditAction.UPDATE)


def action_q(action: str) -> Q:
    """The entries of ``action`` (one of ``AuditAction``)."""
    if action == AuditAction.STATUS:
        return Q(action=LogEntry.Action.UPDATE, changes__has_key=STATUS_FIELD)
    if action == AuditAction.UPDATE:
        return Q(action=LogEntry.Action.UPDATE) & ~Q(changes__has_key=STATUS_FIELD) \
            & ~Q(additional_data__has_key=auth.ACCOUNT_ACTION_KEY)
    if action in auth.EVENTS:
        return Q(action=LogEntry.Action.ACCESS, additional_data__event=action)
    if action in auth.ACCOUNT_EVENTS:
        return Q(action=LogEntry.Action.UPDATE,
                 **{f"additional_data__{auth.ACCOUNT_ACTION_KEY}": action})
    return Q(action={AuditAction.CREATE: LogEntry.Action.CREATE,
                     AuditAction.DELETE: LogEntry.Action.DELETE}[action])

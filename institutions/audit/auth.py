"""Logins, failed logins and lockouts in the audit trail, and the account actions that change no
recorded field (a password reset, lifting a lockout).

Each is an entry about the account (``User``) with auditlog's ACCESS action and the event in
``additional_data``: ``{"event": "login" | "login_failed" | "locked_out", "username": …}``; a
failed attempt while the account is locked has ``"locked": true``, the lockout itself the number
of failures that caused it. The entry's actor is the person who logged in; for a failure or a
lockout nobody is known to have acted, and the entry names the account tried.

An account action is an UPDATE entry about the account, by whoever acted, with
``{"account_action": "password_reset" | "unlock", …}`` (``account_event_record``).
"""
from __future__ import annotations

from auditlog.cid import get_cid
from auditlog.models import LogEntry
from axes.helpers import get_failure_limit
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.contrib.contenttypes.models import ContentType

from ..models import User
from . import user_scope
from .registry import scope_save

LOGIN, LOGIN_FAILED, LOCKED_OUT = "login", "login_failed", "locked_out"
EVENTS = (LOGIN, LOGIN_FAILED, LOCKED_OUT)
ACCOUNT_ACTION_KEY = "account_action"
PASSWORD_RESET, UNLOCK = "password_reset", "unlock"
ACCOUNT_EVENTS = (PASSWORD_RESET, UNLOCK)
# Set on the request once its attempt is recorded: axes announces a lockout from inside the
# failed-login signal, which must then not record the same attempt a second time.
_RECORDED = "_audit_attempt_recorded"


def auth_event_record(*, event: str, username: str, user: User | None = None, request=None,
                      actor: User | None = None, **details) -> LogEntry:
    """Write the entry of one login event (``event`` one of ``EVENTS``)."""
    entry = LogEntry(
        content_type=ContentType.objects.get_for_model(User),
        object_pk=str(user.pk) if user is not None else "",
        object_id=user.pk if user is not None else None,
        object_repr=str(user) if user is not None else username,
        action=LogEntry.Action.ACCESS,
        actor=actor,
        actor_email=getattr(actor, "email", None) or None,
        remote_addr=_address(request),
        cid=get_cid(),
        additional_data={"event": event, "username": username, **details},
    )
    entry.save()
    if user is not None:
        scope_save(entry=entry, scope=user_scope(user))
    if request is not None:
        setattr(request, _RECORDED, True)
    return entry


def account_event_record(*, account: User, event: str, **details) -> LogEntry:
    """Write the entry of an account action (``event`` one of ``ACCOUNT_EVENTS``) that changes
    no recorded field, under the actor of the caller's ``acting_as``, with the account's scope
    so that its district and institution read it too."""
    entry = LogEntry.objects.log_create(account, force_log=True, action=LogEntry.Action.UPDATE,
                                        changes={}, additional_data={ACCOUNT_ACTION_KEY: event,
                                                                     **details})
    scope_save(entry=entry, scope=user_scope(account))
    return entry


def _address(request) -> str | None:
    if request is None:
        return None
    # axes has resolved the client's address behind the configured proxies.
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR") or None


def _account(username: str) -> User | None:
    if not username:
        return None
    return User.objects.filter(**{User.USERNAME_FIELD: username}) \
        .select_related("institution").first()


def on_logged_in(sender, request, user, **kwargs) -> None:
    # ``Client.force_login`` (tests, scripts) logs in with a bare request that no one sent:
    # only a sign-in through a page is someone logging in.
    if request is None or not getattr(request, "method", None):
        return
    auth_event_record(event=LOGIN, username=user.get_username(), user=user, request=request,
                      actor=user)


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    if request is not None and getattr(request, _RECORDED, False):
        return
    username = str((credentials or {}).get(User.USERNAME_FIELD) or "")[:150]
    auth_event_record(event=LOGIN_FAILED, username=username, user=_account(username),
                      request=request)


def on_locked_out(sender, request, username, ip_address=None, **kwargs) -> None:
    """axes sends this when an account is locked, and again at every attempt while it is: the
    attempt that reaches the limit locks it, the later ones are refused attempts (counted on,
    or not counted at all, as ``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT`` says)."""
    username = str(username or "")[:150]
    failures = getattr(request, "axes_failures_since_start", None)
    limit = get_failure_limit(request, getattr(request, "axes_credentials", None))
    if failures is None or failures > limit:
        auth_event_record(event=LOGIN_FAILED, username=username, user=_account(username),
                          request=request, locked=True)
    else:
        auth_event_record(event=LOCKED_OUT, username=username, user=_account(username),
                          request=request, failures=failures)


def connect() -> None:
    user_logged_in.connect(on_logged_in, dispatch_uid="institutions.audit.logged_in")
    user_login_failed.connect(on_login_failed, dispatch_uid="institutions.audit.login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="institutions.audit.locked_out")

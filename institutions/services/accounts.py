"""Every write to the accounts (domain.md): the city administrator manages every account, an
institution administrator the filers of its own institution.

Nobody types a password for someone else: a new account, and an account whose password is
reset, has no usable password until its user follows the one-time link e-mailed to them
(Django's ``PasswordResetTokenGenerator`` and the ``password_reset_confirm`` page). The link
stops working once used, after ``PASSWORD_RESET_TIMEOUT``, or once the user logs in.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from ..audit import acting_as
from ..audit.auth import account_event_record
from ..enums import INSTITUTION_ROLES, Role
from ..exceptions import DomainError
from ..models import District, Institution, User
from ..rules import account_roles_creatable, can_change_account, is_city_admin
from ..selectors import institution_admin_plan
from ..uniqueness import save_new
from .outbox import outbox_enqueue

logger = logging.getLogger(__name__)

# The e-mails, by occasion: (subject template, body template).
SET_PASSWORD_MAIL = ("registration/account_set_password_subject.txt",
                     "registration/account_set_password_email.txt")
RESET_PASSWORD_MAIL = ("registration/account_password_reset_subject.txt",
                       "registration/account_password_reset_email.txt")

# Written into the audit entry of the actions that change no audited field (the password hash
# and django-axes' attempts are not audited): the audit page names them from this key.
AUDIT_ACTION_KEY = "account_action"


def user_create(*, username: str, password: str | None, role: str, actor: User | None = None,
                **fields: Any) -> User:
    """Create an account bound to its scope (see ``User.clean``), with ``password`` or none
    usable. No e-mail: the demo data and the operators' scripts use it; the pages use
    ``account_create``."""
    user = User(username=username, role=role, **fields)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    with transaction.atomic(), acting_as(actor):
        user.save()
    return user


def account_create(*, actor: User, username: str, email: str, role: str, full_name: str = "",
                   phone: str = "", institution: Institution | None = None,
                   district: District | None = None) -> User:
    """Create an account for ``actor`` and e-mail its user a link to set the password.

    Preconditions: ``actor`` may give ``role`` (``rules.ACCOUNT_ROLES_CREATED_BY``); an
    institution administrator creates filers of its own institution only; the account has an
    e-mail address and the scope its role needs (``User.clean``).
    Side effects: the audit entry of the new account, by ``actor``; after the commit, the
    set-password e-mail.
    Raises ``DomainError`` for a refused role or institution, ``ValidationError`` for bad
    fields (a user name already taken, a reviewer without a district, …).
    """
    if role not in account_roles_creatable(actor):
        raise DomainError(_("You may not create an account with the role “%(role)s”.")
                          % {"role": _role_label(role)})
    if not is_city_admin(actor) and (institution is None
                                     or institution.pk != actor.institution_id):
        raise DomainError(_("You may create accounts of your own institution only."))
    email = (email or "").strip()
    if not email:
        raise DomainError(_("The account needs an e-mail address: the link to set its "
                            "password is sent there."))
    user = User(username=username.strip(), email=User.objects.normalize_email(email),
                role=role, full_name=full_name.strip(), phone=phone.strip(),
                institution=institution if role in INSTITUTION_ROLES else None,
                district=district if role == Role.DISTRICT_REVIEWER else None)
    user.set_unusable_password()
    user.full_clean()
    with transaction.atomic(), acting_as(actor):
        save_new(user)
        _mail_password_links([user], SET_PASSWORD_MAIL)
    return user


def account_deactivate(*, actor: User, account: User) -> User:
    """Deactivate ``account``: it can no longer log in, and its open sessions end (Django
    refuses inactive users on every request). Its records stay, with its name on them.

    Preconditions: ``actor`` may change the account (not its own) and it is active.
    Side effects: the audit entry ``is_active`` true → false, by ``actor``.
    """
    return _set_active(actor=actor, account=account, active=False)


def account_reactivate(*, actor: User, account: User) -> User:
    """Let a deactivated account log in again, with the password it had.

    Preconditions: ``actor`` may change the account and it is deactivated.
    Side effects: the audit entry ``is_active`` false → true, by ``actor``.
    """
    return _set_active(actor=actor, account=account, active=True)


def _set_active(*, actor: User, account: User, active: bool) -> User:
    _check_may_change(actor, account)
    with transaction.atomic(), acting_as(actor):
        # Lock the row: two administrators clicking at once record one change, not two.
        locked = User.objects.select_for_update().get(pk=account.pk)
        if locked.is_active == active:
            text = (_("The account %(username)s is already active.") if active
                    else _("The account %(username)s is already deactivated."))
            raise DomainError(text % {"username": locked.username})
        locked.is_active = active
        locked.full_clean()
        locked.save(update_fields=["is_active"])
    account.is_active = active
    return account


def account_password_reset(*, actor: User, account: User) -> User:
    """Reset the password of ``account``: the current one stops working at once (and the
    user's sessions end), and the user is e-mailed a one-time link to set a new one.

    Preconditions: ``actor`` may change the account (not its own: that is the user menu's
    password change); the account is active and has an e-mail address.
    Side effects: an audit entry marked ``password_reset``, by ``actor``; after the commit,
    the e-mail.
    """
    _check_may_change(actor, account)
    with transaction.atomic(), acting_as(actor):
        locked = User.objects.select_for_update().get(pk=account.pk)
        if not locked.is_active:
            raise DomainError(_("The account %(username)s is deactivated: reactivate it before "
                                "resetting its password.") % {"username": locked.username})
        if not locked.email:
            raise DomainError(_("The account %(username)s has no e-mail address to send the "
                                "link to.") % {"username": locked.username})
        locked.set_unusable_password()
        locked.save(update_fields=["password"])
        _audit(locked, "password_reset")
        _mail_password_links([locked], RESET_PASSWORD_MAIL)
    account.password = locked.password
    return account


def account_unlock(*, actor: User, account: User) -> int:
    """Lift the django-axes lock-out of ``account`` (``axes.utils.reset(username=…)``): its
    failed log-ins from every address are forgotten. Returns how many records were removed.

    Preconditions: ``actor`` is a city administrator; axes holds failed log-ins of the account.
    Side effects: an audit entry marked ``unlock``, by ``actor``.
    """
    if not is_city_admin(actor):
        raise DomainError(_("Only the city administrator unlocks accounts."))
    with transaction.atomic(), acting_as(actor):
        removed = axes_reset(username=account.username)
        if not removed:
            raise DomainError(_("The account %(username)s has no failed log-ins to clear.")
                              % {"username": account.username})
        _audit(account, "unlock", attempts_removed=removed)
    return removed


@dataclass
class BulkCreateResult:
    created: list[User] = field(default_factory=list)
    without_email: list[Institution] = field(default_factory=list)
    with_admin: list[tuple[Institution, str]] = field(default_factory=list)
    username_taken: list[tuple[Institution, str]] = field(default_factory=list)


def institution_admins_bulk_create(*, actor: User,
                                   institutions: list[Institution]) -> BulkCreateResult:
    """Create one institution administrator account for each of ``institutions`` that has
    none, at the registry's contact e-mail, user name ``admin-<credit code>``; e-mail each a
    link to set the password. All or nothing.

    Preconditions: ``actor`` is a city administrator.
    Skipped and reported: institutions with an administrator account already (active or not:
    reactivate it instead), without a contact e-mail, or whose user name is taken by another
    account.
    Side effects: an audit entry per account, by ``actor``; after the commit, the e-mails.
    """
    if not is_city_admin(actor):
        raise DomainError(_("Only the city administrator creates accounts in bulk."))
    result = BulkCreateResult()
    with transaction.atomic(), acting_as(actor):
        # Two confirmations at once (a double click, two administrators) would plan the same
        # accounts and the second would fail on their user names: the institutions' row locks
        # make it plan once the first has committed, and skip what that one created.
        list(Institution.objects.select_for_update().filter(
            pk__in=[institution.pk for institution in institutions]).order_by("pk")
            .values_list("pk", flat=True))
        # Planned again inside the transaction: the preview the user confirmed may be stale.
        plan = institution_admin_plan(institutions)
        result.without_email, result.with_admin = plan.without_email, plan.with_admin
        taken = set(User.objects.filter(username__startswith="admin-")
                    .values_list("username", flat=True))
        for institution in plan.to_create:
            username = admin_username(institution)
            if username in taken:
                result.username_taken.append((institution, username))
                continue
            user = User(username=username, role=Role.INSTITUTION_ADMIN, institution=institution,
                        email=User.objects.normalize_email(institution.contact_email),
                        full_name=institution.contact_person, phone=institution.contact_phone)
            user.set_unusable_password()
            user.full_clean(validate_unique=False)  # the user names were checked above
            user.save()
            taken.add(username)
            result.created.append(user)
        _mail_password_links(result.created, SET_PASSWORD_MAIL)
    return result


def admin_username(institution: Institution) -> str:
    """The user name of an institution's administrator account made in bulk (the demo data's
    convention): the credit code identifies the institution, unlike its name."""
    return f"admin-{institution.credit_code.lower()}"


def _check_may_change(actor: User, account: User) -> None:
    if is_city_admin(actor) and account.pk == actor.pk:
        raise DomainError(_("You cannot do this to your own account."))
    if not can_change_account(actor, account):
        raise DomainError(_("You may not manage the account %(username)s.")
                          % {"username": account.username})


def _audit(account: User, action: str, **data: Any) -> None:
    """An audit entry for an account action that changes no audited field."""
    account_event_record(account=account, event=action, **data)


def password_link(user: User) -> str:
    """The absolute one-time link to the page that sets ``user``'s password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def _mail_password_links(users: list[User], templates: tuple[str, str]) -> None:
    """Queue one e-mail per user with its link, sent once the transaction commits (no mail
    for an account that was rolled back)."""
    if users:
        transaction.on_commit(lambda: _send_password_links(users, templates), robust=True)


def _send_password_links(users: list[User], templates: tuple[str, str]) -> None:
    subject_template, body_template = templates
    messages = []
    # The users' language: these e-mails go to people who have not logged in yet, whatever
    # language the administrator's pages are in.
    with translation.override(settings.LANGUAGE_CODE):
        for user in users:
            context = {"user": user, "link": password_link(user),
                       "timeout_days": settings.PASSWORD_RESET_TIMEOUT // 86400}
            subject = "".join(render_to_string(subject_template, context).splitlines())
            messages.append(EmailMessage(subject, render_to_string(body_template, context),
                                         None, [user.email]))
    # One connection for a whole cohort.
    sent = get_connection().send_messages(messages)
    logger.info("Sent %s of %s password e-mails.", sent, len(messages))


def _role_label(role: str) -> str:
    try:
        return str(Role(role).label)
    except ValueError:
        return role


# --- "Forgot your password?" on the login page ---------------------------------------------

PASSWORD_RESET_TASK = "institutions.tasks.send_password_reset"


def password_reset_request(*, email: str, domain: str, use_https: bool) -> None:
    """Someone asked the login page for a link to set a new password for the accounts of
    ``email``. The request only queues it (the outbox): which accounts the address belongs
    to is looked up by the task, not here, so that a known address and an unknown one cost
    the asker the same work and the same time, and the answer's timing does not tell whether
    an address has an account. (Without a broker, in the embedded set-up, the task runs right
    after the request's commit, in the same process.)"""
    outbox_enqueue(task=PASSWORD_RESET_TASK,
                   payload={"email": email, "domain": domain, "use_https": use_https},
                   dedupe_key=f"password-reset:{uuid.uuid4()}")


def password_reset_mail(*, email: str, domain: str, use_https: bool) -> int:
    """E-mail the link to each active account of ``email`` with a usable password (Django's
    own rules, ``PasswordResetForm.get_users``); returns how many. Run twice, it sends the
    links twice: each works, until one is used."""
    form = PasswordResetForm(data={"email": email})
    if not form.is_valid():
        return 0
    count = sum(1 for _user in form.get_users(form.cleaned_data["email"]))
    if count:
        with translation.override(settings.LANGUAGE_CODE):
            form.save(domain_override=domain, use_https=use_https)
    return count

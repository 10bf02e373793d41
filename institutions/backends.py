"""How a request finds its account: password login and session user in one query.

Permissions are the ``rules`` predicates (``institutions.rules``, ``evaluations.rules``),
answered by ``rules.permissions.ObjectPermissionBackend``; nobody is given Django's per-user
or per-group permission rows, so this backend never reads them (Django's ``ModelBackend``
would, in two queries on every page whose navigation asks ``has_perm``). An active superuser
still holds every permission (``User.has_perm`` answers before any backend).

The session user comes with what the base layout shows on every page: its district and
institution (the user menu) and its unread notification count (the bell), read in the same
query as the user instead of three more.
"""
from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from .models import Notification, User


def unread_notification_count():
    """The user's unread notifications, as an expression over the user row."""
    unread = (Notification.objects.filter(user=OuterRef("pk"), read_at__isnull=True)
              .order_by().values("user").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(unread, output_field=IntegerField()), 0)


class AccountBackend(ModelBackend):
    def get_user_permissions(self, user_obj, obj=None) -> set[str]:
        return set()

    def get_group_permissions(self, user_obj, obj=None) -> set[str]:
        return set()

    def get_user(self, user_id):
        user = (User._default_manager.select_related("district", "institution")
                .annotate(unread_notification_count=unread_notification_count())
                .filter(pk=user_id).first())
        return user if user is not None and self.user_can_authenticate(user) else None

"""The one-time token of a create form (``forms.base.FormTokenForm``): the create services
look it up, under the lock they take anyway, before making anything, so a double click or a
request sent twice gets the first post's object back. The column is unique, which stops a
second row even where no lock is held."""
from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.utils.translation import gettext as _

from institutions.exceptions import DomainError

M = TypeVar("M", bound=models.Model)


def made_with_token(model: type[M], token: str | None, **scope) -> M | None:
    """The row of ``model`` an earlier post of the same form made, or None. ``scope`` is what
    the row must match (its participant, its report): a token brought from another page is
    refused rather than answered with someone else's row. The caller holds the lock that
    serialises the creates (on PostgreSQL a row lock, on SQLite the write lock of an
    IMMEDIATE transaction), so a post waiting on it sees the first one's row once it runs."""
    if not token:
        return None
    made = model._default_manager.filter(form_token=token).first()
    if made is None:
        return None
    if any(getattr(made, field) != value for field, value in scope.items()):
        raise DomainError(_("This form was already used elsewhere; reload the page."))
    return made

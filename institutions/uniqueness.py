"""Inserting a row whose unique fields another request may take at the same moment (a double
click, two administrators creating the same thing): the uniqueness check of ``full_clean``
ran before either row was saved, so the second insert fails in the database. ``save_new``
turns that failure into the ``ValidationError`` the check would have raised, so the page says
the value is taken instead of answering 500."""
from __future__ import annotations

from django.db import IntegrityError, models, transaction


def save_new(instance: models.Model) -> None:
    """Insert ``instance`` (already cleaned) within the caller's transaction. If a unique
    field was taken meanwhile, raise the ``ValidationError`` naming it; the insert is undone
    (a savepoint), the caller's transaction stays usable."""
    try:
        with transaction.atomic():
            instance.save(force_insert=True)
    except IntegrityError:
        # The other insert has committed (PostgreSQL made this one wait for it; SQLite's
        # IMMEDIATE transactions run one at a time): the checks now see its row.
        instance.validate_unique()
        instance.validate_constraints()
        raise

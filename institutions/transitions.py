"""The one way a status field changes: every model with a status keeps its allowed moves as
data (a table ``{from: {to, …}}``) and its service calls ``status_set``, which checks the
move, saves the field and records the change in the audit trail under the actor."""
from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping

from django.db import models
from django.utils.translation import gettext as _

from .audit import acting_as
from .exceptions import DomainError


def status_label(model: type[models.Model] | models.Model, value: str,
                 field: str = "status") -> str:
    """The label of ``value`` among the choices of ``model.<field>`` (the value itself when it
    is none of them)."""
    return str(dict(model._meta.get_field(field).flatchoices).get(value, value))


def status_set(instance: models.Model, to_status: str, *,
               transitions: Mapping[str, Iterable[str]], actor=None,
               refusal: str | None = None, field: str = "status",
               update_fields: Iterable[str] = ()) -> None:
    """Move ``instance`` to ``to_status`` if ``transitions`` allows it from where it stands,
    saving ``field`` and ``update_fields`` (set by the caller beforehand). The caller holds
    the row lock. ``refusal`` is the sentence of a refused move, with ``%(from)s`` and
    ``%(to)s`` (and ``%(name)s``, the instance); by default it names the model."""
    current = getattr(instance, field)
    if to_status not in transitions.get(current, ()):
        text = refusal or _("“%(thing)s” cannot go from “%(from)s” to “%(to)s”.")
        raise DomainError(text % {"thing": instance._meta.verbose_name, "name": str(instance),
                                  "from": status_label(instance, current, field),
                                  "to": status_label(instance, to_status, field)})
    setattr(instance, field, to_status)
    # Without an actor the caller's own ``acting_as`` block records who did it.
    with acting_as(actor) if actor is not None else contextlib.nullcontext():
        instance.save(update_fields=[field, *update_fields])

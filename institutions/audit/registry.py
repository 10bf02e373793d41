"""What the audit trail records of each model, whom each entry concerns and who may read it.

``register`` is the one way a model joins the trail: it registers the model with django-auditlog
(its own fields only, so that reverse relations never show up as
``institutions.Notification.None``) and keeps, in this module's table,

- the model's **scope**: a function giving the cycle, district and institution a row belongs to,
  stored with every entry (``AuditScope``) when the entry is written;
- its **audience**: whether besides the city the district reviewers of that district, and the
  institution administrator of that institution, may read its entries — never more than they
  may see of the row itself in the application;
- how a row of it is **named** where another row points to it. Every entry keeps the names of
  the rows its foreign keys point to as they were when it was written (a later rename does not
  rewrite history, a deleted row keeps its name), so the audit page reads no row to name them.
"""
from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.utils import translation
from django.utils.encoding import smart_str

from ..models import AuditScope

# Fields no entry needs: timestamps the entry has itself, optimistic-locking counters and the
# random names of stored files (the user's file name is recorded beside them).
_NEVER = (models.FileField,)


class Audience(enum.IntEnum):
    """Who reads a model's entries besides the city administrators."""

    CITY = 0  # the city administrators only
    DISTRICT = 1  # and the district reviewers of the entry's district
    INSTITUTION = 2  # and, also, the administrator of the entry's institution


@dataclass(frozen=True)
class Scope:
    """The cycle, district and institution (ids) an audit entry concerns."""

    cycle: int | None = None
    district: int | None = None
    institution: int | None = None

    def __bool__(self) -> bool:
        return any((self.cycle, self.district, self.institution))


@dataclass(frozen=True)
class AuditedModel:
    model: type[models.Model]
    scope: Callable[[models.Model], Scope]
    audience: Audience
    fields: tuple[str, ...]
    # Field titles for fields whose own verbose name does not read well in the trail.
    labels: Mapping[str, str] = field(default_factory=dict)
    # The name of a row where another points to it, and what to read along to make it.
    name: Callable[[models.Model], str] = str
    name_related: tuple[str, ...] = ()
    # More for the entry's ``names`` than the names of its foreign keys (a ranking's moves).
    details: Callable[[models.Model, dict], dict] | None = None


_AUDITED: dict[type[models.Model], AuditedModel] = {}


def register(model: type[models.Model], *, scope: Callable[[models.Model], Scope],
             audience: Audience, exclude: Iterable[str] = (),
             labels: Mapping[str, str] | None = None,
             name: Callable[[models.Model], str] = str, name_related: Iterable[str] = (),
             details: Callable[[models.Model, dict], dict] | None = None) -> None:
    """Record every create, change and delete of ``model``'s rows.

    Recorded are its own fields less ``exclude``, its primary key, stored file paths and the
    ``auto_now`` timestamps (the entry has its own). ``scope`` must not fail on a row being
    deleted; a missing related row gives an empty scope. ``name`` names a row of ``model``
    where another points to it (reading ``name_related`` along); ``details(row, changes)``
    adds to the names an entry keeps.
    """
    exclude = set(exclude)
    names = tuple(
        f.name for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in exclude and not isinstance(f, _NEVER)
        and not getattr(f, "auto_now", False) and not getattr(f, "auto_now_add", False))
    auditlog.register(model, include_fields=list(names))
    _AUDITED[model] = AuditedModel(model=model, scope=scope, audience=audience, fields=names,
                                   labels=dict(labels or {}), name=name,
                                   name_related=tuple(name_related), details=details)


def audited(model: type[models.Model] | None) -> AuditedModel | None:
    return _AUDITED.get(model) if model is not None else None


def audited_models() -> list[AuditedModel]:
    return list(_AUDITED.values())


def scope_of(instance: models.Model) -> Scope:
    """The scope of ``instance`` as its model's ``scope`` function gives it."""
    info = _AUDITED.get(type(instance))
    if info is None:
        return Scope()
    try:
        return info.scope(instance)
    except ObjectDoesNotExist:  # a parent already deleted in the same cascade
        return Scope()


def row_name(row: models.Model) -> str:
    """What the trail calls ``row`` where another row points to it."""
    info = _AUDITED.get(type(row))
    return str(info.name(row) if info is not None else row)


def names_key(model: type[models.Model]) -> str:
    return model._meta.label_lower


def entry_names(instance: models.Model, changes: Mapping[str, Iterable] | None) -> dict:
    """The names an entry about ``instance`` with ``changes`` keeps: ``{"names": {model:
    {pk: name}}}`` for every row a changed foreign key pointed to before or points to now, in
    the site's language (a record, not a page), and the model's own ``details``."""
    with translation.override(settings.LANGUAGE_CODE):
        return _entry_names(instance, changes, {})


def _entry_names(instance: models.Model, changes: Mapping[str, Iterable] | None,
                 known: dict[tuple[type[models.Model], str], str | None]) -> dict:
    """``entry_names`` in the site's language already; ``known``: the names found so far by
    model and key, kept across the entries of one write (one row keeps one name there)."""
    names: dict[str, dict[str, str]] = {}
    for field_name, values in (changes or {}).items():
        try:
            fk = instance._meta.get_field(field_name)
        except FieldDoesNotExist:
            continue
        if not (fk.concrete and (fk.many_to_one or fk.one_to_one)):
            continue
        for raw in values:
            if raw in (None, "", "None"):
                continue
            key = (fk.related_model, str(raw))
            if key in known:
                name = known[key]
            else:
                name = known[key] = _name_of(instance, fk, raw)
            if name is not None:
                names.setdefault(names_key(fk.related_model), {})[str(raw)] = name
    info = _AUDITED.get(type(instance))
    extra = info.details(instance, dict(changes or {})) \
        if info is not None and info.details is not None else {}
    out = {"names": names} if names else {}
    for key, value in extra.items():
        if key == "names":
            for model_key, table in value.items():
                out.setdefault("names", {}).setdefault(model_key, {}).update(table)
        else:
            out[key] = value
    return out


def _name_of(instance: models.Model, fk: models.Field, raw) -> str | None:
    """The name of the row ``fk`` of ``instance`` points to when it holds ``raw``: the related
    object ``instance`` holds if it is that one (usually already read), else the row read."""
    try:
        if str(getattr(instance, fk.attname)) == str(raw):
            related = getattr(instance, fk.name)
        else:
            related = fk.related_model._default_manager.filter(pk=raw).first()
    except (ObjectDoesNotExist, ValueError, TypeError):
        related = None
    return row_name(related) if related is not None else None


def scope_save(*, entry: LogEntry, scope: Scope, names: dict | None = None) -> AuditScope | None:
    if not scope and not names:
        return None
    return AuditScope.objects.create(entry=entry, cycle_id=scope.cycle,
                                     district_id=scope.district,
                                     institution_id=scope.institution, names=names or {})


def scopes_bulk_create(pairs: Iterable[tuple[LogEntry, models.Model]]) -> list[AuditScope]:
    """The scopes of entries written with ``bulk_create`` (which sends no signal), each with the
    row it is about; for writers that make their entries themselves (the registry import)."""
    rows, known = [], {}
    with translation.override(settings.LANGUAGE_CODE):
        for entry, instance in pairs:
            scope = scope_of(instance)
            names = _entry_names(instance, entry.changes_dict, known)
            if scope or names:
                rows.append(AuditScope(entry=entry, cycle_id=scope.cycle,
                                       district_id=scope.district,
                                       institution_id=scope.institution, names=names))
    return AuditScope.objects.bulk_create(rows, batch_size=1000)


def store_scope(sender, *, instance, log_entry=None, log_created=False, changes=None,
                **kwargs) -> None:
    """``post_log`` receiver: auditlog wrote ``log_entry`` about ``instance``."""
    if log_created and log_entry is not None:
        scope_save(entry=log_entry, scope=scope_of(instance),
                   names=entry_names(instance, changes))


def creation_diff(row: models.Model) -> dict[str, tuple]:
    """The changes of the "created" entry of ``row``, exactly as auditlog's
    ``model_instance_diff(None, row)`` gives them (every recorded field whose value is not
    "None", from "None"), but with the model's fields looked up once instead of per row:
    ``bulk_created_record`` writes thousands at once."""
    from auditlog.diff import get_field_value, model_instance_diff

    plan = _creation_plan(type(row))
    if plan is None:
        return model_instance_diff(None, row) or {}
    fields, use_json = plan
    old = None if use_json else "None"
    diff = {}
    for model_field in fields:
        value = get_field_value(row, model_field, use_json)
        if value != old:
            if not use_json:
                value = smart_str(value)
            elif not isinstance(value, (type(None), bool, int, float, str, list, tuple, dict,
                                        set)):
                value = smart_str(value)
            diff[model_field.name] = (old, value)
    return diff


@functools.cache
def _creation_plan(model: type[models.Model]) -> tuple[tuple[models.Field, ...], bool] | None:
    """The fields auditlog diffs on ``model`` and whether it stores JSON changes, or None
    where auditlog's own diff must run (fields masked, no field list registered)."""
    from auditlog.diff import track_field

    options = auditlog.get_model_fields(model)
    if options["mask_fields"] or not options["include_fields"]:
        return None
    include, exclude = set(options["include_fields"]), set(options["exclude_fields"])
    fields = tuple(f for f in model._meta.get_fields() if track_field(f)
                   and f.name in include and f.name not in exclude)
    return fields, bool(getattr(settings, "AUDITLOG_STORE_JSON_CHANGES", False))


def bulk_created_record(instances: Sequence[models.Model]) -> list[LogEntry]:
    """The "created" entries of rows a service inserted with ``bulk_create`` (which sends no
    signal: opening a stage creates a row per institution), as auditlog's ``post_save`` would
    have written them, under the actor of the enclosing ``acting_as`` block, with their
    scopes."""
    from auditlog.cid import get_cid
    from auditlog.context import auditlog_value
    from django.contrib.contenttypes.models import ContentType

    if not instances:
        return []
    from . import current_actor

    actor = current_actor()
    try:
        # The request's address, kept by ``acting_as``; auditlog's context outlives its block,
        # so it is read only inside one.
        context = auditlog_value.get() if actor is not None else {}
    except LookupError:
        context = {}
    content_type = ContentType.objects.get_for_model(type(instances[0]))
    entries = [LogEntry(
        content_type=content_type, object_pk=str(row.pk), object_id=row.pk,
        object_repr=str(row)[:2000], action=LogEntry.Action.CREATE,
        changes={name: list(values) for name, values in creation_diff(row).items()},
        actor=actor if getattr(actor, "pk", None) else None,
        actor_email=getattr(actor, "email", None) if getattr(actor, "pk", None) else None,
        remote_addr=context.get("remote_addr"), remote_port=context.get("remote_port"),
        cid=get_cid()) for row in instances]
    entries = LogEntry.objects.bulk_create(entries, batch_size=1000)
    scopes_bulk_create(zip(entries, instances, strict=True))
    return entries

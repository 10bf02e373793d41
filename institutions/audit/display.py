"""The trail in the users' words: for a page of entries, the record type, the action, the cycle,
district and institution, and each change with its field's title and its values as the
application shows them — choice labels, names of the rows a foreign key points to (of a row
since deleted, the name the trail last recorded), local times, 是/否.

``describe`` reads nothing for entries that kept the names of what they point to (every entry
the trail writes does: ``registry.entry_names``); for the others (written in bulk, or before
names were kept) one query per kind of row named, whatever the number of entries.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from auditlog.models import LogEntry
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .actions import ACTION_TONES, AuditAction, entry_action
from .registry import audited, names_key, row_name

# How many names a list (a ranking's order, its moves) shows before "… N in all".
SHOWN = 10


@dataclass(frozen=True)
class Change:
    title: str
    before: str
    after: str


@dataclass(frozen=True)
class AuditRow:
    entry: LogEntry
    action: AuditAction
    actor: str
    record_type: str
    record: str
    cycle: str
    district: str
    institution: str
    changes: tuple[Change, ...]

    @property
    def timestamp(self) -> dt.datetime:
        return self.entry.timestamp

    @property
    def tone(self) -> str:
        return ACTION_TONES[self.action]

    @property
    def shows_before(self) -> bool:
        """Changes read "before → after"; a new row lists its values, a deleted row its last."""
        return self.action in (AuditAction.UPDATE, AuditAction.STATUS)


# --- Names of the rows foreign keys point to ----------------------------------------------

def _stored(entry: LogEntry) -> dict:
    """What the entry kept when it was written (``registry.entry_names``)."""
    scope = getattr(entry, "scope", None)
    return (scope.names or {}) if scope is not None else {}


class _Names:
    """The names of the rows a page's entries point to: those each entry kept, and for the
    entries that kept none (written in bulk, or before names were kept) the rows read at once,
    one query per model and one more for the rows since deleted."""

    def __init__(self) -> None:
        self._wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
        self._read: dict[tuple[str, str], str] = {}

    def want(self, entry: LogEntry, model: type[models.Model], raw: Any) -> None:
        pk = self._pk(model, raw)
        if pk is not None and self._kept(entry, model, pk) is None:
            self._wanted[model].add(pk)

    def read(self) -> None:
        missing: dict[type[models.Model], set[Any]] = {}
        for model, pks in self._wanted.items():
            info = audited(model)
            found = {obj.pk: obj for obj in model._default_manager.filter(pk__in=pks)
                     .select_related(*(info.name_related if info else ()))}
            for pk, obj in found.items():
                self._read[(names_key(model), str(pk))] = row_name(obj)
            if set(pks) - set(found):
                missing[model] = set(pks) - set(found)
        if missing:
            self._read_deleted(missing)

    def _read_deleted(self, missing: dict[type[models.Model], set[Any]]) -> None:
        from django.contrib.contenttypes.models import ContentType

        types = ContentType.objects.get_for_models(*missing)
        query = Q()
        for model, pks in missing.items():
            query |= Q(content_type=types[model], object_pk__in=[str(pk) for pk in pks])
        by_type = {ct.pk: model for model, ct in types.items()}
        # The latest name recorded wins.
        for type_id, object_pk, text in LogEntry.objects.filter(query).order_by(
                "timestamp", "pk").values_list("content_type_id", "object_pk", "object_repr"):
            self._read[(names_key(by_type[type_id]), object_pk)] = _("%(name)s (deleted)") % {
                "name": text}

    def name(self, entry: LogEntry, model: type[models.Model], raw: Any) -> str:
        pk = self._pk(model, raw)
        if pk is None:
            return ""
        return self._kept(entry, model, pk) or self._read.get(
            (names_key(model), str(pk)),
            _("%(type)s (deleted)") % {"type": model._meta.verbose_name})

    @staticmethod
    def _kept(entry: LogEntry, model: type[models.Model], pk: Any) -> str | None:
        return _stored(entry).get("names", {}).get(names_key(model), {}).get(str(pk))

    @staticmethod
    def _pk(model: type[models.Model], raw: Any) -> Any:
        if raw in (None, "", "None"):
            return None
        try:
            return model._meta.pk.to_python(raw)
        except (ValidationError, TypeError, ValueError):
            return None


# --- Values -------------------------------------------------------------------------------

def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _is_fk(field: models.Field | None) -> bool:
    return field is not None and (field.many_to_one or field.one_to_one) and field.concrete


def _json(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _plain(value: Any) -> str:
    """A JSON value as text: lists joined with 、, objects as key：value."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_plain(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


def _datetime(raw: str) -> str:
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        return raw
    if timezone.is_naive(value):  # auditlog stores UTC without the zone
        value = timezone.make_aware(value, dt.UTC)
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _decimal(raw: str) -> str:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return raw
    return format(value.normalize(), "f")


def _value(entry: LogEntry, field: models.Field | None, raw: Any, names: _Names) -> str:
    """One recorded value of ``field`` as the application shows it ("" for none)."""
    if raw is None or raw == "None":
        return ""
    if field is None:
        return _plain(_json(raw))
    if _is_fk(field):
        return names.name(entry, field.related_model, raw)
    if field.flatchoices:
        choices = {str(key): label for key, label in field.flatchoices}
        if isinstance(field, models.JSONField):
            return "、".join(str(choices.get(str(v), v)) for v in _json(raw) or [])
        return str(choices.get(str(raw), raw))
    if isinstance(field, models.BooleanField):
        return _("Yes") if str(raw) == "True" else _("No")
    if isinstance(field, models.DateTimeField):
        return _datetime(str(raw))
    if isinstance(field, models.DecimalField):
        return _decimal(str(raw))
    if isinstance(field, models.JSONField):
        return _plain(_json(raw))
    return str(raw)


def _pairs(entry: LogEntry) -> dict[str, tuple[Any, Any]]:
    pairs = {}
    for name, values in (entry.changes_dict or {}).items():
        if isinstance(values, list | tuple) and len(values) == 2:
            pairs[name] = (values[0], values[1])
    return pairs


def _after(pairs, name: str) -> Any:
    return pairs.get(name, (None, None))[1]


# --- Special fields: a saved ranking, the answers' typed data ------------------------------

def _ranking_changes(entry: LogEntry, pairs, names: _Names) -> list[Change]:
    """A saved ranking: its first places, the places that moved since the district's previous
    save and the reasons given, named as the entry kept them."""
    from evaluations.models import Participant, RankingRevision

    def name(pid) -> str:
        return names.name(entry, Participant, pid)

    title = RankingRevision._meta.get_field
    order = _json(_after(pairs, "order")) or []
    reasons = _json(_after(pairs, "reasons")) or {}
    shown = "；".join(_("%(rank)s. %(name)s") % {"rank": k, "name": name(pid)}
                     for k, pid in enumerate(order[:SHOWN], start=1))
    if len(order) > SHOWN:
        shown += ngettext("; … (%(count)s institution in all)",
                          "; … (%(count)s institutions in all)", len(order)) % {
            "count": len(order)}
    changes = [Change(str(title("order").verbose_name), "", shown)]
    stored = _stored(entry)
    if "moves" in stored:
        moves, moved = stored["moves"], stored.get("moved", 0)
        text = "；".join(_("%(name)s from %(old)s to %(new)s") % {
            "name": name(pid), "old": old or "—", "new": new} for pid, old, new in moves) \
            or _("no place changed")
        if moved > len(moves):
            text += ngettext("; … (%(count)s moved in all)", "; … (%(count)s moved in all)",
                             moved) % {"count": moved}
        changes.append(Change(_("Places changed"), "", text))
    if reasons:
        changes.append(Change(str(title("reasons").verbose_name), "", "；".join(
            f"{name(pid)}：{text}" for pid, text in reasons.items())))
    return changes


def _data_changes(entry: LogEntry, before: Any, after: Any) -> list[Change]:
    """An answer's typed data, one change per datum and year (Y−2, Y−1 of the cycle), titled
    as the entry kept the data fields' titles."""
    fields = _stored(entry).get("fields", [])
    labels, place = dict(fields), {key: k for k, (key, _label) in enumerate(fields)}
    scope = getattr(entry, "scope", None)
    cycle = scope.cycle if scope is not None else None
    years = {"y1": str(cycle.year - 2) if cycle else _("first year"),
             "y2": str(cycle.year - 1) if cycle else _("second year")}
    before, after = _json(before), _json(after)
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    changes = []
    for key in sorted(dict.fromkeys([*after, *before]), key=lambda k: (place.get(k, len(place)),
                                                                       k)):
        old, new = before.get(key) or {}, after.get(key) or {}
        for year in ("y1", "y2"):
            was, now = str(old.get(year, "") or ""), str(new.get(year, "") or "")
            if was != now:
                changes.append(Change(_("%(datum)s (%(year)s)") % {
                    "datum": labels.get(key, key), "year": years[year]}, was, now))
    return changes


# --- Rows ---------------------------------------------------------------------------------

def _auth_changes(entry: LogEntry) -> list[Change]:
    data = entry.additional_data or {}
    changes = [Change(_("Account"), "", str(data.get("username", "")))]
    if entry.remote_addr:
        changes.append(Change(_("IP address"), "", entry.remote_addr))
    if data.get("failures"):
        changes.append(Change(_("Failed attempts"), "", str(data["failures"])))
    if data.get("locked"):
        changes.append(Change(_("Note"), "", _("The account was locked; the attempt was "
                                              "refused.")))
    return changes


def _account_changes(entry: LogEntry) -> list[Change]:
    removed = (entry.additional_data or {}).get("attempts_removed")
    return [Change(_("Failed log-ins cleared"), "", str(removed))] if removed else []


def _title(model, info, name: str) -> str:
    if info is not None and name in info.labels:
        return str(info.labels[name])
    field = _field(model, name)
    return str(field.verbose_name) if field is not None else name


def _label(model) -> str:
    return model._meta.label_lower if model is not None else ""


def _changes(entry: LogEntry, model, action: AuditAction, names: _Names) -> list[Change]:
    if action in (AuditAction.LOGIN, AuditAction.LOGIN_FAILED, AuditAction.LOCKED_OUT):
        return _auth_changes(entry)
    if action in (AuditAction.PASSWORD_RESET, AuditAction.UNLOCK):
        return _account_changes(entry)
    info = audited(model)
    pairs = _pairs(entry)
    extra = []
    if _label(model) == "evaluations.rankingrevision":
        extra = _ranking_changes(entry, pairs, names)
        pairs = {k: v for k, v in pairs.items() if k not in ("order", "reasons")}
    order = {name: k for k, name in enumerate(info.fields)} if info is not None else {}
    changes = []
    for name in sorted(pairs, key=lambda n: (order.get(n, len(order)), n)):
        before, after = pairs[name]
        if _label(model) == "evaluations.indicatorresponse" and name == "data":
            changes += _data_changes(entry, before, after)
            continue
        field = _field(model, name)
        change = Change(_title(model, info, name), _value(entry, field, before, names),
                        _value(entry, field, after, names))
        # A new row lists what it holds, a deleted one what it held: blanks say nothing, nor
        # does a value "changed" from nothing to nothing.
        if (action == AuditAction.CREATE and not change.after) \
                or (action == AuditAction.DELETE and not change.before) \
                or change.before == change.after:
            continue
        changes.append(change)
    return changes + extra


def _record(entry: LogEntry, model, names: _Names) -> str:
    """The record an entry is about; a saved ranking and a submitted version by their
    number rather than the ``r3`` / ``v2`` of their database name."""
    pairs = _pairs(entry)
    number = _after(pairs, "number")
    if _label(model) == "evaluations.rankingrevision" and str(number).isdigit():
        from evaluations.models import DistrictReview

        return _("%(review)s, ranking no. %(number)s") % {
            "review": names.name(entry, DistrictReview, _after(pairs, "district_review")),
            "number": number}
    if _label(model) == "institutions.institutionstatuschange" and "to_status" in pairs:
        field = _field(model, "to_status")
        return _("%(institution)s: %(from)s → %(to)s") % {
            "institution": names.name(entry, _field(model, "institution").related_model,
                                      _after(pairs, "institution")),
            "from": _value(entry, field, _after(pairs, "from_status"), names),
            "to": _value(entry, field, _after(pairs, "to_status"), names)}
    if _label(model) == "evaluations.submissionversion" and str(number).isdigit():
        from evaluations.models import Submission

        return _("%(submission)s, version %(number)s") % {
            "submission": names.name(entry, Submission, _after(pairs, "submission")),
            "number": number}
    return entry.object_repr


def _want(entry: LogEntry, model, names: _Names) -> None:
    """Note every row ``entry`` names and did not keep the name of."""
    for name, values in _pairs(entry).items():
        field = _field(model, name)
        if _is_fk(field):
            for raw in values:
                names.want(entry, field.related_model, raw)


def _actor(entry: LogEntry, action: AuditAction) -> str:
    if entry.actor is not None:
        return str(entry.actor)
    if entry.actor_email:
        return entry.actor_email
    # Nobody is known to have tried a failed login; anything else without an actor was done
    # by the system (a task, a data migration).
    if action in (AuditAction.LOGIN_FAILED, AuditAction.LOCKED_OUT):
        return ""
    return _("system")


def describe(entries: Iterable[LogEntry]) -> list[AuditRow]:
    """The rows of the audit page for ``entries`` (read with ``selectors.ENTRY_RELATED``)."""
    entries = list(entries)
    names = _Names()
    models_of = [entry.content_type.model_class() for entry in entries]
    for entry, model in zip(entries, models_of, strict=True):
        _want(entry, model, names)
    names.read()
    rows = []
    for entry, model in zip(entries, models_of, strict=True):
        action = entry_action(entry)
        # Read along with the entry; an entry about no cycle, district or institution has none.
        scope = getattr(entry, "scope", None)
        rows.append(AuditRow(
            entry=entry, action=action, actor=_actor(entry, action),
            record_type=str(model._meta.verbose_name) if model is not None
            else entry.content_type.name,
            record=_record(entry, model, names),
            cycle=str(scope.cycle) if scope is not None and scope.cycle is not None else "",
            district=scope.district.name if scope is not None and scope.district else "",
            institution=scope.institution.name if scope is not None and scope.institution
            else "",
            changes=tuple(_changes(entry, model, action, names)),
        ))
    return rows

"""Excel import of the registry (Art 2): the upload template and the all-or-nothing import.

The workbook is streamed (openpyxl read-only mode) and every row is checked before anything is
written, so the city administrator gets one report listing every problem, in the row numbers and
column titles Excel shows. Column titles and sheet content are Chinese *data* (the bureau's forms),
not interface text, so they are not translated; the reasons are.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from operator import attrgetter
from typing import IO, Any

from auditlog.cid import get_cid
from auditlog.context import auditlog_value
from auditlog.diff import get_fields_in_model, model_instance_diff
from auditlog.models import LogEntry
from auditlog.registry import auditlog as auditlog_registry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.encoding import smart_str
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from .audit import scopes_bulk_create
from .models import Cluster, District, Institution, User
from .packages import package_problem
from .validators import normalise_credit_code, validate_credit_code


@dataclasses.dataclass(frozen=True)
class Column:
    field: str
    title: str
    required: bool = True


# The registry columns, in template order. Exports use the same titles (plus the read-only
# columns below) so that an export can be imported again.
COLUMNS: tuple[Column, ...] = (
    Column("name", "名称"),
    Column("credit_code", "统一社会信用代码"),
    Column("district", "所属地区"),
    Column("cluster", "产业集群"),
    Column("filing_date", "备案日期"),
    Column("legal_representative", "法定代表人"),
    Column("contact_person", "联系人"),
    Column("contact_phone", "联系电话"),
    Column("contact_email", "电子邮箱", required=False),
    Column("address", "地址", required=False),
)
# Written by exports, accepted and ignored by the import: a filing status only changes through
# ``institution_change_status``, with a reason (R2, R12), never by a spreadsheet.
EXPORT_ONLY_TITLES = ("备案状态", "状态变更日期")

DATA_SHEET_TITLE = "机构名录"
INSTRUCTIONS_SHEET_TITLE = "填写说明"
TEMPLATE_FILENAME = "新型研发机构名录导入模板.xlsx"
BATCH_SIZE = 1000

# Fields checked here rather than by ``Institution.full_clean`` (they need parsing or lookups).
_PARSED_FIELDS = ("credit_code", "district", "cluster", "filing_date")
_DATE_PATTERNS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
)
_ZIP_MAGIC = b"PK\x03\x04"


@dataclasses.dataclass(frozen=True)
class RowError:
    """One problem of the file. ``row`` is the row number Excel shows (the header is row 1);
    it is ``None`` for a problem of the whole file, whose ``column`` is then empty."""

    row: int | None
    column: str
    reason: str


@dataclasses.dataclass(frozen=True)
class ImportResult:
    created: int
    errors: list[RowError]


def registry_import(*, file: IO[bytes], actor: User | None) -> ImportResult:
    """Service: import a registry workbook, all or nothing.

    Preconditions: none on the file — anything wrong with it (not an .xlsx, larger than
    ``settings.REGISTRY_IMPORT_MAX_BYTES``, missing or unknown columns, no rows, any bad row)
    comes back in ``ImportResult.errors`` and nothing is written.
    Side effects, for a good file: the institutions (``active``) in one transaction, and the
    audit trail ``institution_create`` would have written — one CREATE entry per institution by
    ``actor`` with the same ``changes`` — plus one summary entry for the import.
    """
    refusal = _refusal(file)
    if refusal:
        return ImportResult(created=0, errors=[RowError(None, "", refusal)])
    rows, errors = _validated_rows(file)
    if errors:
        return ImportResult(created=0, errors=errors)
    if not rows:
        return ImportResult(created=0, errors=[
            RowError(None, "", _("The sheet has no institution rows under its header."))])
    try:
        with transaction.atomic():
            _write(rows, actor=actor, filename=_filename(file))
    except IntegrityError:
        # Another import or a registration committed one of these codes since we checked.
        return ImportResult(created=0, errors=[RowError(None, "", _(
            "The registry changed while the file was being imported; nothing was imported. "
            "Please import the file again."))])
    return ImportResult(created=len(rows), errors=[])


# --- Reading and checking ------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _Row:
    """A checked row as plain values (no openpyxl objects are kept)."""

    number: int
    values: tuple[Any, ...]  # in ``COLUMNS`` order; district and cluster as primary keys


def _refusal(file: IO[bytes]) -> str | None:
    """Reasons to refuse the file without opening it: its size, content that is not a zip
    container (an .xls, a CSV or a renamed text file) and a package too large unpacked
    (``institutions.packages``)."""
    size = _size(file)
    limit = settings.REGISTRY_IMPORT_MAX_BYTES
    if size > limit:
        return _("The file is %(size)s; the largest file accepted is %(limit)s.") % {
            "size": filesizeformat(size), "limit": filesizeformat(limit)}
    file.seek(0)
    head = file.read(len(_ZIP_MAGIC))
    file.seek(0)
    if head != _ZIP_MAGIC:
        return _not_xlsx()
    # Before openpyxl: it holds every shared string in memory and reads every part.
    return package_problem(file, name=_filename(file),
                           max_unpacked=settings.REGISTRY_IMPORT_MAX_UNCOMPRESSED_BYTES)


def _not_xlsx() -> str:
    return _("The file is not an Excel workbook (.xlsx). Open it in Excel or WPS, save it as "
             "“Excel workbook (*.xlsx)” and upload it again.")


def _size(file: IO[bytes]) -> int:
    size = getattr(file, "size", None)
    if size is None:
        position = file.tell()
        size = file.seek(0, io.SEEK_END)
        file.seek(position)
    return size


def _filename(file: IO[bytes]) -> str:
    return os.path.basename(str(getattr(file, "name", "") or ""))


class _Unreadable(Exception):
    """The workbook opened but its sheet cannot be read (a damaged or hand-made file)."""


# What openpyxl and the zip and XML readers raise on a damaged file.
_READ_ERRORS = (InvalidFileException, zipfile.BadZipFile, SyntaxError, KeyError, OSError,
                ValueError, TypeError, EOFError)


def _lines(sheets: list) -> Iterator[tuple]:
    """The first sheet's rows as plain tuples of values (openpyxl's streaming reader)."""
    if not sheets:
        return
    rows = sheets[0].iter_rows(values_only=True)
    while True:
        try:
            line = next(rows)
        except StopIteration:
            return
        except _READ_ERRORS as exc:
            raise _Unreadable from exc
        yield line


def _validated_rows(file: IO[bytes], *, columns: tuple[Column, ...] = COLUMNS,
                    export_only: tuple[str, ...] = EXPORT_ONLY_TITLES,
                    check_rows: Callable | None = None, check_existing: Callable | None = None,
                    ) -> tuple[list, list[RowError]]:
    """The rows of the workbook's first sheet, read by the titles of ``columns``, if every
    one is good; else no rows and every problem. ``check_rows(records, errors, first_rows)``
    yields the good rows, adds the others' problems to ``errors`` and fills ``first_rows``
    with each unique key and its first row, which ``check_existing(first_rows, errors)`` then
    looks up in the database. By default the registry's."""
    check_rows = check_rows or _check_rows
    check_existing = check_existing or _check_against_registry
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except _READ_ERRORS:
        return [], [RowError(None, "", _not_xlsx())]
    try:
        lines = _lines(workbook.worksheets)
        positions, errors = _header(next(lines, None), columns, export_only)
        if errors:
            return [], errors
        first_rows: dict[str, int] = {}
        rows = list(check_rows(_records(lines, positions), errors, first_rows))
    except _Unreadable:
        return [], [RowError(None, "", _(
            "The workbook could not be read; it may be damaged. Open it in Excel or WPS, save "
            "it again as .xlsx and upload it again."))]
    finally:
        # Read-only workbooks keep the zip open until closed.
        workbook.close()
    check_existing(first_rows, errors)
    errors.sort(key=lambda error: (error.row or 0, _column_order(error.column, columns)))
    return ([] if errors else rows), errors


def _column_order(title: str, columns: tuple[Column, ...] = COLUMNS) -> int:
    return next((index for index, column in enumerate(columns) if column.title == title), -1)


def _header(cells: tuple | None, columns: tuple[Column, ...] = COLUMNS,
            export_only: tuple[str, ...] = EXPORT_ONLY_TITLES,
            ) -> tuple[dict[str, int], list[RowError]]:
    """Map each field of ``columns`` to its position in the sheet; blank header cells and the
    ``export_only`` titles are ignored."""
    if cells is None or all(_text(cell) == "" for cell in cells):
        return {}, [RowError(None, "", _(
            "The sheet is empty: the first row must hold the column titles of the template."))]
    by_title = {column.title: column for column in columns}
    positions: dict[str, int] = {}
    errors: list[RowError] = []
    seen: set[str] = set()
    for position, cell in enumerate(cells):
        title = _text(cell)
        if not title:
            continue
        if title in seen:
            errors.append(RowError(1, title, _("This column appears more than once.")))
            continue
        seen.add(title)
        column = by_title.get(title)
        if column:
            positions[column.field] = position
        elif title not in export_only:
            errors.append(RowError(1, title, _(
                "Unknown column: use the column titles of the import template.")))
    for column in columns:
        if column.required and column.field not in positions:
            errors.append(RowError(1, column.title, _("This required column is missing.")))
    return positions, errors


def _records(lines: Iterator[tuple], positions: dict[str, int]
             ) -> Iterator[tuple[int, dict[str, Any]]]:
    """The data rows as ``(row number, {field: raw value})``; wholly blank rows are skipped
    (Excel often reports formatted but empty rows at the end of a sheet)."""
    for number, line in enumerate(lines, start=2):
        record = {field: (line[position] if position < len(line) else None)
                  for field, position in positions.items()}
        if all(_text(value) == "" for value in record.values()):
            continue
        yield number, record


def _check_rows(records: Iterable[tuple[int, dict[str, Any]]], errors: list[RowError],
                first_row_of_code: dict[str, int]) -> Iterator[_Row]:
    """Check each row on its own and against the earlier rows; fills ``first_row_of_code``
    with every valid credit code and the row it first appears in."""
    districts = _district_lookup()
    clusters = {name: pk for pk, name in Cluster.objects.values_list("pk", "name")}
    today = timezone.localdate()
    for number, record in records:
        row_errors: list[RowError] = []

        def fail(field: str, reason: str, number: int = number,
                 row_errors: list[RowError] = row_errors) -> None:
            row_errors.append(RowError(number, _field_title(field), reason))

        code = normalise_credit_code(_text(record.get("credit_code")))
        if not code:
            fail("credit_code", _required())
        else:
            try:
                validate_credit_code(code)
            except ValidationError as exc:
                fail("credit_code", exc.messages[0])
            else:
                if code in first_row_of_code:
                    fail("credit_code", _("Credit code %(code)s also appears in row %(row)d.")
                         % {"code": code, "row": first_row_of_code[code]})
                else:
                    first_row_of_code[code] = number

        district_id = _lookup(record.get("district"), districts, "district", fail, _(
            "Unknown district “%(value)s”: use a district name or its 6-digit code from the "
            "instructions sheet."))
        cluster_id = _lookup(record.get("cluster"), clusters, "cluster", fail, _(
            "Unknown industry cluster “%(value)s”: use a cluster name from the instructions "
            "sheet."))
        filing_date = _date(record.get("filing_date"), today, fail)

        fields = {column.field: _text(record.get(column.field)) for column in COLUMNS
                  if column.field not in _PARSED_FIELDS}
        # The model's own field checks (required, length, e-mail format, …) so that the import
        # can never accept what the registration form would refuse.
        try:
            Institution(credit_code=code, **fields).full_clean(
                exclude=_PARSED_FIELDS, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    fail(field, message)

        if row_errors:
            errors.extend(row_errors)
            continue
        values = {**fields, "credit_code": code, "district": district_id,
                  "cluster": cluster_id, "filing_date": filing_date}
        yield _Row(number, tuple(values[column.field] for column in COLUMNS))


def _check_against_registry(first_row_of_code: dict[str, int],
                            errors: list[RowError]) -> None:
    """Codes already in the registry, looked up in chunks (SQLite limits query parameters).
    Every valid code is looked up, also on rows with other errors, so one report says all."""
    codes = list(first_row_of_code)
    chunk = 500
    for start in range(0, len(codes), chunk):
        existing = Institution.objects.filter(
            credit_code__in=codes[start:start + chunk],
        ).values_list("credit_code", "name")
        for code, name in existing:
            errors.append(RowError(first_row_of_code[code], _field_title("credit_code"), _(
                "An institution with credit code %(code)s is already registered: %(name)s.")
                % {"code": code, "name": name}))


def _district_lookup() -> dict[str, int]:
    lookup: dict[str, int] = {}
    for pk, code, name in District.objects.values_list("pk", "code", "name"):
        lookup[name] = pk
        if code:
            lookup[code] = pk
    return lookup


def _lookup(value: Any, table: dict[str, int], field: str, fail, unknown: str) -> int | None:
    text = _text(value)
    if not text:
        fail(field, _required())
        return None
    if text not in table:
        fail(field, unknown % {"value": text})
        return None
    return table[text]


def _date(value: Any, today: dt.date, fail) -> dt.date | None:
    """A real date cell, or text as YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日; not in the future."""
    if isinstance(value, dt.datetime):
        date = value.date()
    elif isinstance(value, dt.date):
        date = value
    else:
        text = _text(value)
        if not text:
            fail("filing_date", _required())
            return None
        date = _parse_date(text)
        if date is None:
            fail("filing_date", _(
                "“%(value)s” is not a date: enter it as YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日.")
                % {"value": text})
            return None
    if date > today:
        fail("filing_date", _("The filing date %(date)s is in the future.")
             % {"date": date.isoformat()})
        return None
    return date


def _parse_date(text: str) -> dt.date | None:
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            try:
                return dt.date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
    return None


def _text(value: Any) -> str:
    """A cell value as stripped text. Whole numbers lose the ``.0`` Excel gives them (phone
    numbers and division codes typed into number cells)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _field_title(field: str) -> str:
    return next(column.title for column in COLUMNS if column.field == field)


def _required() -> str:
    # The model's own wording, so that every empty required cell reads the same.
    return str(Institution._meta.get_field("name").error_messages["blank"])


# --- Writing -------------------------------------------------------------------------------

def _write(rows: list[_Row], *, actor: User | None, filename: str) -> None:
    """Insert the institutions in batches and the audit entries ``institution_create`` would
    have produced: auditlog listens to ``post_save``, which ``bulk_create`` does not send."""
    content_type = ContentType.objects.get_for_model(Institution)
    context = _audit_context(actor)
    create_changes = _create_changes_function()
    fields = [column.field for column in COLUMNS]
    fields[fields.index("district")] = "district_id"
    fields[fields.index("cluster")] = "cluster_id"
    first_pk = last_pk = None
    for start in range(0, len(rows), BATCH_SIZE):
        batch = rows[start:start + BATCH_SIZE]
        institutions = Institution.objects.bulk_create(
            [Institution(**dict(zip(fields, row.values, strict=True))) for row in batch],
            batch_size=BATCH_SIZE,
        )
        entries = []
        for row, institution in zip(batch, institutions, strict=True):
            # bulk_create sets the primary keys on PostgreSQL and SQLite ≥ 3.35 (RETURNING).
            assert institution.pk is not None
            entries.append(LogEntry(
                content_type=content_type,
                object_pk=str(institution.pk),
                object_id=institution.pk,
                object_repr=str(institution),
                # None unless the model is registered with serialize_data, as in log_create.
                serialized_data=LogEntry.objects._get_serialized_data_or_none(institution),
                action=LogEntry.Action.CREATE,
                changes=create_changes(institution),
                additional_data={"registry_import": {"file": filename, "row": row.number}},
                **context,
            ))
        LogEntry.objects.bulk_create(entries, batch_size=BATCH_SIZE)
        # Their scopes, so that each district and institution reads its own registrations.
        scopes_bulk_create(zip(entries, institutions, strict=True))
        first_pk = first_pk or institutions[0].pk
        last_pk = institutions[-1].pk
    _summary_entry(
        content_type, "registry_import",
        _("Registry import of %(count)d institutions from %(file)s") % {
            "count": len(rows), "file": filename or "-"},
        {"file": filename, "created": len(rows), "first_pk": first_pk, "last_pk": last_pk},
        context)


def _summary_entry(content_type: ContentType, key: str, title: str, data: dict[str, Any],
                   context: dict[str, Any]) -> LogEntry:
    """The one entry an import adds for the whole file, beside those of the rows it created:
    about no row (empty ``object_pk``), ``data`` under ``additional_data[key]``."""
    return LogEntry.objects.create(
        content_type=content_type,
        object_pk="",
        object_repr=title,
        action=LogEntry.Action.CREATE,
        changes=None,
        additional_data={key: data},
        **context,
    )


def _create_changes_function() -> Callable[[Institution], dict]:
    """What auditlog's ``post_save`` receiver stores as ``changes`` for a new institution:
    ``{field: ["None", str(value)]}`` for every field with a value.

    ``auditlog.diff.model_instance_diff`` computes it field by field through generic code that
    takes a third of the import's time; for the plain registration auditlog has for
    ``Institution`` (no include, exclude or mask options, text changes) the same strings are
    built directly. Any other set-up falls back to auditlog's own function.
    """
    use_json = settings.AUDITLOG_STORE_JSON_CHANGES
    options = auditlog_registry.get_model_fields(Institution)
    fields = get_fields_in_model(Institution())
    if (use_json or settings.AUDITLOG_USE_FK_STRING_REPRESENTATION
            or options["include_fields"] or options["exclude_fields"] or options["mask_fields"]
            or any(isinstance(field, models.JSONField) for field in fields)):
        def diff(institution: Institution) -> dict:
            changes = model_instance_diff(None, institution, use_json_for_changes=use_json)
            return {name: list(values) for name, values in (changes or {}).items()}
        return diff

    def naive_utc(value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and settings.USE_TZ and not timezone.is_naive(value):
            return timezone.make_naive(value, timezone=dt.UTC)
        return value

    getters: list[tuple[str, Callable[[Institution], Any]]] = []
    for field in fields:
        if isinstance(field, models.DateTimeField):
            getters.append((field.name, lambda obj, name=field.name: naive_utc(getattr(obj, name))))
        elif field.many_to_one or field.one_to_one:
            getters.append((field.name, attrgetter(field.attname)))
        else:
            getters.append((field.name, attrgetter(field.name)))

    def changes(institution: Institution) -> dict:
        result = {}
        for name, get in getters:
            # auditlog compares str(old) with str(new); old is None for a new row.
            text = smart_str(get(institution))
            if text != "None":
                result[name] = ["None", text]
        return result
    return changes


def _audit_context(actor: User | None) -> dict[str, Any]:
    """What auditlog's ``pre_save`` hook would add to each entry: the actor, and the client
    address and correlation id of the request (set by ``AuditlogMiddleware``)."""
    try:
        request_context = auditlog_value.get()
    except LookupError:
        request_context = {}
    context: dict[str, Any] = {
        "actor": actor,
        "actor_email": getattr(actor, "email", None) if actor else None,
        "cid": get_cid(),
    }
    for key in ("remote_addr", "remote_port"):
        if request_context.get(key) is not None:
            context[key] = request_context[key]
    return context


# --- The template --------------------------------------------------------------------------

def registry_template_workbook() -> bytes:
    """The upload template: the header row on the first sheet (a sample row there would be
    imported by a user who forgot to delete it, so the sample is in the instructions), and the
    instructions with the valid districts and clusters on the second, which also feed the
    drop-down lists of the district and cluster columns."""
    districts = list(District.objects.values_list("name", "code"))
    clusters = list(Cluster.objects.values_list("name", flat=True))
    workbook = Workbook()
    sheet = _template_sheet(workbook, DATA_SHEET_TITLE, COLUMNS, widths={
        "name": 40, "credit_code": 24, "district": 22, "cluster": 20, "filing_date": 14,
        "contact_email": 26, "address": 40}, date_fields=("filing_date",))
    bold = Font(bold=True)

    notes = workbook.create_sheet(INSTRUCTIONS_SHEET_TITLE)
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["B"].width = 16
    notes.column_dimensions["C"].width = 70
    lines = [
        ("新型研发机构名录导入说明",),
        (),
        ("1. 在“机构名录”工作表中每行填写一家机构，第 1 行为列标题，请勿修改或删除。",),
        ("2. 填写示例：徐州市示例新型研发机构 | 91320302MA1XY0001U | 鼓楼区 | 工程机械 | "
         "2021-05-10 | 张三 | 李四 | 0516-83000000 | contact@example.cn | 徐州市鼓楼区示例路1号",),
        ("3. 名称、统一社会信用代码、所属地区、产业集群、备案日期、法定代表人、联系人、联系电话"
         "必须填写；电子邮箱、地址可不填，这两列也可以删除。",),
        ("4. 统一社会信用代码为 18 位（GB 32100-2015），校验位须正确，"
         "不得与文件中其他行或系统中已有机构重复。",),
        ("5. 所属地区填写下表中的地区名称或 6 位行政区划代码；产业集群填写下表中的集群名称。",),
        ("6. 备案日期填写日期单元格，或按 2021-05-10、2021/05/10、2021年5月10日 格式填写，"
         "不得晚于今天。",),
        ("7. 文件中任一行有误时不导入任何机构，系统将列出所有错误所在的行、列及原因。",),
        ("8. 从系统导出的名录可直接导入；其中“备案状态”“状态变更日期”两列在导入时不读取，"
         "导入的机构均为备案有效状态。",),
        (),
        ("所属地区", "行政区划代码"),
    ]
    for line in lines:
        notes.append(list(line))
    notes["A1"].font = Font(bold=True, size=14)
    for cell in notes[len(lines)]:
        cell.font = bold
    first_district_row = len(lines) + 1
    for name, code in districts:
        notes.append([name, code or "（无）"])
    last_district_row = notes.max_row
    notes.append([])
    notes.append(["产业集群"])
    notes.cell(row=notes.max_row, column=1).font = bold
    first_cluster_row = notes.max_row + 1
    for name in clusters:
        notes.append([name])
    last_cluster_row = notes.max_row

    source = quote_sheetname(INSTRUCTIONS_SHEET_TITLE)
    for field, first, last in (("district", first_district_row, last_district_row),
                               ("cluster", first_cluster_row, last_cluster_row)):
        if last < first:
            continue
        letter = get_column_letter([c.field for c in COLUMNS].index(field) + 1)
        validation = DataValidation(
            type="list", formula1=f"{source}!$A${first}:$A${last}", allow_blank=True,
            showErrorMessage=False,  # a 6-digit district code is accepted too
        )
        validation.add(f"{letter}2:{letter}1001")
        sheet.add_data_validation(validation)

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _template_sheet(workbook: Workbook, title: str, columns: tuple[Column, ...], *,
                    widths: dict[str, int], date_fields: tuple[str, ...] = ()):
    """The data sheet of an import template, the workbook's first: the header row of
    ``columns`` in bold on a fill, frozen, and the first thousand rows below it formatted as
    dates (``date_fields``) or text."""
    sheet = workbook.active
    sheet.title = title
    sheet.append([column.title for column in columns])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = fill
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = widths.get(column.field, 14)
        # Text format keeps long digit strings (codes, phone numbers) exactly as typed.
        number_format = "yyyy-mm-dd" if column.field in date_fields else "@"
        for row in range(2, 1002):
            sheet.cell(row=row, column=index).number_format = number_format
    return sheet

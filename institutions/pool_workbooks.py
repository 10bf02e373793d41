"""Excel template, import and export of the city's science-consulting expert pool
(市科技咨询专家库, R6a), on the registry import's machinery (``institutions.importers``): the
same refusal of hostile files before anything parses them, the same streamed reading by Chinese
column titles, and the same all-or-nothing result with a report of every bad row.

Every row is checked as ``services.pool.expert_create`` checks an expert — by the service's
own preparation (credit codes normalised, the title the pool requires, the model's field
checks) — and the experts are then written through ``expert_create``, in one transaction, so
that each one has the audit entry an expert entered by hand has, by the importing user.
Column titles and sheet content are Chinese data, not interface text; the reasons are
translated.
"""
from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Iterable, Iterator
from typing import IO, Any

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from reports.excel import cell

from .enums import ExpertStatus, Gender, TitleLevel
from .importers import (
    INSTRUCTIONS_SHEET_TITLE,
    Column,
    ImportResult,
    RowError,
    _audit_context,
    _filename,
    _parse_date,
    _refusal,
    _summary_entry,
    _template_sheet,
    _text,
    _validated_rows,
)
from .models import Cluster, Expert, User
from .services.pool import Employment, _check_clusters, _prepare, expert_create

# The pool's columns, in template order; exports add the two read-only ones below, so that an
# export can be imported again.
COLUMNS: tuple[Column, ...] = (
    Column("pool_number", "专家编号"),
    Column("name", "姓名"),
    Column("gender", "性别"),
    Column("employer_name", "工作单位"),
    Column("employer_credit_code", "工作单位统一社会信用代码"),
    Column("title", "职称"),
    Column("title_level", "职称级别"),
    Column("clusters", "可评审产业集群"),
    Column("phone", "手机"),
    Column("email", "电子邮箱"),
    Column("employments", "近三年其他工作单位", required=False),
)
# Written by exports, accepted and ignored by the import: an expert's status only changes
# through ``expert_suspend`` and ``expert_reinstate``; imported experts are active.
EXPORT_ONLY_TITLES = ("状态", "暂停原因")

DATA_SHEET_TITLE = "专家名录"
TEMPLATE_FILENAME = "市科技咨询专家库导入模板.xlsx"

_CLUSTER_SEPARATORS = re.compile(r"[、,，;；\n]")
_EMPLOYMENT_SEPARATORS = re.compile(r"[；;\n]")
_PART_SEPARATORS = re.compile(r"[|｜]")
# The columns ``expert_create`` takes as plain field values.
_PLAIN_FIELDS = ("pool_number", "name", "employer_name", "employer_credit_code", "title",
                 "phone", "email")
_TITLES = {column.field: column.title for column in COLUMNS}


@dataclasses.dataclass(frozen=True)
class _Row:
    """A checked row: what ``expert_create`` takes."""

    number: int
    fields: dict[str, str]
    clusters: tuple[Cluster, ...]
    employments: tuple[Employment, ...]


_WIDTHS = {"pool_number": 12, "employer_name": 32, "employer_credit_code": 24, "title": 16,
           "clusters": 28, "phone": 16, "email": 26, "employments": 60}


def expert_import(*, file: IO[bytes], actor: User | None) -> ImportResult:
    """Service: import an expert pool workbook, all or nothing.

    Preconditions: none on the file — anything wrong with it (refused by its size or its zip
    directory before it is opened, not an .xlsx, missing or unknown columns, no rows, any bad
    row) comes back in ``ImportResult.errors`` and nothing is written.
    Side effects, for a good file: the experts, active, with their clusters and past
    employers, by ``expert_create`` in one transaction — each with its CREATE entry by
    ``actor``, marked with the file and row — and one summary entry for the import.
    """
    refusal = _refusal(file)
    rows, errors = ([], [RowError(None, "", refusal)]) if refusal else _validated_rows(
        file, columns=COLUMNS, export_only=EXPORT_ONLY_TITLES, check_rows=_check_rows,
        check_existing=_check_against_pool)
    if not rows and not errors:
        errors = [RowError(None, "", _("The sheet has no expert rows under its header."))]
    if not errors:
        try:
            with transaction.atomic():
                _write(rows, actor=actor, filename=_filename(file))
        except (IntegrityError, ValidationError):
            # Another import or a hand entry took one of these pool numbers since the check.
            errors = [RowError(None, "", _(
                "The expert pool changed while the file was being imported; nothing was "
                "imported. Please import the file again."))]
    return ImportResult(created=0 if errors else len(rows), errors=errors)


# --- Reading and checking ------------------------------------------------------------------

def _chinese_labels(choices) -> dict[str, str]:
    """``{label: value}`` of ``choices`` in the Chinese interface's words (the sheet's)."""
    with translation.override("zh-hans"):
        return {str(label): value for value, label in choices}


def _check_rows(records: Iterable[tuple[int, dict[str, Any]]], errors: list[RowError],
                first_row_of_number: dict[str, int]) -> Iterator[_Row]:
    """Check each row on its own and against the earlier rows; fills ``first_row_of_number``
    with every valid pool number and the row it first appears in."""
    genders = _chinese_labels(Gender.choices)
    levels = _chinese_labels(TitleLevel.choices)
    clusters = {cluster.name: cluster for cluster in Cluster.objects.all()}
    for number, record in records:
        problems: dict[str, list[str]] = {}

        def fail(field: str, reason: str, problems: dict[str, list[str]] = problems) -> None:
            problems.setdefault(field, []).append(reason)

        fields = {field: _text(record.get(field)) for field in _PLAIN_FIELDS}
        fields["gender"] = _choice(record.get("gender"), genders, "gender", fail, _(
            "Unknown gender “%(value)s”: enter 男 or 女."))
        fields["title_level"] = _choice(record.get("title_level"), levels, "title_level", fail, _(
            "Unknown title level “%(value)s”: enter one of %(choices)s."))
        chosen = _clusters(record.get("clusters"), clusters, fail)
        employments = _employments(record.get("employments"), fail)

        expert = Expert(**fields)
        _service_check(expert, employments, fail, unread=set(problems))
        if chosen is not None:
            try:
                _check_clusters(chosen)
            except ValidationError as exc:
                for field, message in _messages(exc):
                    fail(field, message)
        if "pool_number" not in problems and expert.pool_number:
            if expert.pool_number in first_row_of_number:
                fail("pool_number", _("Pool number %(number)s also appears in row %(row)d.")
                     % {"number": expert.pool_number,
                        "row": first_row_of_number[expert.pool_number]})
            else:
                first_row_of_number[expert.pool_number] = number

        if problems:
            errors.extend(RowError(number, _TITLES.get(field, ""), reason)
                          for field, reasons in problems.items() for reason in reasons)
            continue
        prepared = {name: getattr(expert, name) for name in fields}
        yield _Row(number, prepared, tuple(chosen), tuple(employments))


def _service_check(expert: Expert, employments: list[Employment], fail, *,
                   unread: set[str]) -> None:
    """The checks of ``expert_create`` (``services.pool._prepare``): the expert's fields, then,
    for an expert that passes them, each past employer on its own so that the report names
    it. A cell already reported as ``unread`` is not reported again by the model's check.
    ``expert`` is left normalised (pool number, credit code)."""
    try:
        _prepare(expert, ())
    except ValidationError as exc:
        for field, message in _messages(exc):
            if field not in unread:
                fail(field, message)
        # ``_prepare`` checks past employers only for an expert whose own fields pass.
        return
    for entry, job in enumerate(employments, start=1):
        try:
            _prepare(expert, [job])
        except ValidationError as exc:
            for _field, message in _messages(exc):
                fail("employments", _("Past employer %(entry)d: %(reason)s")
                     % {"entry": entry, "reason": message})


def _messages(exc: ValidationError) -> Iterator[tuple[str, str]]:
    """A service's errors as ``(column field, message)``. A pool number taken is left to
    ``_check_against_pool``, which names the expert who has it."""
    by_field = getattr(exc, "error_dict", None) or {NON_FIELD_ERRORS: exc.error_list}
    for field, field_errors in by_field.items():
        for error in field_errors:
            if field == "pool_number" and error.code == "unique":
                continue
            for message in error.messages:
                yield (field if field in _TITLES else ""), message


def _choice(value: Any, labels: dict[str, str], field: str, fail, unknown: str) -> str:
    """The stored value of a choice given by its Chinese label (or its stored value); blank
    for a blank cell, which the model's check reports."""
    text = _text(value)
    if not text or text in labels.values():
        return text
    if text in labels:
        return labels[text]
    fail(field, unknown % {"value": text, "choices": "、".join(labels)})
    return ""


def _clusters(value: Any, clusters: dict[str, Cluster], fail) -> list[Cluster] | None:
    """The clusters named in the cell; None when one of them is unknown (reported)."""
    chosen: list[Cluster] = []
    unknown = False
    for name in filter(None, (part.strip() for part in _CLUSTER_SEPARATORS.split(_text(value)))):
        if name not in clusters:
            fail("clusters", _("Unknown industry cluster “%(value)s”: use a cluster name from "
                               "the instructions sheet.") % {"value": name})
            unknown = True
        elif clusters[name] not in chosen:
            chosen.append(clusters[name])
    return None if unknown else chosen


def _employments(value: Any, fail) -> list[Employment]:
    """The past employers of the cell: entries ``单位名称|信用代码|起始日期|截止日期``
    separated by ；, the dates optional (reported entry by entry)."""
    jobs: list[Employment] = []
    entries = [entry.strip() for entry in _EMPLOYMENT_SEPARATORS.split(_text(value))]
    for index, entry in enumerate(filter(None, entries), start=1):
        parts = [part.strip() for part in _PART_SEPARATORS.split(entry)]
        if not 2 <= len(parts) <= 4:
            fail("employments", _("Past employer %(entry)d: “%(value)s” is not "
                                  "单位名称|信用代码|起始日期|截止日期 (the dates may be left "
                                  "out).") % {"entry": index, "value": entry})
            continue
        parts += [""] * (4 - len(parts))
        dates = []
        for text in parts[2:]:
            date = _parse_date(text) if text else None
            if text and date is None:
                fail("employments", _("Past employer %(entry)d: “%(value)s” is not a date: "
                                      "enter it as YYYY-MM-DD.") % {"entry": index,
                                                                   "value": text})
            dates.append(date)
        jobs.append(Employment(parts[0], parts[1], *dates))
    return jobs


def _check_against_pool(first_row_of_number: dict[str, int], errors: list[RowError]) -> None:
    """Pool numbers already in the pool, looked up in chunks (SQLite limits query
    parameters), also on rows with other errors, so that one report says all."""
    numbers = list(first_row_of_number)
    chunk = 500
    for start in range(0, len(numbers), chunk):
        taken = Expert.objects.filter(pool_number__in=numbers[start:start + chunk])
        for pool_number, name in taken.values_list("pool_number", "name"):
            errors.append(RowError(first_row_of_number[pool_number], _TITLES["pool_number"], _(
                "An expert with pool number %(number)s is already in the pool: %(name)s.")
                % {"number": pool_number, "name": name}))


# --- Writing -------------------------------------------------------------------------------

def _write(rows: list[_Row], *, actor: User | None, filename: str) -> None:
    """Each expert through ``expert_create`` (its audit entry by ``actor``, marked with the
    file and row as the registry import marks its entries), then a summary entry."""
    content_type = ContentType.objects.get_for_model(Expert)
    created = []
    for row in rows:
        expert = expert_create(actor=actor, clusters=row.clusters, employments=row.employments,
                               **row.fields)
        LogEntry.objects.filter(content_type=content_type, object_id=expert.pk,
                                action=LogEntry.Action.CREATE).update(
            additional_data={"expert_import": {"file": filename, "row": row.number}})
        created.append(expert.pk)
    _summary_entry(
        content_type, "expert_import",
        _("Expert pool import of %(count)d experts from %(file)s") % {
            "count": len(rows), "file": filename or "-"},
        {"file": filename, "created": len(rows), "first_pk": min(created),
         "last_pk": max(created)},
        _audit_context(actor))


# --- The template --------------------------------------------------------------------------

_NOTES = (
    ("pool_number", "必填", "专家在库中的编号，由字母、数字和连字符组成，如 E0101；"
                           "不得与文件中其他行或库中已有专家重复。"),
    ("name", "必填", "如 王强。"),
    ("gender", "必填", "男 或 女。"),
    ("employer_name", "必填", "现工作单位全称，如 中国矿业大学。"),
    ("employer_credit_code", "必填", "现工作单位的 18 位统一社会信用代码（GB 32100-2015），"
                                    "校验位须正确，如 12320300466012345E。"),
    ("title", "必填", "如 教授、研究员、正高级工程师。"),
    ("title_level", "必填", "正高级职称、副高级职称、中级职称 或 初级职称；专家库只收{level}"
                           "及以上的专家。"),
    ("clusters", "必填", "专家可评审的产业集群，填写下表中的集群名称，多个用“、”“，”或“；”分隔，"
                        "如 工程机械、新材料。"),
    ("phone", "必填", "如 13900000000。"),
    ("email", "必填", "如 wangqiang@example.cn。"),
    ("employments", "可不填", "近三年在其他单位任职的，每个单位写作“单位名称|信用代码|起始日期|"
                             "截止日期”，日期按 YYYY-MM-DD 填写、可不填，多个单位用“；”分隔，如 "
                             "徐州工程机械研究院|91320302MA1N0A2B3N|2019-01-01|2024-06-30。"
                             "本列也可以删除。"),
)


def expert_template_workbook() -> bytes:
    """The upload template: the header row on the first sheet (no sample row there: it would
    be imported), and on the second what each column takes, with an example, and the valid
    clusters; the gender and title-level columns get drop-down lists."""
    workbook = Workbook()
    sheet = _template_sheet(workbook, DATA_SHEET_TITLE, COLUMNS, widths=_WIDTHS)
    notes = workbook.create_sheet(INSTRUCTIONS_SHEET_TITLE)
    for letter, width in zip("ABC", (26, 10, 90), strict=True):
        notes.column_dimensions[letter].width = width
    notes.append(["市科技咨询专家库导入说明"])
    notes["A1"].font = Font(bold=True, size=14)
    notes.append(["在“专家名录”工作表中每行填写一位专家，第 1 行为列标题，请勿修改或删除。"
                  "文件中任一行有误时不导入任何专家，系统将列出所有错误所在的行、列及原因。"
                  "从系统导出的专家名录可直接导入，其中“状态”“暂停原因”两列在导入时不读取，"
                  "导入的专家均为在库状态。"])
    notes.append([])
    bold = Font(bold=True)
    notes.append(["列标题", "是否必填", "填写要求及示例"])
    for heading in notes[notes.max_row]:
        heading.font = bold
    least = {value: label for label, value in _chinese_labels(TitleLevel.choices).items()}[
        settings.EXPERT_MIN_TITLE_LEVEL]
    for field, required, note in _NOTES:
        notes.append([_TITLES[field], required, note.format(level=least)])
    notes.append([])
    notes.append(["产业集群"])
    notes.cell(row=notes.max_row, column=1).font = bold
    first = notes.max_row + 1
    for name in Cluster.objects.values_list("name", flat=True):
        notes.append([name])
    if notes.max_row >= first:
        # A list to pick one from; several, typed with separators, are accepted too.
        _drop_down(sheet, "clusters", f"{quote_sheetname(INSTRUCTIONS_SHEET_TITLE)}"
                   f"!$A${first}:$A${notes.max_row}", strict=False)
    _drop_down(sheet, "gender", '"{}"'.format(",".join(_chinese_labels(Gender.choices))))
    _drop_down(sheet, "title_level",
               '"{}"'.format(",".join(_chinese_labels(TitleLevel.choices))))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _drop_down(sheet, field: str, formula: str, *, strict: bool = True) -> None:
    letter = get_column_letter([column.field for column in COLUMNS].index(field) + 1)
    validation = DataValidation(type="list", formula1=formula, allow_blank=True,
                                showErrorMessage=strict)
    validation.add(f"{letter}2:{letter}1001")
    sheet.add_data_validation(validation)


# --- The export ----------------------------------------------------------------------------

def expert_workbook(experts: QuerySet[Expert]) -> bytes:
    """The experts of ``experts`` (filtered by the caller), in its order, as a workbook of the
    import's columns plus the status and the reason for a suspension; rows are streamed
    (write-only mode) and read with their clusters and past employers in a few queries per
    2,000 experts."""
    genders = {value: label for label, value in _chinese_labels(Gender.choices).items()}
    levels = {value: label for label, value in _chinese_labels(TitleLevel.choices).items()}
    statuses = {value: label for label, value in _chinese_labels(ExpertStatus.choices).items()}
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(DATA_SHEET_TITLE)
    widths = [*(_WIDTHS.get(column.field, 14) for column in COLUMNS), 8, 30]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    header = Font(bold=True)
    sheet.append([cell(sheet, title, font=header)
                  for title in (*_TITLES.values(), *EXPORT_ONLY_TITLES)])
    for expert in experts.prefetch_related("clusters", "employments").iterator(chunk_size=2000):
        values = [
            expert.pool_number, expert.name, genders.get(expert.gender, expert.gender),
            expert.employer_name, expert.employer_credit_code, expert.title,
            levels.get(expert.title_level, expert.title_level),
            "、".join(cluster.name for cluster in expert.clusters.all()),
            expert.phone, expert.email,
            "；".join(_employment_text(job) for job in expert.employments.all()),
            statuses.get(expert.status, expert.status), expert.suspension_reason,
        ]
        sheet.append([cell(sheet, value) for value in values])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _employment_text(job) -> str:
    """A past employer as the import reads it: name|code|from|until, blank dates left empty
    (trailing ones dropped)."""
    parts = [job.employer_name, job.credit_code,
             job.started_on.isoformat() if job.started_on else "",
             job.ended_on.isoformat() if job.ended_on else ""]
    while not parts[-1]:
        parts.pop()
    return "|".join(parts)

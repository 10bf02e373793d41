"""Excel output shared by every export of the app: the content type and a safe write-only cell."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cell(sheet, value: Any, *, font: Font | None = None, alignment: Alignment | None = None,
         fill: PatternFill | None = None, number_format: str | None = None) -> WriteOnlyCell:
    """A cell of a write-only sheet: text stripped of what Excel cannot hold and never read as
    a formula (a name typed as "=…" must not run), local wall-clock times (Excel has no time
    zones), dates and ``number_format`` applied to decimals."""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    result = WriteOnlyCell(sheet, value=value if value != "" else None)
    if isinstance(value, str) and value.startswith("="):
        result.data_type = "s"
    if isinstance(value, dt.datetime):
        result.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, dt.date):
        result.number_format = "yyyy-mm-dd"
    elif isinstance(value, Decimal) and number_format:
        result.number_format = number_format
    for attribute, style in (("font", font), ("alignment", alignment), ("fill", fill)):
        if style is not None:
            setattr(result, attribute, style)
    return result


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """A workbook as a download, its (Chinese) name kept: RFC 6266's ASCII fallback plus
    ``filename*=UTF-8''``."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response

"""The Excel list of the logins handed out after a bulk creation of institution administrator
accounts: who logs in as what, and where the link to set the password went. Never a password:
each user sets their own from the e-mailed link."""
from __future__ import annotations

import io
from collections.abc import Iterable

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from reports.excel import cell

from .models import User

# Sheet content is Chinese data for the bureau's files, whatever the interface language (as
# the registry's workbook).
SHEET_TITLE = "单位管理员账号"
HEADER = ("用户名", "单位名称", "统一社会信用代码", "所属地区", "电子邮箱", "账号状态", "创建时间")
_WIDTHS = (30, 40, 24, 22, 30, 10, 18)


def institution_admin_logins_workbook(accounts: Iterable[User]) -> bytes:
    """``accounts`` (institution administrators, their institution and district selected) as
    an .xlsx workbook, one row each, in their order."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    for index, width in enumerate(_WIDTHS):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([cell(sheet, title, font=bold) for title in HEADER])
    for account in accounts:
        institution = account.institution
        # Excel has no time zones: the local time of Xuzhou, as the pages show it.
        joined = cell(sheet, timezone.localtime(account.date_joined)
                       .replace(tzinfo=None, microsecond=0))
        joined.number_format = "yyyy-mm-dd hh:mm"
        sheet.append([
            cell(sheet, account.username),
            cell(sheet, institution.name),
            cell(sheet, institution.credit_code),
            cell(sheet, institution.district.name),
            cell(sheet, account.email),
            cell(sheet, "启用" if account.is_active else "停用"),
            joined,
        ])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

"""The results of a cycle as a workbook (Art 7, 13; R9): every participant with its tier and
explanation, then the counts against the quotas, R9's checks and their justification. Built
from the results page's reads (``selectors.results``) in the language of the request."""
from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from reports.excel import cell

from ..enums import PreliminaryGroup
from ..selectors.results import ExportRow, ResultsSummary


def results_workbook(summary: ResultsSummary, rows: list[ExportRow]) -> Workbook:
    """Two sheets: the participants (one row each: credit code, name, district, cluster,
    preliminary group and district rank, panel score, tier and its explanation) and the
    summary (the quotas, each tier's count, R9's checks, the rule version, the seed, the
    digest and the justification). The caller saves it."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    sheet = workbook.create_sheet(_("Results"))
    sheet.freeze_panes = "A2"
    header = [_("Unified social credit code"), _("Institution"), _("District"),
              _("Industry cluster"), _("Preliminary group"), _("District rank"),
              _("Panel score"), _("Tier"), _("Explanation")]
    sheet.append([cell(sheet, title, font=bold) for title in header])
    groups = dict(PreliminaryGroup.choices)
    for row in rows:
        sheet.append([cell(sheet, value, number_format="0.00") for value in (
            row.credit_code, row.name, row.district, row.cluster,
            str(groups.get(row.group, row.group)), row.district_rank, row.panel_score,
            row.tier, row.explanation)])

    totals = workbook.create_sheet(_("Summary"))
    results, q = summary.results, summary.quotas
    yes, no = pgettext("check", "Passed"), pgettext("check", "Failed")
    lines = [
        [_("Participants (N)"), q["N"]],
        [_("Excellent places (E)"), q["E"]],
        [_("Good places (G)"), q["G"]],
        [_("Cap on excellent and good (K)"), q["K"]],
        [_("Least number of unqualified (F)"), q["F"]],
        [_("Spot check size (S)"), q["S"]],
        [],
        *[[label, summary.counts[tier]] for tier, label, _tone in summary.tiers],
        [],
        *[[check.label, check.count, check.limit, yes if check.passed else no]
          for check in summary.checks],
        [],
        [_("Justification of the failed checks"), results.justification or None],
        [_("Rule version"), results.rule_version],
        [_("Spot check seed"), results.seeds.get("spot_check") or None],
        [_("SHA-256 of the inputs and results"), results.digest],
        [_("Computed at"), results.computed_at],
    ]
    for line in lines:
        totals.append([cell(totals, value, font=bold if n == 0 else None)
                       for n, value in enumerate(line)])
    return workbook

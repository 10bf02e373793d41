"""The ranking table's rows, rendered in Python.

Through the template each row of the ranking cost some 1,600 Python calls (its conditionals,
a dozen translations, the localised numbers): the rows were a quarter of the page for a
district of five and nearly all of it for a district of 2,000. Written here, a row costs a
small fraction of that. The markup is the template loop's, unchanged
(``tests/test_widgets.py`` renders both and compares them); ``static/js/ranking.js`` reads it.
"""
from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()

_ICON_UP = mark_safe('<i class="bi bi-arrow-up" aria-hidden="true"></i>')
_ICON_DOWN = mark_safe('<i class="bi bi-arrow-down" aria-hidden="true"></i>')


@register.simple_tag(takes_context=True)
def ranking_table_rows(context, rows) -> SafeString:
    """The ``<tr>`` of each ``RankingRow``, as the page shows them to a reviewer who may edit
    (``can_edit``; ``row_fields``: the rows' inputs are posted without JavaScript) or to a
    reader."""
    if not rows:
        return format_html('<tr><td colspan="9" class="text-muted">{}</td></tr>',
                           _("No institution of this district takes part in this cycle."))
    can_edit, row_fields = context.get("can_edit"), context.get("row_fields")
    text = {
        "drag": _("Drag to move"), "fraud": _("Fraud confirmed: unqualified (Art 9)"),
        "moved": _("moved against the scores"),
        "reason_help": _("This place is against the order of the scores: give a written "
                         "reason here or on the institution it passed (Art 10)."),
        "tie_confirm": _("Order of these equal scores confirmed"),
        "confirmed": _("Order confirmed"), "not_confirmed": _("Order not confirmed"),
        # Patterns translated once for the table, filled in row by row.
        "up": _("Move %(name)s up"), "down": _("Move %(name)s down"),
        "reason": _("Reason for the place of %(name)s"),
        "incomplete": _("review incomplete %(done)s/%(total)s"),
        "tie": _("Equal scores, set %(number)s"),
    }
    review_url = reverse("evaluations:participant_review", args=[0]).rsplit("0", 1)
    last = len(rows) - 1
    return mark_safe("\n".join(
        _row(row, index == 0, index == last, can_edit, row_fields, text, review_url,
             context.get("indicator_count"))
        for index, row in enumerate(rows)))


def _row(row, first, last, can_edit, row_fields, text, review_url, indicator_count) -> str:
    p = row.participant
    pk, name = p.pk, p.institution.name
    # Whole numbers print as the template printed them (no thousands separator is set).
    cells = [format_html('<td class="ranking-place"><span data-place>{}</span></td>',
                         row.place)]
    if can_edit:
        cells.append(format_html(
            '<td class="text-nowrap"><span class="ranking-handle" data-handle draggable="true" '
            'title="{}" aria-hidden="true"><i class="bi bi-grip-vertical"></i></span>'
            '<button type="submit" name="move" value="{}:up" class="btn btn-outline-secondary '
            'btn-sm" data-move="up" aria-label="{}"{}>{}</button>'
            '<button type="submit" name="move" value="{}:down" class="btn btn-outline-secondary '
            'btn-sm" data-move="down" aria-label="{}"{}>{}</button></td>',
            text["drag"], pk, text["up"] % {"name": name},
            mark_safe(" disabled" if first else ""), _ICON_UP, pk,
            text["down"] % {"name": name}, mark_safe(" disabled" if last else ""),
            _ICON_DOWN))
    fraud = (format_html('<span class="badge text-bg-danger" data-testid="fraud-badge"><i '
                         'class="bi bi-exclamation-octagon" aria-hidden="true"></i> {}</span>',
                         text["fraud"]) if p.fraud_confirmed_at else "")
    cells.append(format_html(
        '<td><span class="fw-semibold">{}</span>{}<span class="badge text-bg-warning" '
        'data-moved data-testid="moved"{}><i class="bi bi-arrow-down-up" aria-hidden="true">'
        '</i> {}</span></td>', name, fraud, mark_safe("" if row.moved else " hidden"),
        text["moved"]))
    cells.append(format_html('<td class="credit-code">{}</td><td class="text-nowrap">{}</td>',
                             p.institution.credit_code, p.submission.cluster.name))
    if p.score is not None:
        score = localize(p.score)
    else:
        score = format_html(
            '<a href="{}{}{}" class="text-danger" data-testid="review-incomplete">{}</a>',
            review_url[0], pk, review_url[1],
            text["incomplete"] % {"done": p.reviewed, "total": indicator_count})
    cells.append(format_html('<td class="text-end">{}</td>', score))
    cells.append(format_html('<td><span class="badge ranking-group-badge" data-group-badge '
                             'data-testid="group">{}</span></td>', row.group))
    cells.append(format_html("<td>{}</td>", _reason_cell(row, pk, can_edit, row_fields, text)))
    cells.append(format_html("<td>{}</td>", _tie_cell(row, pk, can_edit, row_fields, text)))
    score_data = "" if p.score is None else str(p.score)
    return format_html(
        '<tr class="ranking-row{}" data-testid="ranking-row" data-pid="{}" data-score="{}" '
        'data-group="{}" data-name="{}"{}>{}</tr>',
        mark_safe(" ranking-tie" if row.tie else ""), pk, score_data, row.group, name,
        mark_safe(' tabindex="0"' if can_edit else ""), mark_safe("".join(cells)))


def _reason_cell(row, pk, can_edit, row_fields, text) -> str:
    if not can_edit:
        return format_html('<span data-testid="reason">{}</span>', row.reason or "—")
    invalid = row.needs_reason
    return format_html(
        '<label class="visually-hidden" for="reason-{}">{}</label><input type="text" '
        'class="form-control form-control-sm{}" id="reason-{}"{} value="{}" maxlength="2000" '
        'data-reason data-row-field aria-describedby="reason-help-{}"{}>'
        '<div class="invalid-feedback" id="reason-help-{}">{}</div>',
        pk, text["reason"] % {"name": row.participant.institution.name},
        mark_safe(" is-invalid" if invalid else ""), pk,
        format_html(' name="reason-{}"', pk) if row_fields else mark_safe(" readonly"),
        row.reason, pk, mark_safe(' aria-invalid="true"' if invalid else ""), pk,
        text["reason_help"])


def _tie_cell(row, pk, can_edit, row_fields, text) -> str:
    if not row.tie:
        return ""
    flag = format_html('<span class="badge text-bg-warning" data-testid="tie-flag">{}</span>',
                       text["tie"] % {"number": row.tie})
    if can_edit:
        return format_html(
            '{}<div class="form-check mb-0"><input class="form-check-input" type="checkbox"{} '
            'id="tie-{}" data-testid="tie-confirm" data-tie data-row-field{}>'
            '<label class="form-check-label small" for="tie-{}">{}</label></div>',
            flag, format_html(' name="tie-{}"', pk) if row_fields else mark_safe(" disabled"),
            pk, mark_safe(" checked" if row.tie_confirmed else ""), pk, text["tie_confirm"])
    if row.tie_confirmed:
        return format_html('{}<div class="small text-success">{}</div>', flag,
                           text["confirmed"])
    return format_html('{}<div class="small text-danger">{}</div>', flag, text["not_confirmed"])

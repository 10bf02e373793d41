"""PDF output: render a template to bytes with WeasyPrint. Chinese text needs the Noto CJK
fonts (Debian fonts-noto-cjk), named in the stylesheet and inside @page."""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.template.loader import render_to_string

STYLESHEET = settings.BASE_DIR / "static" / "css" / "report-pdf.css"


def render_pdf(template: str, context: dict,
               progress: Callable[[int], None] | None = None) -> bytes:
    """The PDF of ``template`` rendered with ``context``, styled by ``report-pdf.css``."""
    from weasyprint import CSS, HTML  # imported late: Pango is not needed by the web pages

    html = render_to_string(template, context)
    if progress:
        progress(30)
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render(
        stylesheets=[CSS(filename=str(STYLESHEET))])
    if progress:
        progress(80)
    return document.write_pdf()

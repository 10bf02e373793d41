"""PDF output: render a template to bytes with WeasyPrint. Chinese text needs the Noto CJK
fonts (Debian fonts-noto-cjk), named in the stylesheet and inside @page.

``render_pdf`` makes one document. ``render_pdf_in_chunks`` makes a long table (thousands of
rows) fast and in bounded memory: WeasyPrint's time and memory grow with the boxes of one
document, so the rows are rendered a chunk at a time as separate documents, in parallel
processes, merged, and numbered afterwards.
"""
from __future__ import annotations

import hashlib
import io
import math
import string
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

STYLESHEET = settings.BASE_DIR / "static" / "css" / "report-pdf.css"

# A document's PDF, its number of pages and the anchors (ids) laid out on its last page.
Rendered = tuple[bytes, int, frozenset[str]]
# The id a chunked template gives each row (``row_offset`` plus its place in the chunk), so
# that the rows on a chunk's last page can be found.
ROW_ANCHOR = "row-"
DOCUMENT_TIMEOUT = 600  # seconds for one chunk, whatever the load


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


def render_pdf_in_chunks(template: str, context: dict, rows: Sequence, *, chunk_size: int,
                         stylesheet: Path, page_numbers_template: str, workers: int = 2,
                         progress: Callable[[int], None] | None = None) -> bytes:
    """The PDF of ``template`` for all of ``rows``, rendered ``chunk_size`` rows at a time.

    Each chunk is a document of its own: ``template`` gets ``context`` plus ``rows`` (the
    chunk), ``row_offset`` (the index of its first row), ``first_chunk`` and ``last_chunk``
    (to print a heading once and a closing block once). Up to ``workers`` processes render
    the chunks; the parts are merged in order.

    A chunk starts on a new page, so the last one, which carries the closing block (the
    signatures), would start a page even when the table left room on the page before. When
    the template gives each row the id ``row-<index>`` (``ROW_ANCHOR``), the rows that the
    chunk before it left on its last page are rendered again at the start of the last chunk
    and that page is dropped: the closing block follows the table where it ends.

    A chunk cannot know on which page it starts, so the stylesheet prints no page counter:
    ``page_numbers_template``, rendered with ``pages`` (a range of page numbers) and ``total``
    and styled by the same stylesheet, makes one page per page number, laid over the merged
    pages. ``progress`` gets a percentage after each chunk.
    """
    starts = list(range(0, len(rows), chunk_size)) or [0]
    css = str(stylesheet)

    def job(start: int, end: int, *, first: bool, last: bool) -> tuple[str, str]:
        return (render_to_string(template, {**context, "rows": rows[start:end],
                                            "row_offset": start, "first_chunk": first,
                                            "last_chunk": last}), css)

    with _renderer(workers, css) as render:
        head = [job(start, start + chunk_size, first=k == 0, last=False)
                for k, start in enumerate(starts[:-1])]
        parts = []
        for done, part in enumerate(render(head), start=1):
            parts.append(part)
            if progress:
                progress(5 + 85 * done // len(starts))
        last_start, with_heading = starts[-1], len(starts) == 1
        if parts:
            carried = _rows_on_last_page(parts[-1][2], starts[-2], last_start)
            if carried is not None:
                pdf, pages, _anchors = parts.pop()
                if carried > starts[-2]:  # the chunk keeps its pages but the last
                    parts.append((_first_pages(pdf, pages - 1), pages - 1, frozenset()))
                else:  # the whole chunk was on one page: it goes over entirely
                    with_heading = len(starts) == 2
                last_start = carried
        parts.extend(render([job(last_start, len(rows), first=with_heading, last=True)]))
        if progress:
            progress(90)
        total = sum(pages for _pdf, pages, _anchors in parts)
        # The numbering pages are cheap but many: they are shared out like the chunks.
        share = math.ceil(total / max(workers, 1))
        numbers = [pdf for pdf, _pages, _anchors in render([
            (render_to_string(page_numbers_template, {
                "pages": range(first, min(first + share, total + 1)), "total": total}), css)
            for first in range(1, total + 1, share)])]
    return merge_pdfs([pdf for pdf, _pages, _anchors in parts], overlays=numbers)


def _rows_on_last_page(anchors: frozenset[str], start: int, end: int) -> int | None:
    """The index of the first of rows ``start``…``end`` laid out on a chunk's last page (from
    the ids of that page), or None when the template gives its rows no ids."""
    indexes = []
    for anchor in anchors:
        if anchor.startswith(ROW_ANCHOR) and anchor[len(ROW_ANCHOR):].isdigit():
            index = int(anchor[len(ROW_ANCHOR):])
            if start <= index < end:
                indexes.append(index)
    return min(indexes) if indexes else None


def _first_pages(pdf: bytes, count: int) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(pdf)), pages=(0, count))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _html_to_pdf(job: tuple[str, str]) -> Rendered:
    """One document, from its HTML and the path of its stylesheet: its PDF, its number of
    pages and the anchors of its last page."""
    from weasyprint import CSS, HTML

    html, stylesheet = job
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render(
        stylesheets=[CSS(filename=stylesheet)])
    last = frozenset(document.pages[-1].anchors) if document.pages else frozenset()
    return document.write_pdf(), len(document.pages), last


# A line of text laid out and embedded: fontconfig, Pango and HarfBuzz set up with the fonts.
_WARM_UP = "<!doctype html><html lang=zh-hans><body><p>汉字 123</p></body></html>"


@contextmanager
def _renderer(workers: int, stylesheet: str) -> Iterator[Callable[[list], Iterator[Rendered]]]:
    """A function rendering documents (``_html_to_pdf`` jobs), yielding each result in order
    as it is done: in this process, or in a pool of ``workers`` processes.

    The processes are forked from this one (nothing to import or set up again) with
    billiard, Celery's fork of multiprocessing, because a Celery worker's process is a daemon
    and the standard library refuses to start children from one. WeasyPrint's fonts are set
    up here first, so that the children share them instead of each loading its own. The
    children only run WeasyPrint on the HTML they are given. A process running other threads
    (a threaded development server running the task eagerly) renders by itself: a child
    forked from it could wait forever on a lock one of those threads held."""
    if workers <= 1 or threading.active_count() > 1:
        yield lambda jobs: map(_html_to_pdf, jobs)
        return
    import billiard

    _html_to_pdf((_WARM_UP, str(stylesheet)))
    with billiard.get_context("fork").Pool(workers) as pool:
        # A document that never comes back (a lost worker) fails the render, not hangs it.
        yield lambda jobs: (result.get(timeout=DOCUMENT_TIMEOUT) for result in [
            pool.apply_async(_html_to_pdf, (job,)) for job in jobs])


def merge_pdfs(parts: Sequence[bytes], *, overlays: Sequence[bytes] = ()) -> bytes:
    """The pages of ``parts`` in order as one PDF; the k-th page of ``overlays`` (in order),
    when given, is drawn over page k (the page numbers of a chunked document).

    WeasyPrint names a font subset after the font alone, so every part calls its own subset
    of Noto Sans CJK by the same name; they are renamed apart, since a printer or viewer that
    caches fonts by name would otherwise draw one part's text with another part's glyphs.
    """
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for number, part in enumerate(parts):
        reader = PdfReader(io.BytesIO(part))
        _rename_font_subsets(reader, salt=f"part-{number}")
        writer.append(reader)
    if overlays:
        over = []
        for number, overlay in enumerate(overlays):
            reader = PdfReader(io.BytesIO(overlay))
            _rename_font_subsets(reader, salt=f"overlay-{number}")
            over.extend(reader.pages)
        if len(over) != len(writer.pages):
            raise ValueError(f"{len(over)} overlay pages for {len(writer.pages)} pages")
        for page, drawn_over in zip(writer.pages, over, strict=True):
            page.merge_page(drawn_over)
            page.compress_content_streams()  # merging leaves them uncompressed: 4× the file
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _rename_font_subsets(reader, *, salt: str) -> None:
    """Give each subset font of ``reader`` (``ABCDEF+Name``) a tag of its own."""
    from pypdf.generic import NameObject

    seen: set[int] = set()
    for page in reader.pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for reference in fonts.values():
            key = getattr(reference, "idnum", None) or id(reference)
            if key in seen:
                continue
            seen.add(key)
            font = reference.get_object()
            for holder in (font, *(d.get_object() for d in font.get("/DescendantFonts", []))):
                for entry, target in (("/BaseFont", holder),
                                      ("/FontName", holder.get("/FontDescriptor"))):
                    target = target.get_object() if target is not None else {}
                    name = str(target.get(entry, ""))
                    if len(name) > 8 and name[7] == "+":  # "/ABCDEF+Name"
                        target[NameObject(entry)] = NameObject(
                            f"/{_subset_tag(name, salt)}+{name[8:]}")


def _subset_tag(name: str, salt: str) -> str:
    """Six capital letters, as PDF subset tags are, derived from the name and ``salt``."""
    digest = hashlib.sha256(f"{salt}:{name}".encode()).digest()
    return "".join(string.ascii_uppercase[b % 26] for b in digest[:6])

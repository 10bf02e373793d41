"""What the demo needs besides the services: a clock of its own, one password hash, a budget of
real PDF renderings, and small PDF files to upload.

The demo writes nothing itself: every row is made by the service a user's action would call.
Three things no service should allow are done by substituting what lies outside the project,
and only while the demo runs:

- **The past.** A running stage needs things done days ago (reports filled in over the weeks
  the stage has been open, a rectification notice now overdue). ``clock`` moves Django's
  ``timezone.now`` to that moment, so the services check and record the moment the demo acts
  at, exactly as they would have then.
- **Password hashing.** Argon2 is slow on purpose; the demo creates some 130 accounts with
  the same password. ``demo_shortcuts`` hashes a password once and gives every account
  created with it that hash.
- **WeasyPrint** takes about a second per report. ``demo_shortcuts`` lets the first documents
  of a kind render for real and gives the next ones a copy of the first (another
  institution's report, another district's summary): the rows, digests and scans are still
  the services' own.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from unittest import mock

from django.contrib.auth import base_user
from django.utils import timezone

from ..services import reports as report_service
from ..services import summary_pdf as summary_service

RENDERED_REPORTS = 2  # self-evaluation reports rendered for real, per stage of the demo
RENDERED_SUMMARIES = 1  # district summaries rendered for real


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """``day`` at ``hour:minute``, Asia/Shanghai (the current time zone)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@contextmanager
def clock(moment: dt.datetime) -> Iterator[None]:
    """Run the block as if it were ``moment``: ``timezone.now()`` (and with it
    ``timezone.localdate()``, the ``auto_now`` fields and every date check of the services)
    starts at ``moment`` and goes on at the real pace, so that what the block does keeps its
    order. Nested clocks compose."""
    outer_now = timezone.now
    offset = moment - outer_now()
    with mock.patch.object(timezone, "now", lambda: outer_now() + offset):
        yield


class _Budget:
    """``render`` for the first ``real`` calls, then a copy of the first result."""

    def __init__(self, render: Callable[..., bytes], real: int) -> None:
        self.render, self.real, self.first = render, real, None

    def __call__(self, *args, **kwargs) -> bytes:
        if self.real > 0 or self.first is None:
            self.real -= 1
            pdf = self.render(*args, **kwargs)
            self.first = self.first or pdf
            return pdf
        return self.first


@contextmanager
def demo_shortcuts() -> Iterator[None]:
    """One hash per password for the accounts created in the block, and a budget of
    real renderings (``RENDERED_REPORTS``, ``RENDERED_SUMMARIES``) for the reports and
    summaries rendered in it, including by tasks that run when its transaction commits."""
    make_password = base_user.make_password
    hashed: dict[str, str] = {}

    def demo_make_password(password, *args, **kwargs):
        if password is None or args or kwargs:
            return make_password(password, *args, **kwargs)
        if password not in hashed:
            hashed[password] = make_password(password)
        return hashed[password]

    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(base_user, "make_password", demo_make_password))
        stack.enter_context(mock.patch.object(
            report_service, "render_pdf", _Budget(report_service.render_pdf, RENDERED_REPORTS)))
        stack.enter_context(mock.patch.object(
            summary_service, "render_pdf_in_chunks",
            _Budget(summary_service.render_pdf_in_chunks, RENDERED_SUMMARIES)))
        yield


def pdf(lines: list[str], seal: bool = False) -> bytes:
    """A small valid one-page PDF with ``lines`` of ASCII text (and a red round seal), made in
    memory: the demo's evidence files and stamped scans."""
    text = " ".join(f"({_escape(line)}) Tj 0 -20 Td" for line in lines)
    stream = f"BT /F1 14 Tf 72 760 Td {text} ET"
    if seal:  # a circle of four Bézier curves, stroked red, where a seal would be
        k = 0.5523 * 60
        cx, cy, r = 450, 180, 60
        stream += (f" 1 0 0 RG 4 w {cx + r} {cy} m "
                   f"{cx + r} {cy + k:.1f} {cx + k:.1f} {cy + r} {cx} {cy + r} c "
                   f"{cx - k:.1f} {cy + r} {cx - r} {cy + k:.1f} {cx - r} {cy} c "
                   f"{cx - r} {cy - k:.1f} {cx - k:.1f} {cy - r} {cx} {cy - r} c "
                   f"{cx + k:.1f} {cy - r} {cx + r} {cy - k:.1f} {cx + r} {cy} c S")
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("ascii")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii")
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode("ascii")
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode("ascii")
    return bytes(out)


def _escape(text: str) -> str:
    ascii_text = text.encode("ascii", "replace").decode("ascii")
    return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

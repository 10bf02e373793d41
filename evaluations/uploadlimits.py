"""Upload limits enforced while the body streams in (issue 9 §4), not after it arrived.

``UploadLimitHandler`` comes first among ``FILE_UPLOAD_HANDLERS``: it counts the bytes of
each file and of the whole request as the multipart parser reads them, and stops the upload
(``StopUpload(connection_reset=True)``: the rest of the body is never read) as soon as one
file passes the largest per-file limit by a small margin or the request passes
``UPLOAD_MAX_REQUEST_BYTES``. The margin lets a file just over the limit arrive, so that
``check_upload`` can refuse it with its exact size. The parser then closes the file being
written, which deletes its temporary file, and the request closes the files already
received when its response is done.

A worker killed in the middle of a request never closes its temporary file: the middleware
deletes, at most every few minutes, upload temporary files nobody has written to for an hour
(in the web process, whose temporary directory it is).

It is installed for every request rather than view by view: Django's CSRF middleware reads
the body before any view runs, so a per-view handler would need every upload view to be
CSRF-exempt and re-protected by hand. ``UploadLimitMiddleware`` answers a stopped upload
with the reason, as a message on the page the form was on.
"""
from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

# Enough for a file a little over its limit to arrive whole (and be refused by its size),
# small enough that nothing much beyond the limit is read.
MARGIN_BYTES = 64 * 1024


# An upload's temporary file is written to as it arrives and closed (deleted) when its
# request ends: one untouched for this long belongs to a process that died.
STALE_AFTER = dt.timedelta(hours=1)
SWEEP_EVERY_SECONDS = 600
_last_sweep = float("-inf")


def stale_upload_files_remove(*, older_than: dt.timedelta = STALE_AFTER) -> int:
    """Delete the temporary files of uploads left by a process that died mid-request (Django
    names them ``tmp….upload…`` in ``FILE_UPLOAD_TEMP_DIR``); returns how many."""
    directory = Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())
    cutoff = time.time() - older_than.total_seconds()
    removed = 0
    for path in directory.glob("tmp*.upload*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:  # gone meanwhile, or not ours to delete
            continue
    return removed


def file_limit_bytes() -> int:
    """The largest file any upload form accepts, plus the margin."""
    return max(settings.EVIDENCE_MAX_FILE_BYTES, settings.REGISTRY_IMPORT_MAX_BYTES) \
        + MARGIN_BYTES


def request_limit_bytes() -> int:
    # Never below one whole file: a deployment that raises the per-file limit needs no second
    # setting for a single file to get through.
    return max(settings.UPLOAD_MAX_REQUEST_BYTES, file_limit_bytes())


def mb(size: int) -> str:
    return f"{size / 2**20:g}"


class UploadLimitHandler(FileUploadHandler):
    """Count every file's bytes and the request's as they stream; stop at the limits."""

    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.total = 0
        self.file_bytes = 0
        self.declared_too_large = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # A declared length over the cap stops the upload at its first file (raising here,
        # outside the parser's loop, would be a server error).
        self.declared_too_large = bool(content_length
                                       and content_length > request_limit_bytes())
        return None

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.file_bytes = 0
        if self.declared_too_large:
            self.refuse_total()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.file_bytes += len(raw_data)
        self.total += len(raw_data)
        if self.file_bytes > file_limit_bytes():
            self.refuse(_("“%(name)s” is larger than the limit of %(limit)s MB per file; the "
                          "upload was stopped.")
                        % {"name": self.file_name,
                           "limit": mb(file_limit_bytes() - MARGIN_BYTES)})
        if self.total > request_limit_bytes():
            self.refuse_total()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handlers build the file

    def refuse_total(self):
        self.refuse(_("The files sent together are larger than %(limit)s MB; the upload was "
                      "stopped. Send fewer files at a time.")
                    % {"limit": mb(request_limit_bytes())})

    def refuse(self, message: str):
        if self.request is not None:
            self.request.upload_refused = message
        raise StopUpload(connection_reset=True)


class UploadLimitMiddleware:
    """Answer an upload that ``UploadLimitHandler`` stopped: back to the form's page with
    the reason (htmx follows ``HX-Redirect``), before any view sees a half-read request.
    Placed after the CSRF and message middleware."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        global _last_sweep
        now = time.monotonic()
        if now - _last_sweep > SWEEP_EVERY_SECONDS:
            _last_sweep = now
            stale_upload_files_remove()
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.content_type != "multipart/form-data":
            return None
        request.POST  # noqa: B018 — parse now (CSRF has usually done it already)
        refused = getattr(request, "upload_refused", None)
        if not refused:
            return None
        messages.error(request, refused)
        back = request.META.get("HTTP_REFERER", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            back = "/"
        if request.headers.get("HX-Request"):
            response = HttpResponse(refused, status=200)
            response["HX-Redirect"] = back
            return response
        response = HttpResponseRedirect(back)
        response.status_code = 303
        return response

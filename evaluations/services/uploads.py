"""Uploaded files (Art 9, 10): what a file really is, judged by its content and not its name;
the checks every upload passes (size, type, digest); and storing a checked file with its row
so that a failed database write leaves no file behind. Evidence, site-visit and notice files,
fraud evidence and the stamped scans of generated documents all come through here."""
from __future__ import annotations

import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.exceptions import DomainError
from institutions.models import User
from institutions.packages import declared_entries, package_problem

from ..enums import EvidenceType, ReportStatus
from ..models.files import GeneratedPdf

_ZIP_MAGIC = b"PK\x03\x04"


def sniff_type(stream: IO[bytes]) -> str | None:
    """The evidence type of ``stream`` from its first bytes (and, for DOCX/XLSX, the parts of
    the Office package), or None when it is none of the accepted types. The stream is left at
    its start."""
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return EvidenceType.PDF
    if head.startswith(b"\xff\xd8\xff"):
        return EvidenceType.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return EvidenceType.PNG
    if head.startswith(_ZIP_MAGIC):
        # Listing the entries of an archive bomb alone takes seconds: count them first.
        entries = declared_entries(stream)
        if entries is not None and entries > settings.OFFICE_MAX_ENTRIES:
            return None
        try:
            with zipfile.ZipFile(stream) as package:
                names = set(package.namelist())
        except (zipfile.BadZipFile, OSError):
            return None
        finally:
            stream.seek(0)
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                return EvidenceType.DOCX
            if "xl/workbook.xml" in names:
                return EvidenceType.XLSX
    return None


CONTENT_TYPES = {
    EvidenceType.PDF: "application/pdf",
    EvidenceType.JPEG: "image/jpeg",
    EvidenceType.PNG: "image/png",
    EvidenceType.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    EvidenceType.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSIONS = {EvidenceType.PDF: ".pdf", EvidenceType.JPEG: ".jpg", EvidenceType.PNG: ".png",
              EvidenceType.DOCX: ".docx", EvidenceType.XLSX: ".xlsx"}
PREVIEWABLE = {EvidenceType.PDF, EvidenceType.JPEG, EvidenceType.PNG}

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def sanitise_name(name: str, kind: str, limit: int = 120) -> str:
    """A file name safe to show and to offer for download: no directories (``../``), no
    control or reserved characters, Chinese kept, the extension of the real type."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = _UNSAFE.sub("_", stem).strip(" ._") or "file"
    extension = EXTENSIONS.get(kind, "")
    return stem[: limit - len(extension)] + extension


def over_limit(size: int, limit: int) -> dict[str, str]:
    """A size over a limit, for a refusal: the size in bytes and the limit in MB and bytes,
    so that a file one byte over never reads as the limit itself ("50.0 MB")."""
    return {"size": f"{size:,}", "limit": f"{limit / 2**20:g}", "limit_bytes": f"{limit:,}"}


@dataclass(frozen=True)
class CheckedUpload:
    kind: str
    name: str
    size: int
    sha256: str


def check_upload(upload: UploadedFile, *, accepted: list[str], max_bytes: int) -> CheckedUpload:
    """Refuse an upload that is empty, too large or not really of an accepted type (judged
    by content: a renamed executable is refused whatever its name)."""
    if upload.size == 0:
        raise DomainError(_("The file “%(name)s” is empty.") % {"name": upload.name})
    if upload.size > max_bytes:
        raise DomainError(_("The file “%(name)s” has %(size)s bytes, over the limit of "
                            "%(limit)s MB (%(limit_bytes)s bytes).")
                          % {"name": upload.name, **over_limit(upload.size, max_bytes)})
    upload.file.seek(0)
    if upload.file.read(len(_ZIP_MAGIC)) == _ZIP_MAGIC:
        problem = package_problem(upload.file, name=upload.name)
        if problem:
            raise DomainError(problem)
    kind = sniff_type(upload.file)
    if kind is None or kind not in accepted:
        names = "、".join(EvidenceType(k).label for k in accepted)
        raise DomainError(_("“%(name)s” is not an accepted file: upload %(types)s "
                            "(checked by content, not by the file name).")
                          % {"name": upload.name, "types": names})
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(kind=kind, name=sanitise_name(upload.name, kind), size=upload.size,
                         sha256=digest.hexdigest())


def store_file(row: models.Model, field: str, name: str, upload: UploadedFile, *,
               fields: list[str] | None = None) -> None:
    """Stream ``upload`` to private storage as ``row.<field>`` and save ``row`` (only
    ``fields`` when given); if the database write fails, the stored file must not linger."""
    getattr(row, field).save(name, upload, save=False)
    try:
        if fields is None:
            row.save()
        else:
            row.save(update_fields=fields)
    except Exception:
        getattr(row, field).delete(save=False)
        raise


SCAN_TYPES = [EvidenceType.PDF, EvidenceType.JPEG, EvidenceType.PNG]


def check_scan(upload: UploadedFile) -> CheckedUpload:
    """A stamped scan is a PDF or an image, checked by content and size."""
    return check_upload(upload, accepted=SCAN_TYPES, max_bytes=settings.EVIDENCE_MAX_FILE_BYTES)


def scan_ready(document: GeneratedPdf | None, *, current: bool) -> bool:
    """Whether ``document`` (generated from the ``current`` content) is ready with its stamped
    scan: what submitting a report or a district's summary needs."""
    return current and document is not None and document.status == ReportStatus.DONE \
        and bool(document.scan)


def scan_attach(*, document: GeneratedPdf, checked: CheckedUpload, upload: UploadedFile,
                actor: User) -> None:
    """Store the stamped scan (盖章) of a generated document (a report or a district
    summary); the caller holds the lock of what the document belongs to."""
    if document.status != ReportStatus.DONE:
        raise DomainError(_("The document is not generated yet."))
    document.scan_name, document.scan_kind, document.scan_size = (checked.name, checked.kind,
                                                                  checked.size)
    document.scan_uploaded_at, document.scan_uploaded_by = timezone.now(), actor
    store_file(document, "scan", checked.name, upload)

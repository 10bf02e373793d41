"""What an uploaded evidence file really is, judged by its content, not its name (Art 9)."""
from __future__ import annotations

import re
import unicodedata
import zipfile
from typing import IO

from .enums import EvidenceType

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

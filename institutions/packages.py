"""Office packages (XLSX, DOCX) checked before anything parses them (issue 9 §4).

A zip file says in its directory how many entries it has and how large each one is once
unpacked; Python's ``zipfile`` (and so openpyxl) never unpacks more than an entry declares
(a lying entry fails its CRC check). Reading those numbers costs next to nothing, so an
archive bomb — 200,000 entries, gigabytes of XML, millions of shared strings in a 200 KB
workbook — is refused by them before ``zipfile.ZipFile`` lists the entries or openpyxl reads a
sheet. Limits are settings (``OFFICE_*``, ``XLSX_*``) with defaults far above any real
report, evidence file or registry workbook.
"""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from typing import IO

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

_END_OF_DIRECTORY = b"PK\x05\x06"
_END_RECORD = struct.Struct("<4s4H2LH")  # zipfile's structEndArchive
_LONGEST_COMMENT = 0xFFFF
SHARED_STRINGS = "xl/sharedStrings.xml"
# One shared string is one <si> element (with or without a namespace prefix).
_SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?si[\s>/]")
_LONGEST_TAG = 26
# A directory entry is 46 bytes and its name; an Office part's name is short.
_DIRECTORY_BYTES_PER_ENTRY = 46 + 256


def declared_entries(stream: IO[bytes]) -> int | None:
    """The entry count in the zip's end-of-directory record, or None when there is none.
    0xFFFF means "see the Zip64 record": more than any Office file has. A directory larger
    than that many entries can take (a count that lies) counts as that many entries."""
    end = stream.seek(0, io.SEEK_END)
    start = max(0, end - _END_RECORD.size - _LONGEST_COMMENT)
    stream.seek(start)
    tail = stream.read()
    stream.seek(0)
    at = tail.rfind(_END_OF_DIRECTORY)
    if at < 0 or len(tail) - at < _END_RECORD.size:
        return None
    record = _END_RECORD.unpack_from(tail, at)
    entries, directory_bytes = record[4], record[5]
    return max(entries, directory_bytes // _DIRECTORY_BYTES_PER_ENTRY)


def count_shared_strings(package: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> int:
    """The shared strings of a workbook, counted while unpacking; stops once past ``limit``."""
    count, carry = 0, b""
    with package.open(info) as part:
        while chunk := part.read(1 << 20):
            data = carry + chunk
            # A tag cut by the chunk boundary ends in the new part: counted once.
            count += sum(1 for match in _SHARED_STRING.finditer(data)
                         if match.end() > len(carry))
            carry = data[-_LONGEST_TAG:]
            if count > limit:
                break
    return count


def package_problem(stream: IO[bytes], *, name: str = "",
                    max_unpacked: int | None = None) -> str | None:
    """Why the zip-based file ``stream`` must not be parsed (too many entries, too large
    unpacked, too many or too large shared strings), in a sentence for the user; None when
    it is within the limits or not a readable zip (whose refusal is the type check's).
    ``max_unpacked`` replaces ``OFFICE_MAX_UNCOMPRESSED_BYTES`` for a caller that parses
    every part. The stream is left at its start."""
    label = f"“{name}”" if name else _("The file")
    try:
        entries = declared_entries(stream)
        if entries is not None and entries > settings.OFFICE_MAX_ENTRIES:
            return _("%(file)s is a package of %(count)s parts; a Word or Excel file may have "
                     "at most %(limit)s. It was not opened.") % {
                "file": label, "count": f"{entries:,}", "limit":
                f"{settings.OFFICE_MAX_ENTRIES:,}"}
        with zipfile.ZipFile(stream) as package:
            infos = package.infolist()
            if len(infos) > settings.OFFICE_MAX_ENTRIES:
                return _("%(file)s is a package of %(count)s parts; a Word or Excel file may "
                         "have at most %(limit)s. It was not opened.") % {
                    "file": label, "count": f"{len(infos):,}", "limit":
                    f"{settings.OFFICE_MAX_ENTRIES:,}"}
            unpacked = sum(info.file_size for info in infos)
            max_unpacked = max_unpacked or settings.OFFICE_MAX_UNCOMPRESSED_BYTES
            if unpacked > max_unpacked:
                return _("%(file)s unpacks to %(size)s; a Word or Excel file may unpack to at "
                         "most %(limit)s. It was not opened.") % {
                    "file": label, "size": filesizeformat(unpacked),
                    "limit": filesizeformat(max_unpacked)}
            strings = next((info for info in infos if info.filename == SHARED_STRINGS), None)
            if strings is not None:
                if strings.file_size > settings.XLSX_MAX_SHARED_STRINGS_BYTES:
                    return _("%(file)s holds %(size)s of shared text; a workbook may hold at "
                             "most %(limit)s. It was not opened.") % {
                        "file": label, "size": filesizeformat(strings.file_size),
                        "limit": filesizeformat(settings.XLSX_MAX_SHARED_STRINGS_BYTES)}
                count = count_shared_strings(package, strings, settings.XLSX_MAX_SHARED_STRINGS)
                if count > settings.XLSX_MAX_SHARED_STRINGS:
                    return _("%(file)s holds more than %(limit)s distinct texts; a workbook may "
                             "hold at most %(limit)s. It was not opened.") % {
                        "file": label, "limit": f"{settings.XLSX_MAX_SHARED_STRINGS:,}"}
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError,
            RuntimeError, ValueError, struct.error):
        return None
    finally:
        stream.seek(0)
    return None

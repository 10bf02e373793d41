"""Evidence uploads (Art 9): judged by content, size-limited per file and per report, names
sanitised, stored under a random name in private media — and a refused file stores nothing."""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.utils import translation

from evaluations.enums import EvidenceType
from evaluations.models import EvidenceFile, Indicator, IndicatorResponse
from evaluations.services.self_evaluation import evidence_upload
from evaluations.services.uploads import check_upload, sanitise_name, sniff_type
from institutions.exceptions import DomainError
from tests.evaluations.self_evaluation_setup import (
    ELF,
    EXE,
    JPEG,
    PDF,
    PNG,
    answer,
    docx_bytes,
    plain_zip_bytes,
    upload,
    xlsx_bytes,
)

ACCEPTED = ("upload PDF、JPEG、PNG、Word (DOCX)、Excel (XLSX) (checked by content, not by the "
            "file name).")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def team(submission) -> Indicator:
    return Indicator.objects.get(category__cycle=submission.cycle, code="1.1")


def stored_files(media) -> list[str]:
    return sorted(p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file())


def refused(submission, team, filer, name, content) -> str:
    with pytest.raises(DomainError) as raised:
        evidence_upload(submission=submission, indicator=team, upload=upload(name, content),
                        actor=filer)
    return str(raised.value)


@pytest.mark.parametrize("content", [EXE, ELF], ids=["windows-exe", "elf"])
def test_renamed_executable_with_pdf_name_is_refused_and_nothing_stored(
        submission, team, filer, private_media, content):
    message = refused(submission, team, filer, "年度报告.pdf", content)
    assert message == f"“年度报告.pdf” is not an accepted file: {ACCEPTED}"
    assert (EvidenceFile.objects.count(), stored_files(private_media)) == (0, [])


def test_oversized_file_is_refused(submission, team, filer, settings, private_media):
    settings.EVIDENCE_MAX_FILE_BYTES = 2 * 2**20
    message = refused(submission, team, filer, "大文件.pdf", PDF + b"0" * (3 * 2**20))
    assert message == ("The file “大文件.pdf” has 3,145,803 bytes, over the limit of 2 MB "
                       "(2,097,152 bytes).")
    assert (EvidenceFile.objects.count(), stored_files(private_media)) == (0, [])


def test_empty_file_is_refused(submission, team, filer, private_media):
    assert refused(submission, team, filer, "空.pdf", b"") == "The file “空.pdf” is empty."
    assert (EvidenceFile.objects.count(), stored_files(private_media)) == (0, [])


def test_file_over_the_submission_quota_is_refused(submission, team, filer, settings,
                                                   private_media):
    settings.EVIDENCE_MAX_SUBMISSION_BYTES = 2 * 2**20
    big = PDF + b"0" * (2**20 - len(PDF))  # exactly 1 MB
    for name in ("一.pdf", "二.pdf"):
        evidence_upload(submission=submission, indicator=team, upload=upload(name, big),
                        actor=filer)
    message = refused(submission, team, filer, "三.pdf", PDF)
    assert message == ("This file would bring the report's evidence to 2,097,227 bytes, over "
                       "the limit of 2 MB (2,097,152 bytes) a report may hold.")
    assert list(EvidenceFile.objects.values_list("original_name", flat=True)) == [
        "一.pdf", "二.pdf"]
    assert len(stored_files(private_media)) == 2


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\windows\\证明.pdf", "证明.pdf"),
    ("研发投入明细（2023年度）.pdf", "研发投入明细（2023年度）.pdf"),
    ("a:b*c?<d>|\x00e.pdf", "a_b_c_d_e.pdf"),
    ("...pdf", "file.pdf"),
    ("扫描件.PNG", "扫描件.pdf"),  # the extension of the real type, not the given one
])
def test_file_names_are_sanitised_and_stored_under_a_random_name(
        submission, team, filer, private_media, name, expected):
    evidence = evidence_upload(submission=submission, indicator=team, upload=upload(name),
                               actor=filer)
    assert evidence.original_name == expected
    stored = stored_files(private_media)
    assert len(stored) == 1 and stored[0].startswith("evidence/") and stored[0].endswith(".pdf")
    assert len(stored[0]) == len("evidence/") + 32 + len(".pdf")  # a uuid, nothing typed


def test_sanitise_name_limits_the_length_and_keeps_the_real_extension():
    assert sanitise_name("证" * 300 + ".exe", EvidenceType.PDF) == "证" * 116 + ".pdf"


@pytest.mark.parametrize("name, content, kind", [
    ("报告.pdf", PDF, EvidenceType.PDF),
    ("照片.jpg", JPEG, EvidenceType.JPEG),
    ("截图.png", PNG, EvidenceType.PNG),
    ("说明.docx", docx_bytes(), EvidenceType.DOCX),
    ("明细.xlsx", xlsx_bytes(), EvidenceType.XLSX),
], ids=["pdf", "jpeg", "png", "docx", "xlsx"])  # not the bytes: a workbook holds its time
def test_every_accepted_type_is_recognised_by_content(submission, team, filer, name, content,
                                                      kind):
    evidence = evidence_upload(submission=submission, indicator=team, upload=upload(name,
                                                                                    content),
                               actor=filer)
    assert (evidence.kind, evidence.size, evidence.sha256) == (
        kind, len(content), hashlib.sha256(content).hexdigest())
    with evidence.file.open("rb") as stored:
        assert stored.read() == content


def test_plain_zip_named_docx_is_refused(submission, team, filer):
    assert refused(submission, team, filer, "说明.docx", plain_zip_bytes()) == (
        f"“说明.docx” is not an accepted file: {ACCEPTED}")


def test_broken_zip_is_refused(submission, team, filer):
    assert "is not an accepted file" in refused(submission, team, filer, "坏.xlsx",
                                                b"PK\x03\x04garbage")


def test_indicator_may_accept_fewer_types(submission, team, filer):
    team.evidence_types = [EvidenceType.PDF]
    team.save()
    assert refused(submission, team, filer, "截图.png", PNG) == (
        "“截图.png” is not an accepted file: upload PDF (checked by content, not by the file "
        "name).")


def test_failed_upload_leaves_the_answer_intact(submission, team, filer):
    saved = answer(submission, team, filer, narrative="草稿内容")
    refused(submission, team, filer, "病毒.pdf", EXE)
    stored = IndicatorResponse.objects.get(pk=saved.pk)
    assert (stored.narrative, stored.revision, stored.data) == ("草稿内容", 1, saved.data)


def test_upload_does_not_bump_the_answer_revision(submission, team, filer):
    """An upload in one tab must not make the other tab's autosave a conflict."""
    saved = answer(submission, team, filer)
    evidence_upload(submission=submission, indicator=team, upload=upload(), actor=filer)
    assert IndicatorResponse.objects.get(pk=saved.pk).revision == saved.revision


class ReadRecorder(io.BytesIO):
    """A file that remembers the largest single read asked of it."""

    largest = 0

    def read(self, size=-1):
        self.largest = max(self.largest, size if size is not None and size >= 0 else 1 << 62)
        return super().read(size)


def test_check_upload_reads_by_chunks_never_the_whole_file():
    content = PDF + b"0" * (8 * 2**20)
    recorder = ReadRecorder(content)
    upload_file = UploadedFile(recorder, name="大.pdf", size=len(content))
    checked = check_upload(upload_file, accepted=[EvidenceType.PDF], max_bytes=50 * 2**20)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert recorder.largest <= upload_file.DEFAULT_CHUNK_SIZE


def test_large_upload_is_moved_from_its_temporary_file_not_copied_through_memory(
        submission, team, filer, private_media):
    temporary = TemporaryUploadedFile("大文件.pdf", "application/pdf", 0, None)
    temporary.write(PDF + b"0" * (3 * 2**20))
    temporary.size = temporary.tell()
    temporary.seek(0)
    temporary_path = Path(temporary.temporary_file_path())
    evidence = evidence_upload(submission=submission, indicator=team, upload=temporary,
                               actor=filer)
    assert not temporary_path.exists()
    temporary.close()  # as the request does when it ends
    assert evidence.size == len(PDF) + 3 * 2**20
    assert (private_media / evidence.file.name).stat().st_size == evidence.size


def test_sniff_type_leaves_the_stream_at_its_start():
    stream = io.BytesIO(docx_bytes())
    assert (sniff_type(stream), stream.tell()) == (EvidenceType.DOCX, 0)

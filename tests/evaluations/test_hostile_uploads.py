"""Issue 9 §4: an oversized upload is stopped while it streams (``evaluations.uploadlimits``),
not refused after the whole body arrived; its temporary file does not outlive the request."""
from __future__ import annotations

import io
import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, ClientHandler
from django.urls import reverse

from evaluations.models import EvidenceFile, Indicator
from tests.evaluations.self_evaluation_setup import PDF

MB = 2**20


@pytest.fixture
def temp_dir(settings, tmp_path):
    """Uploads over FILE_UPLOAD_MAX_MEMORY_SIZE are streamed to temporary files here."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "upload-tmp")
    (tmp_path / "upload-tmp").mkdir()
    return tmp_path / "upload-tmp"


@pytest.fixture
def team(submission) -> Indicator:
    return Indicator.objects.get(category__cycle=submission.cycle, code="1.1")


class Body(io.RawIOBase):
    """A multipart body of one PDF file of ``size`` bytes, made as it is read (nothing of
    that size is held in memory), counting the bytes the server reads."""

    def __init__(self, size: int, token: str) -> None:
        self.head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; "
                     f'name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n'
                     f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; "
                     f'filename="大文件.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
                     ).encode() + PDF
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.length = len(self.head) + size + len(self.tail)
        self.position = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.length - self.position
        end = min(self.length, self.position + size)
        chunk = bytearray()
        zeros_end = self.length - len(self.tail)
        while self.position < end:
            if self.position < len(self.head):
                part = self.head[self.position:end]
            elif self.position < zeros_end:
                part = bytes(min(end, zeros_end) - self.position)
            else:
                part = self.tail[self.position - zeros_end:end - zeros_end]
            chunk += part
            self.position += len(part)
        return bytes(chunk)


def post_streamed(client, url: str, size: int):
    """POST a body of ``size`` file bytes through the whole middleware stack with CSRF
    enforced, as a browser does; returns the response and the bytes the server read."""
    client.get("/")  # a CSRF cookie
    token = client.cookies["csrftoken"].value
    body = Body(size, token)
    cookies = "; ".join(f"{key}={morsel.value}" for key, morsel in client.cookies.items())
    environ = RequestFactory()._base_environ(
        PATH_INFO=url, REQUEST_METHOD="POST", CONTENT_TYPE=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(body.length), HTTP_COOKIE=cookies, HTTP_REFERER=url,
        **{"wsgi.input": body})
    response = ClientHandler(enforce_csrf_checks=True)(environ)
    return response, body.position


def test_evidence_of_60_mb_is_stopped_at_the_limit_with_the_reason(submission, team, filer,
                                                                    client_for, temp_dir):
    client = client_for(filer)
    page = reverse("evaluations:submission_indicator", args=[submission.pk, team.pk])
    url = reverse("evaluations:evidence_upload", args=[submission.pk, team.pk])
    response = client.post(url, {"files": SimpleUploadedFile("大文件.pdf", PDF + bytes(60 * MB))},
                           HTTP_REFERER=f"http://testserver{page}")
    assert (response.status_code, response["Location"]) == (303, f"http://testserver{page}")
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["“大文件.pdf”超过每个文件 50 MB 的上限，已停止上传。"]
    assert EvidenceFile.objects.count() == 0
    assert list(temp_dir.iterdir()) == []


def test_oversized_file_is_not_read_past_the_limit(submission, team, filer, client_for,
                                                   temp_dir):
    url = reverse("evaluations:evidence_upload", args=[submission.pk, team.pk])
    response, read = post_streamed(client_for(filer), url, 60 * MB)
    assert response.status_code == 303
    assert 50 * MB < read < 51 * MB  # the limit and the margin, never the last 10 MB
    assert EvidenceFile.objects.count() == 0
    assert list(temp_dir.iterdir()) == []


def test_body_declared_over_the_request_cap_is_stopped_at_its_first_file(
        submission, team, filer, client_for, temp_dir, settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 100 * MB
    url = reverse("evaluations:evidence_upload", args=[submission.pk, team.pk])
    response, read = post_streamed(client_for(filer), url, 300 * MB)
    assert response.status_code == 303
    assert read < MB
    assert list(temp_dir.iterdir()) == []


def test_file_within_the_limit_still_arrives(submission, team, filer, client_for, temp_dir):
    url = reverse("evaluations:evidence_upload", args=[submission.pk, team.pk])
    response, read = post_streamed(client_for(filer), url, 3 * MB)
    assert response.status_code == 302
    assert EvidenceFile.objects.get().size == len(PDF) + 3 * MB
    assert list(temp_dir.iterdir()) == []


def test_temporary_files_left_by_a_killed_worker_are_deleted(client_for, filer, temp_dir,
                                                             monkeypatch):
    """A process killed mid-upload leaves its temporary file: the next request, once the
    sweep is due, deletes the ones untouched for an hour and nothing else."""
    from evaluations import uploadlimits

    stale, fresh = temp_dir / "tmpa1b2c3.upload.pdf", temp_dir / "tmpd4e5f6.upload.pdf"
    other = temp_dir / "report-draft.pdf"
    for path in (stale, fresh, other):
        path.write_bytes(b"x" * 1024)
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    os.utime(other, (two_hours_ago, two_hours_ago))
    monkeypatch.setattr(uploadlimits, "_last_sweep", float("-inf"))
    client_for(filer).get("/")
    assert sorted(path.name for path in temp_dir.iterdir()) == [other.name, fresh.name]

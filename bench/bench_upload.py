"""Benchmark of an evidence upload's memory: a 200 MB multipart upload must not raise the
server's resident memory by more than ~30 MB (the upload streams to a temporary file, is
checked and hashed by chunks, and is moved into private storage, never read whole).

The server is a real one in a child process (Django behind wsgiref, a fresh migrated database,
an open cycle and an institution account); this process streams the request body to it and
samples the child's resident memory (/proc) while it is received and stored.
Run it directly (``python bench/bench_upload.py [--mb N]``) or call ``main()``.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MB = 200
TARGET_MB = 30.0
CSRF = "benchcsrftoken0123456789abcdefgh"  # a 32-character secret, sent as cookie and header
BOUNDARY = "----bench-upload-boundary-7MA4YWxkTrZu0gW"


@dataclass(frozen=True)
class UploadBench:
    size_mb: int
    growth_mb: float
    seconds: float

    @property
    def ok(self) -> bool:
        return self.growth_mb < TARGET_MB

    def line(self) -> str:
        return (f"evidence upload {self.size_mb} MB: server memory +{self.growth_mb:.1f} MB "
                f"in {self.seconds:.1f} s (target < {TARGET_MB:.0f} MB)")


def _child(media: str, max_bytes: int, control: bool = False) -> None:
    """Serve the application on a free port; print how to reach it as one JSON line.

    ``control`` makes the upload read the whole file into memory, to show that the
    measurement does see it when it happens."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ["EVIDENCE_MAX_FILE_BYTES"] = str(max_bytes)
    os.environ["EVIDENCE_MAX_SUBMISSION_BYTES"] = str(max_bytes * 2)
    os.environ["AXES_ENABLED"] = "false"
    import datetime as dt
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    import django

    django.setup()
    from django.conf import settings

    settings.MEDIA_ROOT = media
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from django.test import Client
    from django.utils import timezone

    call_command("migrate", verbosity=0, interactive=False)
    from evaluations.enums import CycleStatus
    from evaluations.models import Indicator
    from evaluations.services.cycles import cycle_create, cycle_transition
    from institutions.models import Cluster, District, Institution, User

    admin = User.objects.create(username="bench-city", role="city_admin")
    institution = Institution.objects.create(
        name="徐州基准测试研究院", credit_code="91320302MA1N0A2B3N",
        district=District.objects.order_by("sort_order").first(),
        cluster=Cluster.objects.order_by("sort_order").first(), filing_date=dt.date(2021, 5, 10),
        legal_representative="张三", contact_person="李四", contact_phone="0516-83000000")
    filer = User.objects.create(username="bench-filer", role="institution_filer",
                                institution=institution)
    today = timezone.localdate()
    cycle = cycle_create(year=2025, actor=admin, stage_dates={
        CycleStatus.SELF_EVALUATION: (today, today + dt.timedelta(days=30))})
    cycle_transition(cycle=cycle, to_status=CycleStatus.SELF_EVALUATION, actor=admin)
    submission = cycle.submissions.get(institution=institution)
    indicator = Indicator.objects.filter(category__cycle=cycle).order_by("pk").first()
    client = Client()
    client.force_login(filer)
    if control:
        from evaluations.services import self_evaluation

        checked = self_evaluation.check_upload

        def check_reading_everything(upload, **kwargs):
            upload.seek(0)
            whole = upload.read()
            upload.seek(0)
            result = checked(upload, **kwargs)
            del whole
            return result

        self_evaluation.check_upload = check_reading_everything

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
    print(json.dumps({
        "port": server.server_port, "session": client.cookies["sessionid"].value,
        "path": f"/self-evaluation/{submission.pk}/indicators/{indicator.pk}/evidence/"}),
        flush=True)
    server.serve_forever()


def _rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def _upload(port: int, path: str, session: str, size: int) -> str:
    """POST a ``size``-byte PDF as multipart/form-data, streamed 1 MB at a time."""
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; "
            f"filename=\"大文件.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.putrequest("POST", path)
    for name, value in (
            ("Content-Type", f"multipart/form-data; boundary={BOUNDARY}"),
            ("Content-Length", str(len(head) + size + len(tail))),
            ("Cookie", f"sessionid={session}; csrftoken={CSRF}"), ("X-CSRFToken", CSRF),
            ("HX-Request", "true"), ("Accept-Language", "en")):
        connection.putheader(name, value)
    connection.endheaders()
    connection.send(head)
    first = b"%PDF-1.4\n"
    block = b"0" * 2**20
    connection.send(first)
    left = size - len(first)
    while left > 0:
        connection.send(block[:min(left, len(block))])
        left -= min(left, len(block))
    connection.send(tail)
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    if response.status != 200 or 'data-testid="upload-done"' not in body:
        raise RuntimeError(f"upload failed ({response.status}): {body[:2000]}")
    return body


def main(size_mb: int = DEFAULT_MB, verbose: bool = True, control: bool = False) -> UploadBench:
    """Run the benchmark and return the figures; prints one line when ``verbose``."""
    from bench.bench_import import _throwaway_postgres

    size = size_mb * 2**20
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        env = dict(os.environ)
        cleanup = None
        if os.environ.get("DATABASE_URL"):
            env["DATABASE_URL"], cleanup = _throwaway_postgres(os.environ["DATABASE_URL"])
        else:
            env["DATABASE_URL"] = f"sqlite:///{Path(tmp) / f'bench-{uuid.uuid4().hex}.sqlite3'}"
        child = subprocess.Popen(
            [sys.executable, __file__, "--child", str(Path(tmp) / "media"), str(size * 2),
             *(["--control"] if control else [])],
            env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        try:
            ready = json.loads(child.stdout.readline())
            # A small upload first, so that imports and caches of the first request are not
            # counted against the big one.
            _upload(ready["port"], ready["path"], ready["session"], 2**20)
            baseline = _rss_kb(child.pid)
            try:  # reset the kernel's peak (VmHWM) so it measures this upload only
                Path(f"/proc/{child.pid}/clear_refs").write_text("5")
            except OSError:
                pass
            peak = [baseline]
            done = threading.Event()

            def sample() -> None:
                while not done.is_set():
                    peak[0] = max(peak[0], _rss_kb(child.pid))
                    time.sleep(0.005)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            started = time.perf_counter()
            _upload(ready["port"], ready["path"], ready["session"], size)
            seconds = time.perf_counter() - started
            done.set()
            sampler.join()
            highest = max(peak[0], _rss_kb(child.pid, "VmHWM"))
        finally:
            child.terminate()
            child.wait(timeout=30)
            if cleanup:
                cleanup()
    bench = UploadBench(size_mb=size_mb, growth_mb=(highest - baseline) / 1024, seconds=seconds)
    if verbose:
        print(bench.line(), flush=True)
    return bench


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=DEFAULT_MB)
    parser.add_argument("--control", action="store_true",
                        help="read the whole upload into memory (shows the measurement works)")
    parser.add_argument("--child", nargs=2, metavar=("MEDIA", "MAX_BYTES"),
                        help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        _child(arguments.child[0], int(arguments.child[1]), arguments.control)
    else:
        sys.path.insert(0, str(ROOT))
        bench = main(arguments.mb, control=arguments.control)
        sys.exit(0 if bench.ok else 1)

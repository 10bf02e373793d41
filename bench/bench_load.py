"""A bounded load run against the real WSGI server (issue 9 §6).

    .venv/bin/python bench/bench_load.py [--seconds 30] [--clients 8] [--workers 2] [--rounds 5]

Builds a demo database in a temporary folder (``seed_demo``), starts gunicorn with the
production settings (2 workers) on a loopback port, logs in the demo accounts, and for each
page runs ``--clients`` concurrent clients for ``--seconds`` seconds: the city home, the
registry list, the district dashboard and the ranking page, beside a trivial view of the same
server that loads the session and the user (``/ping/``, switched on for this run only by
``DJANGO_BENCH_VIEWS``, requested by the page's own account). Prints requests/s, p50 and p95
per page and the throughput as a share of the trivial view's; the target is at least 30 % with
no error. Each page's seconds are cut in ``--rounds`` rounds, each run beside a round of the
trivial view, and the share is the median of the rounds' shares. Exits 1 when one is missed.
Every request goes to 127.0.0.1 only and the run stops by itself.
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PASSWORD = "xz-demo-2026"
TARGET_SHARE = 0.30


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Client:
    """One logged-in browser: its cookies, and requests as they arrive through a TLS proxy."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https",
                   "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers.update({"Content-Type": "application/x-www-form-urlencoded",
                            "Referer": f"https://127.0.0.1{path}"})
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, text
        finally:
            connection.close()

    def login(self, username: str) -> None:
        _status, page = self.request("GET", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, _text = self.request("POST", "/accounts/login/", urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}))
        if status != 302 or "sessionid" not in self.cookies:
            sys.exit(f"could not log in {username}: {status}")


def load(clients: list[Client], path: str, seconds: float) -> dict:
    """Each client requests ``path`` again and again for ``seconds``; latencies and errors."""
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def work(client: Client) -> None:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                status, _text = client.request("GET", path)
            except (OSError, http.client.HTTPException):
                status = -1
            took = time.perf_counter() - started
            with lock:
                (latencies.append(took) if status == 200 else errors.append(status))

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return {"rps": len(latencies) / elapsed, "n": len(latencies), "errors": errors,
            "p50": statistics.median(latencies) if latencies else float("nan"),
            "p95": latencies[int(len(latencies) * 0.95) - 1] if latencies else float("nan")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
               "DJANGO_MEDIA_ROOT": f"{tmp}/media", "DJANGO_SETTINGS_MODULE":
               "config.settings.local"}
        env.pop("CELERY_BROKER_URL", None)
        production = {**env, "DJANGO_SETTINGS_MODULE": "config.settings.production",
                      "DJANGO_SECRET_KEY": "bench-only-" + "x" * 40,
                      "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "DJANGO_BENCH_VIEWS": "1"}
        for command, settings in ((["migrate", "--noinput", "-v", "0"], env),
                                  (["seed_demo"], env),
                                  (["collectstatic", "--noinput", "-v", "0"], production)):
            subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=settings, check=True,
                           stdout=subprocess.DEVNULL)
        gulou = subprocess.run(
            [PYTHON, "manage.py", "shell", "-c",
             "from evaluations.models import DistrictReview as R; print(R.objects.filter("
             "district__name='鼓楼区').order_by('-cycle__year').values_list('pk', "
             "flat=True).first())"],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True
        ).stdout.strip().splitlines()[-1]  # the shell may print its auto-imports first
        port = _free_port()
        server = subprocess.Popen(
            [str(Path(PYTHON).with_name("gunicorn")), "config.wsgi", "-w", str(args.workers),
             "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=ROOT, env=production)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.2)
            pages = [("trivial view (session + user)", "city_admin", "/ping/"),
                     ("city home", "city_admin", "/"),
                     ("registry list", "city_admin", "/registry/"),
                     ("district dashboard", "district_gulou", f"/preliminary/{gulou}/"),
                     ("ranking page", "district_gulou", f"/preliminary/{gulou}/ranking/")]
            logged_in: dict[str, list[Client]] = {}
            for _label, user, _path in pages:
                if user not in logged_in:
                    logged_in[user] = [Client(port) for _ in range(args.clients)]
                    for client in logged_in[user]:
                        client.login(user)
            # Each page's run is cut in rounds, each beside a round of the trivial view of
            # the same length and by the same account: the machine's speed drifts over
            # minutes, and a share taken from runs minutes apart measures the drift as much
            # as the page; and loading a district's account (with its district) costs more
            # than the city's, which is not the page's doing.
            rounds = {label: [] for label, _user, _path in pages}
            trivial_label, _trivial_user, trivial_path = pages[0]
            for label, user, path in pages[1:]:
                for _ in range(args.rounds):
                    rounds[trivial_label].append(load(
                        logged_in[user], trivial_path, args.seconds / args.rounds))
                    rounds[label].append(load(logged_in[user], path,
                                              args.seconds / args.rounds))
        finally:
            server.terminate()
            server.wait(timeout=30)

    ok = True
    print(f"gunicorn, {args.workers} workers, {args.clients} concurrent clients, "
          f"{args.seconds:g} s per page in {args.rounds} rounds, each beside a round of the "
          f"trivial view by the page's account; medians of the rounds")
    trivial = rounds[trivial_label]
    for index, (label, _user, _path) in enumerate(pages):
        runs = rounds[label]
        beside = trivial[(index - 1) * args.rounds:index * args.rounds] if index else trivial
        share = (statistics.median(r["rps"] / t["rps"] for r, t in zip(runs, beside, strict=True))
                 if index else 1.0)
        errors = sum(len(r["errors"]) for r in runs)
        met = not errors and (not index or share >= TARGET_SHARE)
        ok = ok and met
        print(f"{label:32} {statistics.median(r['rps'] for r in runs):7.1f} req/s  "
              f"p50 {statistics.median(r['p50'] for r in runs) * 1000:6.0f} ms  "
              f"p95 {statistics.median(r['p95'] for r in runs) * 1000:6.0f} ms  "
              f"{share:5.0%} of the trivial view  errors {errors}: "
              f"{'met' if met else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

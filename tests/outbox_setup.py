"""Shared set-up of the outbox tests: the project's Celery app pointed at a real broker URL
(a dead port, or a ``redis-server`` started for the test) instead of running tasks in-process,
and that server itself."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time

import pytest
from kombu import pools

from config.celery_app import app

REDIS_SERVER = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")
needs_redis = pytest.mark.skipif(
    REDIS_SERVER is None or REDIS_CLI is None,
    reason="redis-server and redis-cli are needed to stop and start a real broker")


def free_port() -> int:
    """A local TCP port nothing listens on (a broker that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _reset_connections() -> None:
    # Celery caches its broker connection pool, producer pool and result backend: forget
    # them so that the next send uses the URL configured now.
    pools.reset()  # closes kombu's pools and forgets them (they are kept per URL)
    app._pool = None
    app.amqp._producer_pool = None
    app._backend_cache = None
    app._local = threading.local()


@contextlib.contextmanager
def celery_broker(url: str, *, result_backend: str | None = None):
    """Within the block tasks are sent to the broker at ``url`` (and their results to
    ``result_backend``), as in production, rather than run in-process."""
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url",
                                            "result_backend")}
    # Celery reads CELERY_BROKER_URL (and CELERY_RESULT_BACKEND) from the environment before its
    # configuration, and CI sets the first: the block's URL must win over it.
    environment = {name: os.environ.get(name)
                   for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")}
    os.environ["CELERY_BROKER_URL"] = url
    os.environ.pop("CELERY_RESULT_BACKEND", None)
    app.conf.update(task_always_eager=False, broker_url=url, result_backend=result_backend)
    _reset_connections()
    try:
        yield app
    finally:
        _reset_connections()
        app.conf.update(saved)
        for name, value in environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def redis_server(port: int, *, timeout: float = 10.0):
    """A throw-away ``redis-server`` on ``port`` (no persistence), stopped on leaving."""
    subprocess.run([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--daemonize", "yes"], check=True, timeout=timeout,
                   stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while subprocess.run([REDIS_CLI, "-p", str(port), "ping"], capture_output=True,
                             text=True, timeout=timeout).stdout.strip() != "PONG":
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {port} did not start")
            time.sleep(0.05)
        yield
    finally:
        subprocess.run([REDIS_CLI, "-p", str(port), "shutdown", "nosave"],
                       capture_output=True, timeout=timeout)


def drain(queue_name: str = "celery", *, runs: int = 1) -> list[tuple[str, dict]]:
    """Take every message waiting on the broker's queue and run each task ``runs`` times
    in-process (2: as if the broker delivered it again), as a worker would; returns (task
    name, kwargs) of each message."""
    taken = []
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue(queue_name)
        try:
            while True:
                try:
                    message = queue.get(timeout=1)
                except queue.Empty:
                    break
                name = message.headers["task"]
                args, kwargs, _embed = message.decode()
                for _run in range(runs):
                    app.tasks[name].apply(args=args, kwargs=kwargs, throw=True)
                message.ack()
                taken.append((name, kwargs))
        finally:
            queue.close()
    return taken

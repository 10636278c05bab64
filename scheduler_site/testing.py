"""A real Celery worker for tests: ``celery -A scheduler_site worker`` in a subprocess.

Use it through the pytest fixtures in the root ``conftest.py``:

- ``celery_worker``: a started worker for the test, stopped afterwards.
- ``celery_worker_factory``: ``start(**options)`` for tests that need several
  workers, a restart, or a SIGKILL (``worker.kill()``).

Tests that use a worker need ``transactional_db`` (the worker is another
process: it only sees committed rows). The worker gets the test database via
DATABASE_URL (PostgreSQL: the ``test_<name>`` database; SQLite: the test file
under var/) and the same broker as the test process:

- With CELERY_BROKER_URL=redis://... the test process and the worker use it;
  the queue is purged when a worker starts so a previous test's messages do
  not run against this test's rows.
- With no broker configured (the embedded default) both use the embedded
  SQLite broker (scheduler_site/broker.py) in a temporary file of their own,
  one per test session, so ``make test`` runs real workers with nothing
  installed and never touches the developer's queue.
- With REQUIRE_REDIS=1 and Redis not configured or unreachable, the fixture
  fails loudly instead of falling back.

A worker consumes both queues (jobs and the periodic scheduler tasks) unless
``queues=`` says otherwise.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

READY_MARKER = " ready."
DEFAULT_READY_TIMEOUT = 30.0


class WorkerUnavailable(RuntimeError):
    """The broker the worker needs is not there (see ``require_or_skip``)."""


@dataclass
class TestBroker:
    """The broker both sides of a test agree on."""

    kind: str  # "redis" or "sqlite"
    url: str
    worker_env: dict[str, str] = field(default_factory=dict)
    folder: Path | None = None


def redis_reachable(url: str, timeout: float = 1.0) -> bool:
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def configure_test_broker(app, base_dir: Path) -> TestBroker:
    """Point the test process's Celery app at the test broker and say how the
    worker subprocess reaches the same one."""
    url = settings.CELERY_BROKER_URL
    if url.startswith("redis"):
        if not redis_reachable(url):
            raise WorkerUnavailable(f"Redis broker {url} is not reachable")
        app.conf.broker_url = url
        return TestBroker(kind="redis", url=url, worker_env={"CELERY_BROKER_URL": url})
    if settings.REQUIRE_REDIS:
        raise WorkerUnavailable("REQUIRE_REDIS is set but CELERY_BROKER_URL is not a redis:// URL")
    # Any other broker (the embedded default, an explicit filesystem:// or
    # amqp://): a private SQLite broker file for this session, so a test never
    # consumes from or publishes to the developer's queue.
    base_dir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{(base_dir / 'celery-broker.sqlite3').resolve()}"
    app.conf.broker_url = url
    # Celery prefers CELERY_BROKER_URL from the environment to broker_url; the
    # read and write URLs win over both.
    app.conf.broker_read_url = app.conf.broker_write_url = url
    app.conf.broker_transport_options = {"polling_interval": 0.1}
    return TestBroker(
        kind="sqlite", url=url, worker_env={"CELERY_BROKER_URL": url}, folder=base_dir
    )


def test_database_url() -> str:
    """DATABASE_URL for the database this test process is using right now."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        if name in ("", ":memory:") or "mode=memory" in name:
            raise RuntimeError("a worker subprocess cannot share an in-memory SQLite database")
        return f"sqlite:///{Path(name).resolve()}"
    if connection.vendor == "postgresql":
        auth = quote(db.get("USER") or "", safe="")
        if db.get("PASSWORD"):
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = db.get("HOST") or "localhost"
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{auth}@{host}{port}/{quote(db['NAME'], safe='')}"
    raise RuntimeError(f"no worker harness for the {connection.vendor} backend")


class WorkerProcess:
    """One ``celery worker`` subprocess (in its own process group)."""

    def __init__(self, process: subprocess.Popen, node: str, log_path: Path):
        self.process = process
        self.node = node
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if READY_MARKER in self.log():
                return
            if not self.alive():
                raise RuntimeError(
                    f"celery worker {self.node} exited with {self.process.returncode}:\n"
                    f"{self.log_tail()}"
                )
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(
            f"celery worker {self.node} not ready after {timeout}s:\n{self.log_tail()}"
        )

    def kill(self) -> None:
        """SIGKILL the worker and its pool at once: a crash, nothing cleaned up."""
        self._signal_group(signal.SIGKILL)
        self._reap(10)

    def stop(self, timeout: float | None = None, *, graceful: bool = False) -> None:
        """Stop the worker; SIGKILL if it takes longer than ``timeout``.

        Cold shutdown (SIGQUIT) by default, cut short after 2s: the test is
        over, and a polling transport's cold shutdown can linger for seconds.
        ``graceful=True`` is Celery's warm shutdown (finish running tasks, up
        to 15s).
        """
        if timeout is None:
            timeout = 15.0 if graceful else 2.0
        if not self.alive():
            return
        self._signal_group(signal.SIGTERM if graceful else signal.SIGQUIT)
        if not self._reap(timeout):
            self.kill()

    def _signal_group(self, sig: int) -> None:
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def _reap(self, timeout: float) -> bool:
        try:
            self.process.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False


def start_worker(
    broker: TestBroker,
    *,
    node: str | None = None,
    pool: str = "threads",
    concurrency: int = 2,
    env: dict[str, str] | None = None,
    log_dir: Path | None = None,
    ready_timeout: float = DEFAULT_READY_TIMEOUT,
    purge: bool = True,
    queues: tuple[str, ...] | None = None,
) -> WorkerProcess:
    """Start a worker against the current test database and wait until it is ready.

    ``pool="threads"`` starts fastest; use ``"prefork"`` to exercise pool
    children (e.g. reject_on_worker_lost). ``env`` adds settings for the
    worker only (e.g. ``{"JOB_TIMEOUT_SECONDS": "5"}``). ``queues`` defaults
    to both the job queue and the scheduler queue.
    """
    from scheduler_site.celery import app

    if purge:
        # Messages published by earlier tests point at rows that no longer exist.
        with app.connection_for_write() as conn:
            app.control.purge(connection=conn)
    queues = queues or (settings.CELERY_TASK_DEFAULT_QUEUE, settings.CELERY_SCHEDULER_QUEUE)
    node = node or f"test-{uuid.uuid4().hex[:8]}@%h"
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="celery-worker-log-"))
    log_path = log_dir / f"{node.split('@')[0]}-{int(time.time() * 1000)}.log"
    child_env = {
        key: value for key, value in os.environ.items() if key != "CELERY_TASK_ALWAYS_EAGER"
    }
    child_env.update(broker.worker_env)
    child_env.update(
        {
            "DATABASE_URL": test_database_url(),
            "DJANGO_SETTINGS_MODULE": "scheduler_site.settings",
            "PYTHONUNBUFFERED": "1",
            "CONN_MAX_AGE": "0",
        }
    )
    child_env.update(env or {})
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "scheduler_site",
        "worker",
        "--loglevel=INFO",
        f"--pool={pool}",
        f"--concurrency={concurrency}",
        f"--hostname={node}",
        f"--queues={','.join(queues)}",
        # Gossip/mingle wait for other workers' replies; a test has none.
        "--without-gossip",
        "--without-mingle",
    ]
    log_file = open(log_path, "wb")  # noqa: SIM115 - the child owns it for its lifetime
    try:
        process = subprocess.Popen(  # noqa: S603 - our own fixed command line
            command,
            cwd=settings.BASE_DIR,
            env=child_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log_file.close()
    worker = WorkerProcess(process, node.replace("%h", _hostname()), log_path)
    try:
        worker.wait_ready(ready_timeout)
    except Exception:
        worker.kill()
        raise
    return worker


def _hostname() -> str:
    import socket

    return socket.gethostname()


@contextmanager
def celery_worker(broker: TestBroker, **options) -> Iterator[WorkerProcess]:
    worker = start_worker(broker, **options)
    try:
        yield worker
    finally:
        worker.stop()


def wait_until(predicate, *, timeout: float = 20.0, interval: float = 0.05, message: str = ""):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message or f"condition not met within {timeout}s")
        time.sleep(interval)

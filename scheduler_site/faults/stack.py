"""The product as it is deployed (README, "Production deployment"), on private servers.

One gunicorn, one ``celery beat``, job workers and (when the settings route
periodic tasks to a queue of their own) a scheduler worker, all real OS
processes in their own process groups, with DEBUG off, against the harness's
own PostgreSQL and Redis; plus the webhook receiver their jobs post to and a
staff API client that watches ``/api/v1/schedule/status``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scheduler_site.faults.audit import BASE_DIR, Auditor
from scheduler_site.faults.receiver import WebhookReceiver
from scheduler_site.faults.servers import PrivatePostgres, PrivateRedis, free_port

DATABASE = "scheduler"
USERNAME = "faults"
NODE_HOST = "faults"
READY_TIMEOUT_SECONDS = 60.0
STATUS_PATH = "/api/v1/schedule/status"
# A monitor's patience: an answer slower than this counts as no answer.
STATUS_TIMEOUT_SECONDS = 10.0
STATUS_POLL_SECONDS = 1.0
# Settings of the test process that must not leak into the product's processes.
_NOT_INHERITED = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "REDIS_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "VAR_DIR",
)
_LOG_SIGNS = ("ERROR", "CRITICAL", "Error:", "Error ", "WARNING", "exited", "Lost")
# Lines every outage produces that say nothing the verdict does not: the
# status endpoint's own 503s.
_LOG_NOISE = ("Service Unavailable: /api/v1/schedule/status",)


class ProductProcess:
    """One product process (``python -m <command>``), restartable under the same name."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path, ready):
        self.name = name
        self.args = args
        self.env = env
        self.log_dir = log_dir
        self.ready = ready  # (process) -> bool
        self.process: subprocess.Popen | None = None
        self.log_path: Path | None = None
        # Set when the harness itself took it down (a fault), so that an exit
        # is not mistaken for a crash.
        self.down_on_purpose = False

    def start(self) -> ProductProcess:
        self.down_on_purpose = False
        # One log per start, never overwriting a predecessor's of the same name.
        number = 1
        while (self.log_dir / f"{self.name}-{number}.log").exists():
            number += 1
        self.log_path = self.log_dir / f"{self.name}-{number}.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own fixed command line
                [sys.executable, "-m", *self.args],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready(self):
            if not self.alive():
                raise RuntimeError(f"{self.name} exited at start:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready after {timeout}s:\n{self.log_tail()}")
            time.sleep(0.1)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal_group(self, sig: int) -> None:
        """Signal the process and every child (a pool's children too): a whole machine's worth."""
        if self.process is not None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)

    def kill(self) -> None:
        """SIGKILL: a crash, nothing cleaned up."""
        self.down_on_purpose = True
        self.signal_group(signal.SIGKILL)
        self._reap(10)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (Celery's warm shutdown, gunicorn's graceful one), then SIGKILL."""
        self.down_on_purpose = True
        if not self.alive():
            return
        self.signal_group(signal.SIGTERM)
        if not self._reap(timeout):
            self.signal_group(signal.SIGKILL)
            self._reap(10)

    def _reap(self, timeout: float) -> bool:
        try:
            self.process.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def log(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


@dataclass
class StatusSample:
    at: float
    code: int | None  # None: no answer (refused, reset, or slower than the timeout)
    error: str = ""
    unhealthy: frozenset[str] = frozenset()  # components the answer names as down


def unhealthy_components(body) -> frozenset[str]:
    """Component names a status answer reports as down, whatever shape ``components`` has:
    {"name": bool}, {"name": {"healthy": false}}, {"name": "down"} or a list of
    {"name": ..., "healthy": false}."""
    if not isinstance(body, dict):
        return frozenset()
    components = body.get("components")
    if isinstance(components, dict):
        items = list(components.items())
    elif isinstance(components, list):
        items = [(c.get("name", ""), c) for c in components if isinstance(c, dict)]
    else:
        return frozenset()
    return frozenset(str(name).lower() for name, value in items if not _component_up(value))


def _component_up(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() in ("ok", "up", "healthy")
    if isinstance(value, dict):
        for key in ("healthy", "ok", "up"):
            if key in value:
                return bool(value[key])
        if "status" in value:
            return _component_up(str(value["status"]))
    return True


class Api:
    """The product's REST API over real HTTP, as an integrator calls it."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.token = ""

    def call(self, method: str, path: str, body=None, timeout: float = 15.0):
        """(status, JSON body or None); (None, error text) when nothing answered."""
        data = None if body is None else json.dumps(body).encode()
        url = self.base_url + path  # always http://127.0.0.1:<port>
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status, _json(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _json(error.read())
        except (OSError, urllib.error.URLError) as error:
            return None, f"{type(error).__name__}: {error}"

    def sign_in(self, username: str, password: str) -> None:
        status, body = self.call(
            "POST", "/api/v1/auth/token/", {"username": username, "password": password}
        )
        if status != 200:
            raise RuntimeError(f"sign-in answered {status}: {body}")
        self.token = body["access"]


def _json(raw: bytes):
    try:
        return json.loads(raw)
    except ValueError:
        return None


class StatusWatcher:
    """Polls the status endpoint in a thread for the whole run, as a monitor would."""

    def __init__(self, api: Api):
        self.api = api
        self.samples: list[StatusSample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> StatusWatcher:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            at = time.time()
            code, body = self.api.call("GET", STATUS_PATH, timeout=STATUS_TIMEOUT_SECONDS)
            error = body if code is None else ""
            self.samples.append(StatusSample(at, code, error, unhealthy_components(body)))
            self._stop.wait(max(0.0, STATUS_POLL_SECONDS - (time.time() - at)))

    def between(self, start: float, end: float) -> list[StatusSample]:
        return [s for s in list(self.samples) if start <= s.at <= end]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(STATUS_TIMEOUT_SECONDS + 5)


def webhook_config(url: str, **extra) -> dict:
    """A job config posting to ``url``; ``extra``: max_retries, retry_backoff_seconds, ..."""
    return {"executor": "webhook", "webhook_url": url, **extra}


def tick_schedule(name: str, config: dict, *, every: int = 2, offset: int = 0) -> dict:
    """An RRULE running every ``every`` seconds: FREQ=MINUTELY with BYSECOND is the
    finest series the product accepts (FREQ=SECONDLY is refused), so occurrences
    fall due continuously through a fault lasting seconds."""
    seconds = ",".join(str(s) for s in range(offset, 60, every))
    return {
        "name": name,
        "schedule_type": "rrule",
        "recurrence_pattern": f"FREQ=MINUTELY;BYSECOND={seconds}",
        "timezone": "UTC",
        "job_config": config,
        # Every occurrence becomes a run of its own even while an earlier one is
        # stuck: the ledger then shows each occurrence's own fate.
        "overlap_policy": "allow",
    }


def minute_cron(name: str, config: dict) -> dict:
    return {
        "name": name,
        "schedule_type": "cron",
        "recurrence_pattern": "* * * * *",
        "timezone": "UTC",
        "job_config": config,
        "overlap_policy": "allow",
    }


class Stack:
    """Everything the faults act on. ``start()`` brings it up; ``close()`` takes it all down."""

    def __init__(
        self,
        *,
        extra_env: dict[str, str] | None = None,
        worker_concurrency: int = 4,
        keep: bool = False,
    ):
        self.base = Path(tempfile.mkdtemp(prefix="faults-"))
        # PostgreSQL runs as its own user, which must reach its directory.
        self.base.chmod(0o755)
        self.logs = self.base / "logs"
        self.logs.mkdir()
        self.keep = keep
        self.worker_concurrency = worker_concurrency
        self.extra_env = dict(extra_env or {})
        self.postgres = PrivatePostgres(self.base)
        self.redis = PrivateRedis(self.base)
        self.receiver = WebhookReceiver()
        self.web_port = free_port()
        self.api = Api(f"http://127.0.0.1:{self.web_port}")
        self.secret_key = secrets.token_urlsafe(64)
        self.password = secrets.token_urlsafe(16)
        self.processes: dict[str, ProductProcess] = {}
        self.job_worker_names: list[str] = []
        self.job_worker_env: dict[str, str] = {}
        self.scheduler_queue = ""
        self.schedules: dict[str, str] = {}  # name -> id
        self.auditor: Auditor | None = None
        self.watcher: StatusWatcher | None = None
        self.timings: dict[str, float] = {}  # start-up phase -> seconds

    # --- environment ------------------------------------------------------------

    def env(self, **overrides: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key not in _NOT_INHERITED}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "scheduler_site.settings",
                "PYTHONUNBUFFERED": "1",
                "DEBUG": "false",
                "SECRET_KEY": self.secret_key,
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                # Plain HTTP on loopback: everything else DEBUG=false turns on stays on.
                "SECURE_SSL_REDIRECT": "false",
                "DATABASE_URL": self.postgres.url(DATABASE),
                "CELERY_BROKER_URL": self.redis.url(0),
                "CACHE_URL": f"rediscache://127.0.0.1:{self.redis.port}/1",
                "VAR_DIR": str(self.base / "var"),
                # The receiver is on 127.0.0.1.
                "WEBHOOK_ALLOW_PRIVATE": "true",
                # Short enough that a slow target outlasts it within a fault's window.
                "WEBHOOK_READ_TIMEOUT": "5",
                "JWT_ACCESS_MINUTES": "600",
                # The harness's own calls (creating schedules, polling status every
                # second) are not what is under test; the throttles still run.
                "THROTTLE_CREATE": "100000/minute",
                "THROTTLE_LIST": "100000/minute",
                "THROTTLE_GET": "100000/minute",
                "LOG_LEVEL": "INFO",
            }
        )
        env.update(self.extra_env)
        env.update(overrides)
        return env

    # --- bringing it up ---------------------------------------------------------------

    def start(self) -> Stack:
        with self._phase("postgres and redis"):
            self.postgres.create(DATABASE)
            self.redis.start()
            self.receiver.start()
        self.auditor = Auditor(self.env(), self.logs / "audit.log")
        with self._phase("migrate, setup_periodic_tasks, a staff user"):
            self.auditor.ask("deploy", username=USERNAME, password=self.password)
        self.scheduler_queue = self.auditor.ask("settings")["scheduler_queue"]
        self._add_web()
        self._add_beat()
        self.job_worker_names = ["jobs1"]
        self._add_worker("jobs1", self._job_queues())
        if self.scheduler_queue:
            self._add_worker("scheduler", self.scheduler_queue)
        with self._phase("web, beat and workers ready"):
            for process in self.processes.values():
                process.start()
            for process in self.processes.values():
                process.wait_ready()
        self.api.sign_in(USERNAME, self.password)
        self.watcher = StatusWatcher(self.api).start()
        return self

    @contextmanager
    def _phase(self, name: str):
        started = time.monotonic()
        yield
        self.timings[name] = round(time.monotonic() - started, 1)

    def _job_queues(self) -> str:
        # Until periodic tasks have a queue of their own, the dispatcher runs on
        # the job workers; "scheduler" is listened to as well in case it appears.
        return "celery" if self.scheduler_queue else "celery,scheduler"

    def _add_web(self) -> None:
        args = ["gunicorn", "scheduler_site.wsgi", "-w", "2", "-b", f"127.0.0.1:{self.web_port}"]
        self.processes["web"] = ProductProcess("web", args, self.env(), self.logs, self._web_ready)

    def _web_ready(self, process: ProductProcess) -> bool:
        status, _ = self.api.call("GET", "/healthz", timeout=2)
        return status == 200

    def _add_beat(self) -> None:
        args = ["celery", "-A", "scheduler_site", "beat", "--loglevel=INFO", "--pidfile="]
        self.processes["beat"] = ProductProcess(
            "beat", args, self.env(), self.logs, lambda p: "beat: Starting" in p.log()
        )

    def _add_worker(self, name: str, queues: str, **env: str) -> ProductProcess:
        args = [
            "celery",
            "-A",
            "scheduler_site",
            "worker",
            "-Q",
            queues,
            "--loglevel=INFO",
            f"--concurrency={self.worker_concurrency}",
            # A fixed node name: a worker restarted under it recovers the jobs its
            # dead predecessor left running (README, "A worker that dies mid-job").
            f"--hostname={name}@{NODE_HOST}",
        ]
        process = ProductProcess(
            name, args, self.env(**env), self.logs, lambda p: " ready." in p.log()
        )
        self.processes[name] = process
        return process

    def node(self, name: str) -> str:
        return f"{name}@{NODE_HOST}"

    def set_job_workers(self, count: int, **env: str) -> None:
        """Replace the job workers with ``count`` of them running with ``env`` on top."""
        for name in self.job_worker_names:
            self.processes.pop(name).stop()
        self.job_worker_names = [f"jobs{n}" for n in range(1, count + 1)]
        self.job_worker_env = env
        started = [
            self._add_worker(name, self._job_queues(), **env).start()
            for name in self.job_worker_names
        ]
        for process in started:
            process.wait_ready()

    def restart(self, name: str) -> None:
        process = self.processes[name]
        process.start()
        process.wait_ready()

    def crashed(self) -> list[ProductProcess]:
        """Processes that exited without the harness taking them down."""
        return [p for p in self.processes.values() if not p.alive() and not p.down_on_purpose]

    def standard(self) -> list[str]:
        """Back to the layout every fault starts from (one job worker with the
        stack's settings, a prompt webhook, everything up); says what it repaired."""
        repaired = []
        if not self.postgres.running():
            self.postgres.start()
            repaired.append("postgres")
        if not self.redis.running():
            self.redis.start()
            repaired.append("redis")
        self.receiver.delay = 0.0
        if self.job_worker_names != ["jobs1"] or self.job_worker_env:
            self.set_job_workers(1)
            repaired.append("job workers")
        for process in self.processes.values():
            if not process.alive():
                self.restart(process.name)
                repaired.append(process.name)
        return repaired

    # --- schedules ----------------------------------------------------------------------

    def create_schedules(self, specs: list[dict], *, start_in: float = 3.0) -> None:
        """Through the API, as an integrator would; each series starts ``start_in`` s from now.

        A few requests at a time (gunicorn runs two workers): 200 one by one
        take half a minute on a busy machine.
        """
        first = datetime.now(UTC) + timedelta(seconds=start_in)
        scheduled_at = first.isoformat().replace("+00:00", "Z")
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = pool.map(
                lambda spec: (spec, *self.api.call("POST", "/api/v1/schedule", spec)),
                [{**spec, "scheduled_at": scheduled_at} for spec in specs],
            )
            for spec, status, answer in answers:
                if status != 201:
                    raise RuntimeError(f"creating {spec['name']} answered {status}: {answer}")
                self.schedules[spec["name"]] = answer["id"]

    # --- evidence ------------------------------------------------------------------------

    def log_marks(self) -> dict[Path, int]:
        """How far every log has got: ``log_excerpt`` shows only what came after."""
        return {path: path.stat().st_size for path in self.logs.glob("*.log")}

    def log_excerpt(self, marks: dict[Path, int], *, lines_per_log: int = 12) -> str:
        parts = []
        for path in sorted(self.logs.glob("*.log")):
            with open(path, "rb") as log:
                log.seek(marks.get(path, 0))
                new = log.read().decode(errors="replace").splitlines()
            signs = [
                line
                for line in new
                if any(sign in line for sign in _LOG_SIGNS)
                and not any(noise in line for noise in _LOG_NOISE)
            ]
            if signs:
                parts.append(f"--- {path.name}\n" + "\n".join(signs[-lines_per_log:]))
        return "\n".join(parts)

    # --- taking it down ------------------------------------------------------------------

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        for process in self.processes.values():
            process.stop(timeout=5)
        if self.auditor is not None:
            self.auditor.close()
        self.receiver.stop()
        self.redis.destroy()
        self.postgres.destroy()
        if not self.keep:
            shutil.rmtree(self.base, ignore_errors=True)

"""Throughput and latency of the REST API under gunicorn, against /healthz.

Seeds a "bench-api" workspace (500 campaigns, 500 templates, 500 schedules,
500 jobs) in a scratch PostgreSQL database, starts the real app under
``gunicorn -w 2`` with the production settings (DEBUG off, Redis cache, the
throttle rates raised so the limiter is not what is measured) on a spare
127.0.0.1 port, signs in with ``POST /api/v1/auth/token/`` and drives load
from separate processes (threads with keep-alive ``http.client`` connections;
gunicorn's sync workers close each one, so they reconnect as a browser would).

For every row: requests per second at saturation (closed loop, every thread
sending as fast as answers come), then p95 latency at 70% of the /healthz rate
(open loop: requests are due on a fixed pace and latency counts from when a
request was due, so a stall is not hidden), the ratio to /healthz, and the
1-minute load average when the row finished. Prints a markdown table.

    .venv/bin/python bench/api_bench.py [--seconds 5] [--port 0] [--keep]

Services (created or flushed as needed): PostgreSQL ``sched_api_bench`` at
postgres://postgres@127.0.0.1:5432, Redis databases 12 (broker) and 13
(cache), ``VAR_DIR=/tmp/var-api``. Override with ``BENCH_DATABASE_URL``,
``BENCH_BROKER_URL``, ``BENCH_CACHE_URL`` and ``BENCH_VAR_DIR``. To serve
another checkout of the code (say, the one before a change) on the same rows:
``BENCH_APP_DIR=/path/to/it ... --keep``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The code gunicorn serves: this checkout, or another (e.g. `git archive HEAD`
# unpacked elsewhere) to measure before and after on the same seeded rows.
APP_DIR = Path(os.environ.get("BENCH_APP_DIR", ROOT))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sched_api_bench"
)
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12")
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "rediscache://127.0.0.1:6379/13")
VAR_DIR = os.environ.get("BENCH_VAR_DIR", "/tmp/var-api")  # noqa: S108 - a scratch directory of its own
PASSWORD = "bench-api-password-1"  # noqa: S105 - a scratch user of the scratch database
ROWS = 500
# Load generator shape: processes x threads, each thread one connection.
PROCESSES = 2
THREADS = 8


def app_environment(port: int) -> dict[str, str]:
    """The production settings, on loopback and without the limiter in the way."""
    high = "1000000/second"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "scheduler_site.settings",
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback: no TLS in front
        "DATABASE_URL": DATABASE_URL,
        "CONN_MAX_AGE": "60",  # as the README's production settings
        "CELERY_BROKER_URL": BROKER_URL,
        "CACHE_URL": CACHE_URL,
        "VAR_DIR": VAR_DIR,
        "LOG_LEVEL": "WARNING",
        "THROTTLE_LIST": high,
        "THROTTLE_GET": high,
        "THROTTLE_CREATE": high,
        "THROTTLE_SIGN_IN_USERNAME": high,
        "THROTTLE_SIGN_IN_IP": high,
    }


# --- database -----------------------------------------------------------------


def create_database() -> None:
    import psycopg

    base, _, name = DATABASE_URL.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def seed(env: dict[str, str]) -> None:
    """Migrate and write the workspace, in a child process with the app's settings."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    subprocess.run([sys.executable, __file__, "--seed-only"], cwd=ROOT, env=env, check=True)


def seed_rows() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from campaigns.models import Campaign
    from jobs.models import Job
    from schedules.services import schedule_create
    from templates_lib.models import JobTemplate
    from workspaces.models import Membership, Workspace

    Workspace.objects.filter(slug="bench-api").delete()
    user, _ = get_user_model().objects.get_or_create(username="bench-api")
    user.set_password(PASSWORD)
    user.save()
    Membership.objects.filter(user=user).delete()
    workspace = Workspace.objects.create(name="Bench API", slug="bench-api", timezone="UTC")
    Membership.objects.create(user=user, workspace=workspace, role="owner")
    start = datetime.now(UTC) + timedelta(days=1)
    campaigns = Campaign.objects.bulk_create(
        Campaign(
            workspace=workspace,
            name=f"Campaign {n:03d}",
            description="A campaign of the API benchmark.",
            color="#1E88E5",
            tags=["bench", f"t{n % 7}"],
            target_job_count=50,
        )
        for n in range(ROWS)
    )
    templates = JobTemplate.objects.bulk_create(
        JobTemplate(
            workspace=workspace,
            name=f"Template {n:03d}",
            campaign=campaigns[n],
            llm_provider="openai",
            llm_model="gpt-4o",
            tags=["bench"],
            metadata={"n": n},
        )
        for n in range(ROWS)
    )
    for n in range(ROWS):
        kind = ("daily", "weekly", "cron", "once")[n % 4]
        pattern = {"weekly": "weekly:monday,thursday", "cron": "*/15 9-17 * * 1-5"}.get(kind, "")
        schedule_create(
            workspace=workspace,
            name=f"Schedule {n:03d}",
            schedule_type=kind,
            recurrence_pattern=pattern,
            scheduled_at=start + timedelta(minutes=n),
            timezone="America/New_York",
            campaign=campaigns[n],
            template=templates[n],
        )
    Job.objects.bulk_create(
        Job(
            workspace=workspace,
            name=f"Run {n:03d}",
            campaign=campaigns[n],
            campaign_name=campaigns[n].name,
            template=templates[n],
            status="succeeded" if n % 5 else "failed",
            scheduled_for=start - timedelta(hours=n),
            config={"executor": "noop", "n": n},
        )
        for n in range(ROWS)
    )


# --- the app under gunicorn ---------------------------------------------------


def spare_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "scheduler_site.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=APP_DIR,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _ = request(port, "GET", "/healthz")
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 30 s")


def request(port: int, method: str, path: str, body: dict | None = None, token: str = ""):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def sign_in(port: int) -> str:
    status, data = request(
        port, "POST", "/api/v1/auth/token/", {"username": "bench-api", "password": PASSWORD}
    )
    if status != 200:
        raise SystemExit(f"sign-in failed: {status} {data[:200]!r}")
    return json.loads(data)["access"]


def first_ids(port: int, token: str, paths: dict[str, str]) -> dict[str, str]:
    ids = {}
    for name, path in paths.items():
        status, data = request(port, "GET", f"{path}?page_size=1", token=token)
        if status != 200:
            raise SystemExit(f"{path}: {status} {data[:200]!r}")
        ids[name] = json.loads(data)["results"][0]["id"]
    return ids


# --- the load generator -------------------------------------------------------


def _thread_loop(port, path, headers, stop_at, interval, first_due, out):
    """One connection; closed loop when ``interval`` is None, else paced."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    latencies, errors = [], 0
    due = first_due
    while True:
        now = time.perf_counter()
        if interval is not None:
            if due > now:
                time.sleep(due - now)
            started = due  # open loop: a late send counts against latency
            due += interval
        else:
            started = now
        if started >= stop_at:
            break
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
        latencies.append(time.perf_counter() - started)
    conn.close()
    out.append((latencies, errors))


def _process_main(port, path, token, seconds, rate, start_at, index, queue):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    total_threads = PROCESSES * THREADS
    interval = None if rate is None else total_threads / rate
    out: list = []
    threads = []
    for n in range(THREADS):
        # Spread the paced threads' first sends evenly across one interval.
        offset = 0.0 if interval is None else interval * (index + n) / total_threads
        thread = threading.Thread(
            target=_thread_loop,
            args=(port, path, headers, start_at + seconds, interval, start_at + offset, out),
        )
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    queue.put(([lat for lats, _ in out for lat in lats], sum(errors for _, errors in out)))


def drive(port: int, path: str, token: str, seconds: float, rate: float | None):
    """(req/s, p95 seconds, errors) over ``seconds`` of load from PROCESSES processes."""
    queue = multiprocessing.Queue()
    start_at = time.perf_counter() + 0.3  # perf_counter is system-wide on Linux
    workers = [
        multiprocessing.Process(
            target=_process_main,
            args=(port, path, token, seconds, rate, start_at, n * THREADS, queue),
        )
        for n in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    latencies, errors = [], 0
    for _ in workers:
        lats, errs = queue.get()
        latencies.extend(lats)
        errors += errs
    for worker in workers:
        worker.join()
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95)] if latencies else float("nan")
    return len(latencies) / seconds, p95, errors


# --- the run ------------------------------------------------------------------


def endpoints(ids: dict[str, str]) -> list[tuple[str, str]]:
    rows = []
    for name, path in LIST_PATHS.items():
        rows.append((f"{name} list (page of 50 of {ROWS})", f"{path}?page_size=50"))
    for name, path in LIST_PATHS.items():
        rows.append((f"{name} detail", f"{path}/{ids[name]}"))
    return rows


LIST_PATHS = {
    "campaigns": "/api/v1/campaigns",
    "templates": "/api/v1/templates",
    "schedules": "/api/v1/schedule",
    "jobs": "/api/v1/jobs",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--port", type=int, default=0, help="0 picks a spare one")
    parser.add_argument("--keep", action="store_true", help="reuse the seeded rows")
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_only:
        seed_rows()
        return
    port = args.port or spare_port()
    env = app_environment(port)
    Path(VAR_DIR).mkdir(parents=True, exist_ok=True)
    create_database()
    if not args.keep:
        seed(env)
    server = start_gunicorn(env, port)
    try:
        token = sign_in(port)
        ids = first_ids(port, token, LIST_PATHS)
        results = run_rows(port, token, ids, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print_table(results, args.seconds)


def run_rows(port: int, token: str, ids: dict[str, str], seconds: float) -> list[tuple]:
    drive(port, "/healthz", "", 1.0, None)  # warm both workers
    health_rps, _, health_errors = drive(port, "/healthz", "", seconds, None)
    paced = 0.7 * health_rps
    _, health_p95, _ = drive(port, "/healthz", "", seconds, paced)
    results = [("/healthz (baseline)", "/healthz", health_rps, health_p95, health_errors)]
    results[0] += (os.getloadavg()[0],)
    for label, path in endpoints(ids):
        drive(port, path, token, 0.5, None)  # warm
        rps, _, errors = drive(port, path, token, seconds, None)
        _, p95, paced_errors = drive(port, path, token, seconds, paced)
        results.append((label, path, rps, p95, errors + paced_errors, os.getloadavg()[0]))
    return results


def print_table(results: list[tuple], seconds: float) -> None:
    health_rps = results[0][2]
    print(
        f"\nREST API under gunicorn -w 2 ({PROCESSES}x{THREADS} client threads, "
        f"{seconds:g} s per measurement, p95 at 70% of /healthz = {0.7 * health_rps:,.0f} req/s)\n"
    )
    print("| endpoint | req/s (saturated) | x /healthz | p95 at 70% | errors | load 1 min |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, path, rps, p95, errors, load in results:
        print(
            f"| {label} `{path}` | {rps:,.0f} | {rps / health_rps:.2f} "
            f"| {p95 * 1000:.1f} ms | {errors} | {load:.2f} |"
        )


if __name__ == "__main__":
    main()

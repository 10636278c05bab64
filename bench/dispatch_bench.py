"""Dispatcher benchmark on PostgreSQL + Redis; prints markdown tables.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scheduler_bench \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/6 \\
    .venv/bin/python bench/dispatch_bench.py [--sizes 10000,100000] [--lag-sizes 1000,10000,100000]

The database is created and migrated if missing and its schedules/jobs tables are
emptied between scenarios: point it at a database of its own, never a real one.

1. Baseline: a raw loop of ``execute_job.apply_async`` over one connection for N
   messages (what any Celery producer can do on this machine), in the same run.
2. Dispatch throughput: N schedules each with one run due, dispatched by 1 and by
   2 dispatcher processes (SKIP LOCKED batches, Job rows inserted, schedules
   advanced, messages published after each commit). runs/s = N / wall time.
3. Start lag: N active schedules (all but a few due far in the future) plus probe
   schedules due at staggered moments; the real production path runs them: celery
   beat (django-celery-beat DatabaseScheduler) ticks the dispatch task every
   DISPATCH_INTERVAL_SECONDS, a Celery worker runs the dispatcher and the jobs.
   lag = job.started_at - nominal time, p50/p99 over the probes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_site.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

PROBES = 200
PROBE_SPREAD_SECONDS = 20
PROBE_LEAD_SECONDS = 8
WAIT_TIMEOUT_SECONDS = 300


def setup_django() -> None:
    import django

    django.setup()


def ensure_database() -> None:
    """Create the bench database if it does not exist, then migrate it."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database of the benchmark's own.")
    if not os.environ.get("CELERY_BROKER_URL", "").startswith("redis"):
        raise SystemExit("Set CELERY_BROKER_URL to a Redis database of the benchmark's own.")
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def reset_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE jobs_jobattempt, jobs_job, schedules_scheduleevent, "
            "schedules_dispatcherheartbeat, schedules_scheduledjob CASCADE"
        )
    purge_queue()


def purge_queue() -> None:
    from scheduler_site.celery import app

    with app.connection_for_write() as conn:
        app.control.purge(connection=conn)


def bench_workspace():
    from django.contrib.auth import get_user_model

    from workspaces.selectors import default_workspace_for

    user, _ = get_user_model().objects.get_or_create(username="bench")
    return default_workspace_for(user)


def make_schedules(workspace, count: int, *, due: datetime, name: str = "load") -> None:
    from schedules.models import ScheduledJob

    ScheduledJob.objects.bulk_create(
        [
            ScheduledJob(
                workspace=workspace,
                name=f"{name} {n}",
                schedule_type=ScheduledJob.ScheduleType.DAILY,
                scheduled_at=due,
                timezone="UTC",
                job_config={"executor": "noop"},
                next_run_at=due,
            )
            for n in range(count)
        ],
        batch_size=5000,
    )


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# --- 1. raw enqueue baseline ------------------------------------------------------------


def raw_enqueue_rate(count: int) -> float:
    from jobs.tasks import execute_job

    app = execute_job.app
    started = time.perf_counter()
    with app.connection_for_write() as connection:
        producer = connection.Producer()
        for _ in range(count):
            execute_job.apply_async((str(uuid.uuid4()),), producer=producer, retry=False)
    elapsed = time.perf_counter() - started
    purge_queue()
    return count / elapsed


# --- 2. dispatch throughput ----------------------------------------------------------------


def child_dispatch(args) -> None:
    """One dispatcher process: wait for the go file, dispatch everything due, report."""
    setup_django()
    from schedules import dispatcher

    barrier = Path(args.barrier)
    (barrier / f"ready-{args.name}").touch()
    deadline = time.monotonic() + 120
    while not (barrier / "go").exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.005)
    started = time.perf_counter()
    report = dispatcher.dispatch_due(
        now=datetime.fromisoformat(args.now), lookahead=timedelta(0), time_budget=3600
    )
    print(
        json.dumps(
            {
                "claimed": report.claimed,
                "seconds": time.perf_counter() - started,
                "end": time.time(),
            }
        )
    )


def dispatch_throughput(workspace, count: int, processes: int) -> tuple[float, list[int]]:
    reset_tables()
    now = datetime.now(UTC)
    make_schedules(workspace, count, due=now - timedelta(seconds=5))
    barrier = Path(tempfile.mkdtemp(prefix="dispatch-bench-"))
    names = [f"p{n}" for n in range(processes)]
    children = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--child-dispatch",
                "--now",
                now.isoformat(),
                "--barrier",
                str(barrier),
                "--name",
                name,
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    deadline = time.monotonic() + 120
    while not all((barrier / f"ready-{name}").exists() for name in names):
        if time.monotonic() > deadline:
            raise SystemExit("dispatcher processes did not start")
        time.sleep(0.01)
    go = time.time()
    (barrier / "go").touch()
    reports = [
        json.loads(child.communicate(timeout=3600)[0].strip().splitlines()[-1])
        for child in children
    ]
    wall = max(r["end"] for r in reports) - go
    from jobs.models import Job

    created = Job.objects.count()
    if created != count:
        raise SystemExit(f"expected {count} jobs, found {created}")
    return count / wall, [r["claimed"] for r in reports]


# --- 3. start lag -------------------------------------------------------------------------


def start_process(*command: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "WARNING"}
    handle = open(log, "wb")  # noqa: SIM115  the child owns it
    try:
        return subprocess.Popen(
            list(command),
            cwd=BASE_DIR,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        handle.close()


def stop(process: subprocess.Popen) -> None:
    import signal

    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def start_lag(workspace, active: int, logs: Path) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from jobs.models import Job
    from schedules.models import DispatcherHeartbeat, ScheduledJob

    reset_tables()
    # The crowd: active schedules whose next run is tomorrow (in the table and the
    # partial index, not due during the measurement).
    make_schedules(
        workspace, active - PROBES, due=datetime.now(UTC) + timedelta(days=1), name="idle"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE schedules_scheduledjob")  # steady state: autovacuum has run
    call_command("setup_periodic_tasks", stdout=open(os.devnull, "w"))  # noqa: SIM115
    worker = start_process(
        sys.executable, "-m", "celery", "-A", "scheduler_site", "worker",
        "--pool=threads", "--concurrency=4", "--without-gossip", "--without-mingle",
        f"--hostname=bench-{uuid.uuid4().hex[:6]}@%h",
        log=logs / f"worker-{active}.log",
    )  # fmt: skip
    beat = start_process(
        sys.executable, "-m", "celery", "-A", "scheduler_site", "beat", "--pidfile=",
        f"--schedule={logs / 'beat-schedule'}",
        log=logs / f"beat-{active}.log",
    )  # fmt: skip
    # Probes are placed once the dispatcher is ticking, so start-up time is not lag.
    deadline = time.monotonic() + 120
    while not DispatcherHeartbeat.objects.exists():
        if time.monotonic() > deadline:
            stop(beat)
            stop(worker)
            return {"active": active, "runs": 0}
        time.sleep(0.2)
    first = datetime.now(UTC) + timedelta(seconds=PROBE_LEAD_SECONDS)
    probes = [first + timedelta(seconds=PROBE_SPREAD_SECONDS * n / PROBES) for n in range(PROBES)]
    ScheduledJob.objects.bulk_create(
        [
            ScheduledJob(
                workspace=workspace,
                name=f"probe {n}",
                schedule_type=ScheduledJob.ScheduleType.DAILY,
                scheduled_at=at,
                timezone="UTC",
                job_config={"executor": "noop"},
                next_run_at=at,
            )
            for n, at in enumerate(probes)
        ]
    )
    try:
        deadline = time.monotonic() + WAIT_TIMEOUT_SECONDS + PROBE_SPREAD_SECONDS + 30
        probe_jobs = Job.objects.filter(scheduled_job__name__startswith="probe ")
        while probe_jobs.filter(status="succeeded").count() < PROBES:
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        rows = list(probe_jobs.exclude(started_at=None).values_list("started_at", "scheduled_for"))
    finally:
        stop(beat)
        stop(worker)
    lags = [(started - nominal).total_seconds() for started, nominal in rows]
    if not lags:
        return {"active": active, "runs": 0}
    return {
        "active": active,
        "runs": len(lags),
        "p50": statistics.median(lags),
        "p99": pct(lags, 0.99),
        "max": max(lags),
    }


# --- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--lag-sizes", default="1000,10000,100000")
    parser.add_argument("--dispatchers", default="1,2")
    parser.add_argument("--child-dispatch", action="store_true")
    parser.add_argument("--now")
    parser.add_argument("--barrier")
    parser.add_argument("--name")
    args = parser.parse_args()
    if args.child_dispatch:
        child_dispatch(args)
        return

    ensure_database()
    from django.conf import settings

    workspace = bench_workspace()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    lag_sizes = [int(s) for s in args.lag_sizes.split(",") if s]
    dispatchers = [int(s) for s in args.dispatchers.split(",") if s]
    print(
        f"# Dispatcher benchmark ({os.cpu_count()} CPUs, batch {settings.DISPATCH_BATCH_SIZE}, "
        f"tick {settings.DISPATCH_INTERVAL_SECONDS}s, lookahead "
        f"{settings.DISPATCH_LOOKAHEAD_SECONDS}s)\n",
        flush=True,
    )
    print("| due schedules | raw apply_async msgs/s | dispatchers | dispatch runs/s | "
          "ratio to raw | split |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---|", flush=True)
    for size in sizes:
        raw = raw_enqueue_rate(size)
        for processes in dispatchers:
            rate, split = dispatch_throughput(workspace, size, processes)
            print(
                f"| {size:,} | {raw:,.0f} | {processes} | {rate:,.0f} | {rate / raw:.2f} | "
                f"{'/'.join(str(n) for n in split)} |",
                flush=True,
            )
    print()
    print(f"Start lag of {PROBES} probe runs spread over {PROBE_SPREAD_SECONDS}s "
          "(celery beat + 1 worker, threads x4):\n")  # fmt: skip
    print("| active schedules | runs measured | lag p50 (s) | lag p99 (s) | max (s) |")
    print("|---:|---:|---:|---:|---:|", flush=True)
    logs = Path(tempfile.mkdtemp(prefix="dispatch-bench-logs-"))
    for size in lag_sizes:
        result = start_lag(workspace, size, logs)
        if not result["runs"]:
            print(f"| {size:,} | 0 | - | - | - |  (see logs in {logs})", flush=True)
            continue
        print(
            f"| {size:,} | {result['runs']} | {result['p50']:.3f} | {result['p99']:.3f} | "
            f"{result['max']:.3f} |",
            flush=True,
        )
    reset_tables()


if __name__ == "__main__":
    main()

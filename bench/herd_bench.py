"""On time at 09:00 Monday: the thundering herd and job execution against bare Celery.

Measured in one run, side by side with the raw stack (bench/bare_celery.py: a
bare Celery app, a noop task, the same worker settings: one worker, prefork,
``--concurrency 2``, acks_late, prefetch 1, on Redis):

1. Execution: N noop tasks enqueued at once; tasks (jobs) per second from the
   first publish to the last finish. For the product: N noop Jobs written at
   once and enqueued in one batch, run by one real job worker. Commits per
   job are PostgreSQL's ``xact_commit`` for the database before and after
   the run, divided by N (the worker's heartbeat thread included); SQL
   statements and commits per job on the success path are also counted
   in-process (``job_run`` under a statement counter).
2. Herd: N schedules due at the same instant T. Bare: N messages published
   with eta=T before T. Product: N daily schedules whose next run is T (written
   more than DISPATCH_MAX_LOOKAHEAD_SECONDS before it, as a real herd is), with
   what ``make run`` starts (celery beat ticking the dispatcher, the scheduler
   worker, one job worker) on PostgreSQL + Redis. Start lag p50/p99
   (``started_at - scheduled_for``), the drain time (last finish - T), and for
   the product when the last message reached the broker (``queued_at`` - T;
   negative is before T) and the dispatch rate (jobs created per second of
   dispatcher time, from its heartbeats).

The 1-minute load average is printed beside each figure. Point it at scratch
databases of its own (tables are emptied between scenarios, queues purged):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sched_herd_bench \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/6 BARE_BROKER_URL=redis://127.0.0.1:6379/8 \\
    .venv/bin/python bench/herd_bench.py [--execution 5000] [--herds 2000,10000] [--big 100000]

``--big`` runs bounded (``--bound`` seconds after T) and reports how far it got.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import mkdtemp

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_site.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("CONN_MAX_AGE", "60")
# The production settings of the README (DEBUG off: no query log, no debug cursor).
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(60))
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")

from bench.dispatch_bench import (  # noqa: E402
    bench_workspace,
    ensure_database,
    make_schedules,
    pct,
    reset_tables,
    start_process,
    stop,
)

BARE_URL = os.environ.setdefault("BARE_BROKER_URL", "redis://127.0.0.1:6379/8")


def load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def say(message: str) -> None:
    """Progress on stderr (the table goes to stdout at the end)."""
    print(f"[{time.strftime('%H:%M:%S')} load {load()}] {message}", file=sys.stderr, flush=True)


def celery(*args: str) -> tuple[str, ...]:
    return (sys.executable, "-m", "celery", *args)


def job_worker(app: str, queue: str, log: Path):
    return start_process(
        *celery("-A", app, "worker", "-Q", queue, "--concurrency", "2", "--pool", "prefork",
                "--without-gossip", "--without-mingle", "--loglevel", "WARNING",
                "-n", f"bench-{uuid.uuid4().hex[:6]}@%h"),
        log=log,
    )  # fmt: skip


def wait_for(predicate, *, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


# --- bare Celery ---------------------------------------------------------------------------


def bare_client():
    import redis

    return redis.Redis.from_url(BARE_URL)


def bare_times(expected: int, timeout: float) -> list[tuple[float, float, float]]:
    from bench.bare_celery import RESULTS_KEY

    client = bare_client()
    wait_for(lambda: client.llen(RESULTS_KEY) >= expected, timeout=timeout, interval=0.05)
    rows = [tuple(map(float, raw.split())) for raw in client.lrange(RESULTS_KEY, 0, -1)]
    client.delete(RESULTS_KEY)
    return rows


def bare_publish(count: int, *, eta: datetime | None) -> float:
    """Publish ``count`` noop tasks over one connection; returns the first publish time."""
    from bench.bare_celery import app, noop

    nominal = (eta or datetime.now(UTC)).timestamp()
    first = time.time()
    with app.producer_or_acquire() as producer:
        for _ in range(count):
            noop.apply_async((nominal,), eta=eta, producer=producer)
    return first


def bare_run(count: int, *, herd: bool, logs: Path) -> dict:
    from bench.bare_celery import RESULTS_KEY

    client = bare_client()
    client.flushdb()
    say(f"bare Celery: {count:,} {'due at one instant' if herd else 'enqueued at once'}")
    worker = job_worker("bench.bare_celery", "bare", logs / f"bare-{count}-{herd}.log")
    try:
        wait_for(_bare_ready, timeout=60)
        client.delete(RESULTS_KEY)
        # Warm the pool (both children connected) before measuring.
        bare_publish(20, eta=None)
        bare_times(20, 60)
        eta = datetime.now(UTC) + timedelta(seconds=3 + count / 4000) if herd else None
        first = bare_publish(count, eta=eta)
        rows = bare_times(count, timeout=600)
    finally:
        stop(worker)
    return _figures(rows, first=first, nominal=eta.timestamp() if eta else None)


def answers_ping(app) -> bool:
    """Whether a worker of ``app`` is up (a worker that is still starting: False)."""
    try:
        return bool(app.control.ping(timeout=0.5))
    except Exception:
        return False


def _bare_ready() -> bool:
    from bench.bare_celery import app

    return answers_ping(app)


def _figures(rows, *, first: float, nominal: float | None) -> dict:
    finishes = [finish for _, _, finish in rows]
    figures = {"done": len(rows), "load": load()}
    if nominal is None:
        figures["rate"] = len(rows) / (max(finishes) - first) if rows else 0.0
        return figures
    lags = [started - at for at, started, _ in rows]
    figures.update(p50=statistics.median(lags), p99=pct(lags, 0.99), drain=max(finishes) - nominal)
    return figures


# --- the product ---------------------------------------------------------------------------


def xact_commit() -> int:
    """PostgreSQL's count of committed transactions in the benchmark's database.

    Read over a connection to another database, so the reads themselves are
    not counted; a fresh connection each time, so the statistics snapshot is
    fresh too.
    """
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = %s", [name]
        ).fetchone()
    return row[0]


def stats_flushed() -> None:
    """A backend reports its counts to pg_stat_database when it exits (and when
    idle, but only every few seconds): close this process's connection, so the
    next query opens a new one, and give the report a moment."""
    from django.db import connection

    connection.close()
    time.sleep(0.5)


NOOP = {"executor": "noop"}


def noop_jobs(workspace, count: int):
    from jobs.models import Job

    return Job.objects.bulk_create(
        [
            Job(workspace=workspace, name=f"bench {n}", config=NOOP, trigger="manual")
            for n in range(count)
        ],
        batch_size=5000,
    )


def product_execution(workspace, count: int, logs: Path) -> dict:
    from django.db import transaction

    from jobs import services
    from jobs.models import Job

    reset_tables()
    say(f"product: {count:,} noop jobs enqueued at once")
    worker = job_worker("scheduler_site", "celery", logs / f"product-exec-{count}.log")
    try:
        wait_for(_product_ready, timeout=60)
        warm = noop_jobs(workspace, 20)
        with transaction.atomic():
            services.enqueue_after_commit(warm)
        wait_for(lambda: Job.objects.filter(status="succeeded").count() >= 20, timeout=60)
        jobs = noop_jobs(workspace, count)
        stats_flushed()
        before = xact_commit()
        first = time.time()
        with transaction.atomic():
            services.enqueue_after_commit(jobs)
        ids = [job.pk for job in jobs]
        polls = 0

        def all_done() -> bool:
            nonlocal polls
            polls += 1  # each poll is a transaction of this process's own
            return not Job.objects.filter(pk__in=ids).exclude(status="succeeded").exists()

        wait_for(all_done, timeout=900, interval=0.1)
    finally:
        stop(worker)  # its connections close: their counts are reported
    stats_flushed()
    commits = xact_commit() - before - polls
    last = max(Job.objects.filter(pk__in=ids).values_list("finished_at", flat=True))
    return {
        "rate": count / (last.timestamp() - first),
        "commits": commits / count,
        "load": load(),
    }


def _product_ready() -> bool:
    from scheduler_site.celery import app

    return answers_ping(app)


def statements_per_job(workspace, count: int = 200) -> tuple[float, float]:
    """The success path in-process: SQL statements and commits per job."""
    from django.db import connection

    from jobs import services

    jobs = noop_jobs(workspace, count)
    statements = 0

    def counter(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    stats_flushed()
    before = xact_commit()
    with connection.execute_wrapper(counter):
        for job in jobs:
            services.job_run(job_id=job.pk, worker_id="bench@local:1:1")
    stats_flushed()
    commits = xact_commit() - before - session_setup_commits()
    return statements / count, commits / count


def session_setup_commits() -> int:
    """What opening a connection commits by itself (Django's session setup): the
    job loop above ran on a connection of its own, opened after ``before``."""
    from django.db import connection

    before = xact_commit()
    connection.ensure_connection()
    stats_flushed()
    return xact_commit() - before


def product_herd(workspace, count: int, logs: Path, *, bound: float) -> dict:
    from django.conf import settings
    from django.core.management import call_command
    from django.db.models import Sum

    from jobs.models import Job
    from schedules.models import DispatcherHeartbeat

    reset_tables()
    say(f"product: {count:,} schedules due at one instant")
    call_command("setup_periodic_tasks", stdout=open(os.devnull, "w"))  # noqa: SIM115
    processes = [
        job_worker("scheduler_site", "celery", logs / f"herd-worker-{count}.log"),
        start_process(
            *celery("-A", "scheduler_site", "worker", "-Q", "scheduler", "--concurrency", "1",
                    "--without-gossip", "--without-mingle", "--loglevel", "WARNING",
                    "-n", f"bench-scheduler-{uuid.uuid4().hex[:6]}@%h"),
            log=logs / f"herd-scheduler-{count}.log",
        ),
        start_process(
            *celery("-A", "scheduler_site", "beat", "--pidfile=", "--loglevel", "WARNING",
                    f"--schedule={logs / 'beat-schedule'}"),
            log=logs / f"herd-beat-{count}.log",
        ),
    ]  # fmt: skip
    try:
        wait_for(DispatcherHeartbeat.objects.exists, timeout=120)
        # Due after the longest lookahead, as a real herd is: the schedules
        # exist well before their time, and the dispatcher may claim them early.
        ahead = settings.DISPATCH_MAX_LOOKAHEAD_SECONDS + 5 + count / 20_000
        nominal = datetime.now(UTC) + timedelta(seconds=ahead)
        make_schedules(workspace, count, due=nominal, name="herd")
        say(f"  {count:,} schedules written; due in {ahead:.0f} s")
        jobs = Job.objects.filter(scheduled_for=nominal)
        deadline = (nominal + timedelta(seconds=bound)).timestamp()
        while time.time() < deadline:
            if jobs.filter(status="succeeded").count() >= count:
                break
            time.sleep(0.5)
        rows = list(
            jobs.exclude(started_at=None).values_list("started_at", "finished_at", "queued_at")
        )
        dispatched = DispatcherHeartbeat.objects.filter(jobs_created__gt=0).aggregate(
            jobs=Sum("jobs_created"), ms=Sum("duration_ms")
        )
    finally:
        for process in processes:
            stop(process)
    if not rows:
        return {"done": 0, "load": load()}
    lags = [(started - nominal).total_seconds() for started, _, _ in rows]
    finished = [at for _, at, _ in rows if at is not None]
    queued = [at for _, _, at in rows if at is not None]
    return {
        "done": len(finished),
        "p50": statistics.median(lags),
        "p99": pct(lags, 0.99),
        "drain": (max(finished) - nominal).total_seconds(),
        "broker": (max(queued) - nominal).total_seconds() if queued else float("nan"),
        "dispatch_rate": (dispatched["jobs"] or 0) / max(dispatched["ms"] or 1, 1) * 1000,
        "load": load(),
    }


# --- report --------------------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def herd_rows(count: int, bare: dict, product: dict) -> list[str]:
    done = f" ({product['done']:,} of {count:,} done)" if product["done"] < count else ""
    loads = f"{product['load']} / {bare['load']}"
    p99, drain = product.get("p99", float("inf")), product.get("drain", float("inf"))
    lag_target, drain_target = 2 * bare["p99"] + 1, 1.5 * bare["drain"]
    return [
        f"| {count:,} due at once{done}: start lag p50 | {product.get('p50', 0):.2f} s "
        f"| {bare['p50']:.2f} s | | {loads} |",
        f"| {count:,}: start lag p99 | {p99:.2f} s | {bare['p99']:.2f} s "
        f"| target <= {lag_target:.2f} s: {verdict(p99 <= lag_target)} | {loads} |",
        f"| {count:,}: last job finished (drain) | {drain:.2f} s | {bare['drain']:.2f} s "
        f"| {drain / bare['drain']:.2f}x, target <= 1.5x: {verdict(drain <= drain_target)} "
        f"| {loads} |",
        f"| {count:,}: last message reached the broker | {product.get('broker', 0):+.2f} s "
        f"from T | before T | | {product['load']} |",
        f"| {count:,}: dispatch rate (jobs created / dispatcher busy time) "
        f"| {product.get('dispatch_rate', 0):,.0f} runs/s | | | {product['load']} |",
    ]


def execution_rows(count: int, bare: dict, product: dict, statements: float, commits: float):
    ratio = product["rate"] / bare["rate"]
    loads = f"{product['load']} / {bare['load']}"
    return [
        f"| noop execution, {count:,} enqueued at once | {product['rate']:,.0f} jobs/s "
        f"| {bare['rate']:,.0f} tasks/s | {ratio:.2f}x, target >= 0.5x: {verdict(ratio >= 0.5)} "
        f"| {loads} |",
        f"| commits per job, whole worker (xact_commit delta / jobs) | {product['commits']:.2f} "
        f"| | | {product['load']} |",
        f"| success path in-process: statements / commits per job "
        f"| {statements:.1f} / {commits:.2f} | | target <= 2 commits: "
        f"{verdict(round(commits, 2) <= 2)} | {load()} |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--execution", type=int, default=5000, help="noop jobs enqueued at once")
    parser.add_argument("--herds", default="2000,10000", help="schedules due at one instant")
    parser.add_argument("--big", type=int, default=0, help="a bounded herd, e.g. 100000")
    parser.add_argument("--bound", type=float, default=420.0, help="seconds after T for --big")
    args = parser.parse_args()

    ensure_database()
    workspace = bench_workspace()
    logs = Path(mkdtemp(prefix="herd-bench-"))
    table = []

    if args.execution:
        bare = bare_run(args.execution, herd=False, logs=logs)
        product = product_execution(workspace, args.execution, logs)
        reset_tables()
        statements, commits = statements_per_job(workspace)
        table += execution_rows(args.execution, bare, product, statements, commits)
    sizes = [int(size) for size in args.herds.split(",") if size]
    if args.big:
        sizes.append(args.big)
    for count in sizes:
        bound = args.bound if count == args.big else 900.0
        bare = bare_run(count, herd=True, logs=logs)
        product = product_herd(workspace, count, logs, bound=bound)
        table += herd_rows(count, bare, product)

    print("\nOne worker (prefork, --concurrency 2) on PostgreSQL + Redis, beside bare Celery")
    print(f"(logs in {logs})\n")
    print("| what | this product | bare Celery | ratio / target | load avg (1 min) |")
    print("|---|---:|---:|---|---|")
    for row in table:
        print(row)


if __name__ == "__main__":
    main()

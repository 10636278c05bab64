"""How fast does one worker execute jobs, and how long from "use" to "succeeded"?

Measures, in one run against the configured DATABASE_URL and broker:

- raw baseline: single-row UPDATEs by primary key, autocommitted (a job
  makes two commits plus a read and an insert, so this bounds it);
- baseline: the same claim/execute/record path called in-process, no broker
  and no worker (the database's share of the cost);
- throughput: N noop jobs written at once and enqueued in one batch, run by
  one real ``celery worker`` process (prefork, --concurrency as given);
- latency: M sequential ``POST /api/v1/templates/{id}/use`` requests through
  the real API view; each job's finished_at minus the moment the request
  started (median and p99), with the worker otherwise idle.

It migrates the configured database and writes a "bench" workspace into it,
and purges the Redis queue when it starts the worker: point it at scratch
ones, e.g.

    createdb -h 127.0.0.1 -U postgres sched_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sched_bench \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/4 .venv/bin/python bench/jobs_bench.py

With no CELERY_BROKER_URL it uses the embedded SQLite broker in a temp file.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_site.settings")
os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE", "true")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from jobs import services  # noqa: E402
from jobs.models import Job  # noqa: E402
from scheduler_site.celery import app  # noqa: E402
from scheduler_site.testing import configure_test_broker, start_worker, wait_until  # noqa: E402
from templates_lib.models import JobTemplate  # noqa: E402
from workspaces.selectors import default_workspace_for  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def bench_user():
    user, _ = get_user_model().objects.get_or_create(username="jobs-bench")
    return user, default_workspace_for(user)


def new_jobs(workspace, count: int) -> list[Job]:
    jobs = [
        Job(workspace=workspace, name=f"bench {n}", config={"executor": "noop"}, trigger="manual")
        for n in range(count)
    ]
    return Job.objects.bulk_create(jobs)


def raw_update_baseline(workspace, count: int) -> float:
    """One autocommitted UPDATE by primary key: the floor for any state change."""
    ids = [job.pk for job in new_jobs(workspace, count)]
    started = time.perf_counter()
    for pk in ids:
        Job.objects.filter(pk=pk).update(last_error="x")
    return count / (time.perf_counter() - started)


def in_process_baseline(workspace, count: int) -> float:
    jobs = new_jobs(workspace, count)
    started = time.perf_counter()
    for job in jobs:
        services.job_run(job_id=job.pk, worker_id="bench@local:1:1")
    return count / (time.perf_counter() - started)


def worker_throughput(workspace, count: int) -> float:
    jobs = new_jobs(workspace, count)
    ids = [job.pk for job in jobs]
    started = time.perf_counter()
    with transaction.atomic():
        services.enqueue_after_commit(jobs)
    wait_until(
        lambda: not Job.objects.filter(pk__in=ids).exclude(status="succeeded").exists(),
        timeout=120,
        interval=0.05,
        message="the worker did not finish the batch",
    )
    return count / (time.perf_counter() - started)


def use_latencies(user, workspace, count: int) -> list[float]:
    template, _ = JobTemplate.objects.get_or_create(workspace=workspace, name="bench template")
    client = APIClient(SERVER_NAME="localhost")
    client.force_authenticate(user)
    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = []
    latencies = []
    for _ in range(count):
        started_at = timezone.now()
        response = client.post(f"/api/v1/templates/{template.pk}/use", {}, format="json")
        assert response.status_code == 201, response.content
        job_id = response.json()["id"]
        job = wait_until(
            lambda job_id=job_id: Job.objects.filter(pk=job_id, status="succeeded").first(),
            timeout=60,
            interval=0.005,
        )
        latencies.append((job.finished_at - started_at).total_seconds() * 1000)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=500, help="jobs in the throughput batch")
    parser.add_argument("--uses", type=int, default=50, help="sequential uses for latency")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--pool", default="prefork")
    parser.add_argument(
        "--conn-max-age", default="60", help="the worker's CONN_MAX_AGE (as in production)"
    )
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    user, workspace = bench_user()
    broker = configure_test_broker(app, Path(tempfile.mkdtemp(prefix="jobs-bench-")))
    raw_updates = raw_update_baseline(workspace, 200)
    baseline = in_process_baseline(workspace, min(args.jobs, 200))
    worker = start_worker(
        broker,
        pool=args.pool,
        concurrency=args.concurrency,
        env={"CONN_MAX_AGE": args.conn_max_age},
    )
    try:
        worker_throughput(workspace, 20)  # warm up the pool's connections
        throughput = worker_throughput(workspace, args.jobs)
        latencies = use_latencies(user, workspace, args.uses)
    finally:
        worker.stop()

    vendor = connection.vendor
    print(
        f"\n{vendor} + {broker.kind} broker, one worker (--pool={args.pool} "
        f"--concurrency={args.concurrency}, CONN_MAX_AGE={args.conn_max_age}), noop executor\n"
    )
    print("| measure | value |")
    print("| --- | --- |")
    print(f"| raw baseline: one UPDATE by primary key, autocommit | {raw_updates:,.0f} /s |")
    print(f"| baseline: in-process claim+execute+record, no broker | {baseline:,.0f} jobs/s |")
    print(f"| worker throughput ({args.jobs} jobs enqueued at once) | {throughput:,.0f} jobs/s |")
    median = statistics.median(latencies)
    print(f"| use -> succeeded, median ({args.uses} sequential uses) | {median:.1f} ms |")
    print(f"| use -> succeeded, p99 | {percentile(latencies, 0.99):.1f} ms |")
    print(f"| use -> succeeded, min / max | {min(latencies):.1f} / {max(latencies):.1f} ms |")


if __name__ == "__main__":
    main()

"""Dispatchers as real OS processes: concurrency and crashes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Count

from jobs.models import Job
from scheduler_site import testing
from schedules.models import ScheduledJob

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DUE = NOW - timedelta(seconds=10)
CHILD_TIMEOUT_SECONDS = 600


def due_daily_schedules(workspace, count: int) -> None:
    """``count`` daily schedules each with exactly one run due at DUE."""
    ScheduledJob.objects.bulk_create(
        [
            ScheduledJob(
                workspace=workspace,
                name=f"load {n}",
                schedule_type=ScheduledJob.ScheduleType.DAILY,
                scheduled_at=DUE,
                timezone="UTC",
                job_config={"executor": "noop"},
                next_run_at=DUE,
            )
            for n in range(count)
        ],
        batch_size=2000,
    )


def child_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "CELERY_TASK_ALWAYS_EAGER"}
    env.update(
        {
            "DATABASE_URL": testing.test_database_url(),
            "DJANGO_SETTINGS_MODULE": "scheduler_site.settings",
            # The broker is out of this test's scope: a port nothing listens on
            # leaves every dispatched job pending in the outbox for the sweeper.
            "CELERY_BROKER_URL": "redis://127.0.0.1:9/0",
            "CELERY_BROKER_PUBLISH_TIMEOUT": "0.2",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def start_child(*args: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "schedules.tests.dispatch_child", "--now", NOW.isoformat()]
    return subprocess.Popen(
        [*command, *args],
        cwd=settings.BASE_DIR,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=CHILD_TIMEOUT_SECONDS)
    return process.returncode, out, err


def release_together(barrier: Path, names: list[str], processes) -> None:
    deadline = time.monotonic() + 120
    while not all((barrier / f"ready-{name}").exists() for name in names):
        for process in processes:
            assert process.poll() is None, process.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "dispatcher processes did not start"
        time.sleep(0.02)
    (barrier / "go").touch()


def assert_exactly_one_run_each(expected: int) -> None:
    assert Job.objects.count() == expected
    per_run = (
        Job.objects.values("scheduled_job_id", "scheduled_for")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not per_run.exists()
    assert ScheduledJob.objects.filter(
        run_count=1, next_run_at=DUE + timedelta(days=1)
    ).count() == (expected)


@pytest.mark.parametrize("dispatchers", [3])
def test_concurrent_dispatcher_processes_create_exactly_one_job_per_due_run(
    requires_postgres, workspace, tmp_path, dispatchers
):
    due_daily_schedules(workspace, 10_000)
    names = [f"d{n}" for n in range(dispatchers)]
    processes = [
        start_child("--name", name, "--barrier", str(tmp_path), "--batch-size", "200")
        for name in names
    ]
    release_together(tmp_path, names, processes)
    reports = []
    for process in processes:
        code, out, err = finish(process)
        assert code == 0, err[-3000:]
        reports.append(json.loads(out.strip().splitlines()[-1]))

    assert_exactly_one_run_each(10_000)
    assert sum(r["claimed"] for r in reports) == 10_000
    # They really did share the work (SKIP LOCKED), not run one after another.
    assert sum(1 for r in reports if r["claimed"] > 0) >= 2, reports


def test_a_dispatcher_killed_mid_batch_leaves_nothing_half_done(workspace):
    due_daily_schedules(workspace, 1_000)

    code, _, err = finish(start_child("--batch-size", "100", "--crash-in-batch", "3"))
    assert code == -9, err[-3000:]
    # Three batches committed; the fourth had inserted its jobs and died before commit.
    assert Job.objects.count() == 300
    dispatched = set(Job.objects.values_list("scheduled_job_id", flat=True))
    advanced = set(ScheduledJob.objects.filter(run_count=1).values_list("pk", flat=True))
    assert dispatched == advanced
    assert ScheduledJob.objects.filter(run_count=0, next_run_at=DUE).count() == 700

    code, out, err = finish(start_child("--batch-size", "100"))
    assert code == 0, err[-3000:]
    assert json.loads(out.strip().splitlines()[-1])["claimed"] == 700
    assert_exactly_one_run_each(1_000)

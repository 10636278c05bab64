"""The fault suite (issue 12): the deployed product survives each fault keeping its promise.

One stack for the module (``scheduler_site/faults``): a PostgreSQL cluster and
a Redis of its own, gunicorn, celery beat, a job worker and the scheduler
worker as real processes with DEBUG off, and a webhook receiver every job
posts to. Schedules due every second (two RRULEs a second apart, each every
2 s, the finest series the product accepts) and two per-minute crons run
through all of it. Each test injects one fault and then reads its window
from the run ledger:

- no occurrence has two Job rows;
- every occurrence has a Job or a recorded fate once things settle;
- a run starts on time and succeeds within RECOVERY_BOUND_SECONDS of the
  component's return;
- ``/api/v1/schedule/status`` answers 503 (never a 500, never silence) while
  the component is down, and names it when the answer lists components.

Time is compressed so the module stays within a few minutes: seconds-long
faults, the outbox sweeper every 5 s for jobs unsent after 10 s, retries 2 s
apart. The same faults at production cadence (200 per-minute crons,
minutes-long windows): ``bench/fault_table.py``. FAULTS_KEEP=1 keeps the
processes' logs (the path is printed).
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from conftest import require_or_skip
from scheduler_site.faults import scenarios, servers
from scheduler_site.faults.scenarios import FAULTS, Timing
from scheduler_site.faults.stack import Stack, minute_cron, tick_schedule, webhook_config
from scheduler_site.testing import wait_until

pytestmark = [pytest.mark.fault, pytest.mark.integration]

# The target: the first on-time run within this long of the return.
RECOVERY_BOUND_SECONDS = 15.0
# How long a window may take to settle (retries, the sweeper re-sending).
SETTLE_TIMEOUT_SECONDS = 15.0
# How long an earlier fault's backlog may take to drain before the next fault.
STEADY_TIMEOUT_SECONDS = 15.0
BEFORE_SECONDS = 4.0
# Past the recovery bound, so a recovery just inside it is inside the window.
AFTER_SECONDS = RECOVERY_BOUND_SECONDS + 2.0
COMPRESSED_TIME = {"SWEEP_INTERVAL_SECONDS": "5", "SWEEP_STALE_AFTER_SECONDS": "10"}
# Two retries, the first about 2 s after a failure (the product's default is
# about a minute): a redelivery shows within the window, and a run that
# outlasts the read timeout settles soon after it.
JOB_CONFIG = {"max_retries": 2, "retry_backoff_seconds": 2}


@pytest.fixture(scope="module")
def stack():
    missing = servers.missing_servers()
    require_or_skip(
        settings.REQUIRE_POSTGRES or settings.REQUIRE_REDIS,
        not missing,
        "The fault harness's servers (" + ", ".join(missing) + ")",
    )
    stack = Stack(extra_env=COMPRESSED_TIME, keep=bool(os.environ.get("FAULTS_KEEP")))
    try:
        stack.start()
        config = webhook_config(stack.receiver.url, **JOB_CONFIG)
        stack.create_schedules(
            [
                tick_schedule("every-2s-even", config, offset=0),
                tick_schedule("every-2s-odd", config, offset=1),
                minute_cron("minutely-1", config),
                minute_cron("minutely-2", config),
            ]
        )
        wait_until(stack.receiver.deliveries, timeout=30, message="no run reached the webhook")
        yield stack
    finally:
        stack.close()
        if stack.keep:
            print(f"\nfault harness logs: {stack.logs}")


def assert_survives(stack: Stack, fault: str, outage_seconds: float) -> None:
    timing = Timing(before=BEFORE_SECONDS, outage=outage_seconds, after=AFTER_SECONDS)
    verdict = scenarios.run_fault(
        stack,
        FAULTS[fault],
        timing,
        settle_timeout=SETTLE_TIMEOUT_SECONDS,
        steady_timeout=STEADY_TIMEOUT_SECONDS,
    )
    row = scenarios.table_row(verdict)
    print(f"\n{scenarios.TABLE_HEADER}\n{row}\n{verdict.context()}")
    problems = verdict.problems(recovery_bound=RECOVERY_BOUND_SECONDS)
    assert not problems, (
        f"{fault}: {'; '.join(problems)}\n{row}\n{verdict.context()}\n"
        f"logs during the fault:\n{verdict.evidence}"
    )


def test_a_job_worker_killed_and_restarted_10s_later(stack):
    assert_survives(stack, "worker-kill", outage_seconds=10)


def test_beat_killed_for_12s(stack):
    assert_survives(stack, "beat-kill", outage_seconds=12)


def test_redis_down_for_20s_and_back_empty(stack):
    assert_survives(stack, "redis-down", outage_seconds=20)


def test_postgresql_down_for_20s(stack):
    assert_survives(stack, "postgres-down", outage_seconds=20)


def test_a_worker_frozen_past_the_visibility_timeout_runs_no_job_twice(stack):
    # Visibility timeout 10 s; Redis hands a frozen worker's messages back
    # within one restore scan (10 s) after that.
    assert_survives(stack, "worker-stop", outage_seconds=25)


def test_a_webhook_slower_than_the_read_timeout_gets_one_job_id_per_run(stack):
    assert_survives(stack, "webhook-slow", outage_seconds=15)

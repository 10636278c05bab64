"""End to end with a real ``celery worker`` process (scheduler_site/testing.py).

Runs on the embedded default (filesystem transport, SQLite) and on
PostgreSQL + Redis; the Redis-only redelivery test says so.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import signal
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from conftest import require_or_skip
from jobs import services
from jobs.models import Job
from jobs.tasks import execute_job
from jobs.tests.factories import JobFactory
from jobs.tests.receiver import Reply
from scheduler_site.celery import app
from scheduler_site.testing import wait_until
from templates_lib.tests.factories import JobTemplateFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FAST_RETRIES = {"JOB_RETRY_BACKOFF_SECONDS": "0.2", "WEBHOOK_ALLOW_PRIVATE": "true"}


def wait_for_status(job_id, *statuses, timeout=30.0) -> Job:
    def reached():
        job = Job.objects.filter(pk=job_id).first()
        return job if job and job.status in statuses else None

    try:
        return wait_until(reached, timeout=timeout)
    except AssertionError:
        job = Job.objects.get(pk=job_id)
        raise AssertionError(
            f"job {job_id} stayed {job.status} (wanted {statuses}); last_error={job.last_error!r}"
        ) from None


def test_a_used_template_runs_on_a_real_worker_and_shows_succeeded(api, workspace, celery_worker):
    template = JobTemplateFactory(workspace=workspace, name="Forbes Standard")

    response = api.post(f"/api/v1/templates/{template.pk}/use", {"country": "gb"}, format="json")

    assert response.status_code == 201
    job_id = response.json()["id"]
    wait_for_status(job_id, "succeeded")
    detail = api.get(f"/api/v1/jobs/{job_id}").json()
    assert detail["status"] == "succeeded"
    assert detail["attempts"] == 1
    assert [a["outcome"] for a in detail["attempt_log"]] == ["succeeded"]


def test_a_webhook_that_fails_once_is_retried_and_succeeds_signed_each_time(
    workspace, receiver, celery_worker_factory
):
    celery_worker_factory(env=FAST_RETRIES)
    receiver.replies = [Reply(500, b"oops"), Reply(200, b'{"cost_usd": "0.10"}')]

    job = JobFactory(
        workspace=workspace,
        config={"executor": "webhook", "webhook_url": receiver.url},
        enqueue=True,
    )

    job = wait_for_status(job.pk, "succeeded", "failed")
    assert job.status == "succeeded"
    assert [(a.number, a.outcome, a.http_status) for a in job.attempt_log.all()] == [
        (1, "retrying", 500),
        (2, "succeeded", 200),
    ]
    assert len(receiver.deliveries) == 2
    for number, delivery in enumerate(receiver.deliveries, start=1):
        assert delivery.headers["X-Job-Id"] == str(job.pk)
        assert delivery.json()["attempt"] == number
        digest = hmac.new(workspace.webhook_secret.encode(), delivery.body, hashlib.sha256)
        assert delivery.headers["X-Signature"] == f"sha256={digest.hexdigest()}"


def test_a_worker_killed_mid_job_has_its_job_run_again_when_it_restarts(
    workspace, celery_worker_factory
):
    first = celery_worker_factory(node="crashy@%h")
    job = JobFactory(
        workspace=workspace,
        config={"executor": "noop", "noop_sleep_seconds": 60, "noop_sleep_attempts": 1},
        enqueue=True,
    )
    wait_for_status(job.pk, "running")

    first.kill()
    assert Job.objects.get(pk=job.pk).status == "running"
    celery_worker_factory(node="crashy@%h")

    job = wait_for_status(job.pk, "succeeded")
    assert job.attempts == 2
    assert [a.outcome for a in job.attempt_log.all()] == ["failed", "succeeded"]
    assert "Lost" in job.attempt_log.get(number=1).error


def test_a_killed_pool_process_has_its_job_sent_back_and_run_again(
    workspace, celery_worker_factory
):
    celery_worker_factory(pool="prefork", concurrency=1)
    job = JobFactory(
        workspace=workspace,
        config={"executor": "noop", "noop_sleep_seconds": 60, "noop_sleep_attempts": 1},
        enqueue=True,
    )
    running = wait_for_status(job.pk, "running")
    child_pid = int(running.claimed_by.rsplit(":", 1)[1])

    os.kill(child_pid, signal.SIGKILL)

    job = wait_for_status(job.pk, "succeeded")
    assert job.attempts == 2
    assert "died" in job.attempt_log.get(number=1).error


def test_redis_redelivers_a_dead_workers_message_to_another_worker(
    workspace, celery_worker_factory
):
    require_or_skip(
        settings.REQUIRE_REDIS,
        settings.CELERY_BROKER_URL.startswith("redis"),
        "Redis (acks_late redelivery; the filesystem transport has none)",
    )
    first = celery_worker_factory(node="doomed@%h", visibility_timeout=2)
    job = JobFactory(
        workspace=workspace,
        config={"executor": "noop", "noop_sleep_seconds": 60, "noop_sleep_attempts": 1},
        enqueue=True,
    )
    wait_for_status(job.pk, "running")

    first.kill()
    celery_worker_factory(node="rescuer@%h", visibility_timeout=2)

    job = wait_for_status(job.pk, "succeeded", timeout=60)
    assert job.attempts == 2
    assert "doomed" in job.attempt_log.get(number=1).error


def test_with_the_broker_unreachable_use_still_answers_201_and_the_sweeper_delivers_later(
    api, workspace, celery_worker, monkeypatch
):
    template = JobTemplateFactory(workspace=workspace)
    # Only this process's publisher points at a closed port; the worker keeps
    # consuming from the real broker.
    monkeypatch.setattr(app.conf, "broker_write_url", "redis://127.0.0.1:1/0")

    started = time.monotonic()
    response = api.post(f"/api/v1/templates/{template.pk}/use", {}, format="json")
    elapsed = time.monotonic() - started

    assert response.status_code == 201
    assert elapsed < settings.CELERY_BROKER_PUBLISH_TIMEOUT + 1.0
    job_id = response.json()["id"]
    time.sleep(0.5)  # a worker would have claimed it by now had it been sent
    assert Job.objects.get(pk=job_id).status == "pending"

    later = timezone.now() + timedelta(seconds=settings.SWEEP_STALE_AFTER_SECONDS + 1)
    assert services.jobs_sweep(now=later)["requeued"] == 0  # still unreachable
    monkeypatch.undo()
    assert services.jobs_sweep(now=later)["requeued"] == 1

    assert wait_for_status(job_id, "succeeded").attempts == 1


def test_a_batch_larger_than_one_publish_pipeline_runs_every_job_once(
    workspace, celery_worker, monkeypatch
):
    monkeypatch.setattr(services, "PUBLISH_PIPELINE", 25)
    jobs = [JobFactory(workspace=workspace, enqueue=False) for _ in range(60)]

    services.enqueue_after_commit(jobs)  # outside a transaction: published at once

    ids = [job.pk for job in jobs]
    wait_until(
        lambda: Job.objects.filter(pk__in=ids, status="succeeded").count() == len(ids),
        timeout=60,
    )
    assert set(Job.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}


def test_two_deliveries_of_one_message_execute_once(workspace, receiver, celery_worker):
    receiver.replies = [Reply(200, delay=1.0)]
    job = JobFactory(
        workspace=workspace, config={"executor": "webhook", "webhook_url": receiver.url}
    )

    for _ in range(2):
        execute_job.apply_async((str(job.pk),), task_id=f"dup-{job.pk}")

    job = wait_for_status(job.pk, "succeeded")
    time.sleep(1.5)  # give the second delivery every chance to run too
    assert len(receiver.deliveries) == 1
    assert Job.objects.get(pk=job.pk).attempts == 1
    assert job.attempt_log.count() == 1


FAST_LIVENESS = {"WORKER_HEARTBEAT_SECONDS": "0.3", "WORKER_STALE_SECONDS": "2"}


def test_a_worker_beats_while_it_runs_and_removes_its_heartbeat_when_stopped(
    celery_worker_factory,
):
    from jobs.models import WorkerHeartbeat

    worker = celery_worker_factory(node="beating@%h", env=FAST_LIVENESS)
    row = wait_until(lambda: WorkerHeartbeat.objects.filter(node=worker.node).first())
    first_seen = row.last_seen
    wait_until(lambda: WorkerHeartbeat.objects.get(pk=row.pk).last_seen > first_seen)

    worker.stop(graceful=True)

    assert not WorkerHeartbeat.objects.filter(node=worker.node).exists()


def test_a_frozen_workers_job_is_taken_over_and_the_thawed_worker_does_not_record_it(
    workspace, celery_worker_factory, settings
):
    settings.WORKER_STALE_SECONDS = 2
    frozen = celery_worker_factory(node="frozen@%h", concurrency=1, env=FAST_LIVENESS)
    job = JobFactory(
        workspace=workspace,
        config={"executor": "noop", "noop_sleep_seconds": 4, "noop_sleep_attempts": 1},
        enqueue=True,
    )
    wait_for_status(job.pk, "running")
    os.killpg(frozen.pid, signal.SIGSTOP)
    try:
        celery_worker_factory(node="healthy@%h", env=FAST_LIVENESS)
        time.sleep(settings.WORKER_STALE_SECONDS + 0.5)

        assert services.jobs_sweep()["abandoned"] == 1
        job = wait_for_status(job.pk, "succeeded")
    finally:
        os.killpg(frozen.pid, signal.SIGCONT)
    assert job.claimed_by.startswith("healthy@")

    # The thawed worker finishes its sleep, finds the job no longer its own,
    # and leaves the healthy worker's outcome alone.
    wait_until(lambda: "no longer ours" in frozen.log(), timeout=15)
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert job.claimed_by.startswith("healthy@")
    assert [a.outcome for a in job.attempt_log.order_by("number")] == ["failed", "succeeded"]
    assert "frozen@" in job.attempt_log.get(number=1).error

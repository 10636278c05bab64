"""Executors run in-process against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from jobs import services
from jobs.models import Job
from jobs.signals import job_finished
from jobs.tests.factories import JobFactory
from jobs.tests.receiver import Reply

pytestmark = pytest.mark.django_db

WORKER = "test@host:1:1"


def run(job) -> Job:
    services.job_run(job_id=job.pk, worker_id=WORKER)
    return Job.objects.get(pk=job.pk)


def webhook_job(workspace, url, **config):
    return JobFactory(
        workspace=workspace,
        name="Forbes article",
        config={"executor": "webhook", "webhook_url": url, **config},
        max_retries=config.pop("max_retries", 3),
        scheduled_for=timezone.now().replace(microsecond=0),
    )


def test_the_webhook_posts_the_job_signed_with_the_workspace_secret(workspace, receiver):
    receiver.replies = [Reply(200, b'{"cost_usd": 0.42, "result": {"url": "https://x.test/a"}}')]
    job = webhook_job(workspace, receiver.url, country="us")

    job = run(job)

    assert len(receiver.deliveries) == 1
    delivery = receiver.deliveries[0]
    assert delivery.json() == {
        "id": str(job.pk),
        "name": "Forbes article",
        "config": job.config,
        "scheduled_for": job.scheduled_for.isoformat(),
        "attempt": 1,
    }
    assert delivery.headers["X-Job-Id"] == str(job.pk)
    assert delivery.headers["Content-Type"] == "application/json"
    expected = hmac.new(
        workspace.webhook_secret.encode(), delivery.body, hashlib.sha256
    ).hexdigest()
    assert delivery.headers["X-Signature"] == f"sha256={expected}"
    assert job.status == "succeeded"
    assert job.cost_usd == Decimal("0.4200")
    assert job.result == {"url": "https://x.test/a"}
    [attempt] = job.attempt_log.all()
    assert (attempt.number, attempt.outcome, attempt.http_status) == (1, "succeeded", 200)
    assert attempt.duration_ms is not None


def test_a_rotated_secret_signs_the_next_delivery(workspace, receiver):
    job = webhook_job(workspace, receiver.url)
    workspace.webhook_secret = "rotated-secret"
    workspace.save(update_fields=["webhook_secret"])

    run(job)

    body = receiver.deliveries[0].body
    expected = hmac.new(b"rotated-secret", body, hashlib.sha256).hexdigest()
    assert receiver.deliveries[0].headers["X-Signature"] == f"sha256={expected}"


@pytest.mark.parametrize("status", [408, 429, 500, 503])
def test_a_retryable_answer_requeues_the_job_with_a_backoff(workspace, receiver, status):
    receiver.replies = [Reply(status, b"busy")]
    job = webhook_job(workspace, receiver.url)
    before = timezone.now()

    job = run(job)

    assert job.status == "queued"
    assert job.not_before > before
    assert f"HTTP {status}" in job.last_error
    [attempt] = job.attempt_log.all()
    assert (attempt.outcome, attempt.http_status) == ("retrying", status)


def test_retry_after_from_the_target_is_honoured(workspace, receiver):
    receiver.replies = [Reply(429, b"slow down", {"Retry-After": "120"})]
    job = webhook_job(workspace, receiver.url)
    before = timezone.now()

    job = run(job)

    assert job.not_before >= before + timedelta(seconds=120)


@pytest.mark.parametrize("status", [400, 401, 404, 410, 422])
def test_a_client_error_fails_at_once_without_retrying(workspace, receiver, status):
    receiver.replies = [Reply(status, b'{"error": "nope"}')]
    job = webhook_job(workspace, receiver.url)

    job = run(job)

    assert job.status == "failed"
    assert job.attempts == 1
    assert f"HTTP {status}" in job.last_error


def test_retries_stop_after_max_retries(workspace, receiver):
    receiver.replies = [Reply(500, b"down")]
    job = webhook_job(workspace, receiver.url, max_retries=1)

    assert run(job).status == "queued"
    Job.objects.filter(pk=job.pk).update(not_before=None)
    job = run(job)

    assert job.status == "failed"
    assert [a.outcome for a in job.attempt_log.all()] == ["retrying", "failed"]


def test_a_read_timeout_is_retried(workspace, receiver, settings):
    settings.WEBHOOK_READ_TIMEOUT = 0.3
    receiver.replies = [Reply(200, delay=3)]
    job = webhook_job(workspace, receiver.url)

    job = run(job)

    assert job.status == "queued"
    assert "timed out" in job.last_error


def test_a_closed_port_is_retried_as_a_connection_error(workspace):
    job = webhook_job(workspace, "http://127.0.0.1:1/hook")

    job = run(job)

    assert job.status == "queued"
    assert "connection error" in job.last_error


def test_a_private_target_is_refused_unless_allowed(workspace, receiver, settings):
    job = webhook_job(workspace, receiver.url)
    # Saving it now would be refused too (a 400); the run-time check is under test.
    settings.WEBHOOK_ALLOW_PRIVATE = False

    job = run(job)

    assert receiver.deliveries == []
    assert job.status == "failed"
    assert "WEBHOOK_ALLOW_PRIVATE" in job.last_error


def test_the_workspace_defaults_choose_the_executor_and_url(workspace, receiver):
    workspace.default_executor = "webhook"
    workspace.default_webhook_url = receiver.url
    workspace.save()
    job = JobFactory(workspace=workspace, config={})

    assert run(job).status == "succeeded"
    assert len(receiver.deliveries) == 1


def test_a_webhook_job_with_no_url_anywhere_fails_with_a_clear_reason(workspace):
    job = JobFactory(workspace=workspace, config={"executor": "webhook"})

    job = run(job)

    assert job.status == "failed"
    assert "no webhook URL" in job.last_error


def test_a_long_error_body_is_truncated_in_the_attempt(workspace, receiver):
    receiver.replies = [Reply(400, b"x" * 50_000)]
    job = webhook_job(workspace, receiver.url)

    job = run(job)

    assert len(job.attempt_log.get().error) <= services.ERROR_LIMIT


def test_noop_succeeds_and_can_be_asked_to_fail(workspace):
    assert run(JobFactory(workspace=workspace)).status == "succeeded"
    failing = run(JobFactory(workspace=workspace, config={"executor": "noop", "noop_fail": "fail"}))
    assert (failing.status, failing.last_error) == ("failed", "noop: asked to fail")


def test_a_job_naming_an_executor_that_is_gone_fails_with_the_name(workspace):
    job = JobFactory(workspace=workspace)
    Job.objects.filter(pk=job.pk).update(config={"executor": "retired"})

    job = run(job)

    assert job.status == "failed"
    assert "retired" in job.last_error


def test_job_finished_is_sent_once_after_commit_on_the_final_outcome(
    workspace, django_capture_on_commit_callbacks
):
    seen = []

    def listener(sender, job, **kwargs):
        seen.append((job.pk, job.status))

    job_finished.connect(listener)
    try:
        retrying = JobFactory(workspace=workspace, config={"noop_fail": "retry"})
        with django_capture_on_commit_callbacks(execute=False) as retry_callbacks:
            run(retrying)
        finished = JobFactory(workspace=workspace)
        with django_capture_on_commit_callbacks(execute=True):
            run(finished)
            assert seen == []  # not before commit
    finally:
        job_finished.disconnect(listener)

    assert seen == [(finished.pk, "succeeded")]
    assert len(retry_callbacks) == 1  # the re-send, no finished signal


def test_a_scheduled_run_of_an_edited_or_paused_schedule_is_cancelled_not_run(workspace, receiver):
    from schedules.models import ScheduledJob

    schedule = ScheduledJob.objects.create(
        workspace=workspace,
        name="Weekly",
        schedule_type="once",
        scheduled_at=timezone.now(),
        version=2,
    )
    url = receiver.url
    edited = JobFactory(
        workspace=workspace,
        trigger="scheduled",
        scheduled_job=schedule,
        schedule_version=1,
        config={"executor": "webhook", "webhook_url": url},
    )
    current = JobFactory(
        workspace=workspace,
        trigger="scheduled",
        scheduled_job=schedule,
        schedule_version=2,
        scheduled_for=timezone.now(),
        config={"executor": "webhook", "webhook_url": url},
    )
    manual = JobFactory(
        workspace=workspace,
        trigger="manual",
        scheduled_job=schedule,
        schedule_version=1,
        config={"executor": "webhook", "webhook_url": url},
    )

    assert run(edited).status == "cancelled"
    assert "edited" in Job.objects.get(pk=edited.pk).last_error
    assert run(current).status == "succeeded"
    assert run(manual).status == "succeeded"
    assert len(receiver.deliveries) == 2

    # The series ending when its last run was handed out is not a withdrawal.
    ScheduledJob.objects.filter(pk=schedule.pk).update(status="completed")
    last = JobFactory(
        workspace=workspace, trigger="scheduled", scheduled_job=schedule, schedule_version=2
    )
    assert run(last).status == "succeeded"

    # A pause is (it bumps the version).
    ScheduledJob.objects.filter(pk=schedule.pk).update(status="paused", version=3)
    paused = JobFactory(
        workspace=workspace, trigger="scheduled", scheduled_job=schedule, schedule_version=2
    )
    assert run(paused).status == "cancelled"
    assert "paused" in Job.objects.get(pk=paused.pk).last_error

    orphan = JobFactory(workspace=workspace, trigger="catch_up", schedule_version=3)
    assert run(orphan).status == "cancelled"
    assert "deleted" in Job.objects.get(pk=orphan.pk).last_error


def test_the_payload_is_compact_sorted_json(workspace, receiver):
    job = webhook_job(workspace, receiver.url, metadata={"b": 1, "a": 2})

    run(job)

    body = receiver.deliveries[0].body
    assert body == json.dumps(json.loads(body), separators=(",", ":"), sort_keys=True).encode()

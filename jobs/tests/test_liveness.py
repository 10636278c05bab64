"""Worker heartbeats, taking back a dead worker's runs, claim fencing, retries
through a database outage and the retry schedule (in-process; the real
processes are in test_worker.py and the fault suite)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from jobs import liveness, retries, services
from jobs.models import Job, WorkerHeartbeat
from jobs.signals import job_pre_run
from jobs.tests.factories import JobFactory
from schedules import dispatcher
from schedules.tests.factories import ScheduledJobFactory

pytestmark = pytest.mark.django_db

ME = f"alive@host:{os.getpid()}:{os.getpid()}"


def beating(node: str, worker_pid: int, *, ago: float = 0.0) -> None:
    seen = timezone.now() - timedelta(seconds=ago)
    liveness.beat(node=node, worker_pid=worker_pid, started_at=seen, now=seen)


def running_on(worker_id: str) -> Job:
    job = JobFactory(config={"executor": "noop"})
    assert services.job_claim(job_id=job.pk, worker_id=worker_id)
    return job


# --- taking back a dead worker's runs --------------------------------------------------


def test_a_run_whose_worker_stopped_beating_is_taken_back_within_one_sweep(settings):
    beating("alive@host", os.getpid())
    beating("frozen@host", 4242, ago=settings.WORKER_STALE_SECONDS + 1)
    job = running_on("frozen@host:4242:4243")

    assert services.jobs_sweep()["abandoned"] == 1

    job.refresh_from_db()
    assert job.status == "queued"
    assert job.claimed_by == ""
    lost = job.attempt_log.get(number=1)
    assert lost.outcome == "failed"
    assert "frozen@host stopped beating" in lost.error
    # Handled once: the dead worker's row is gone.
    assert not WorkerHeartbeat.objects.filter(node="frozen@host").exists()


def test_runs_of_workers_that_still_beat_are_left_alone(settings):
    beating("alive@host", os.getpid())
    beating("busy@host", 77, ago=settings.WORKER_STALE_SECONDS / 2)
    job = running_on("busy@host:77:78")

    assert services.jobs_sweep()["abandoned"] == 0
    assert Job.objects.get(pk=job.pk).status == "running"


def test_with_no_worker_beating_at_all_nothing_is_taken_back(settings):
    # Just after a database outage every heartbeat looks old: that proves nothing.
    beating("frozen@host", 4242, ago=settings.WORKER_STALE_SECONDS + 1)
    job = running_on("frozen@host:4242:4243")

    assert services.jobs_sweep()["abandoned"] == 0
    assert Job.objects.get(pk=job.pk).status == "running"


def test_a_redelivered_message_takes_over_from_a_worker_that_stopped_beating(settings):
    beating("me@host", os.getpid())
    beating("frozen@host", 4242, ago=settings.WORKER_STALE_SECONDS + 1)
    job = running_on("frozen@host:4242:4243")
    me = f"me@host:{os.getpid()}:{os.getpid()}"

    # The frozen worker would still answer nothing; its heartbeat says it is gone.
    outcome = services.job_run(job_id=job.pk, worker_id=me, redelivered=True, node_alive=None)

    assert outcome == "succeeded"
    assert Job.objects.get(pk=job.pk).attempts == 2


def test_a_redelivery_leaves_a_job_whose_worker_still_beats_alone(settings):
    beating("me@host", os.getpid())
    beating("slow@host", 4242)
    job = running_on("slow@host:4242:4243")
    me = f"me@host:{os.getpid()}:{os.getpid()}"

    outcome = services.job_run(
        job_id=job.pk, worker_id=me, redelivered=True, node_alive=lambda node: True
    )

    assert outcome == "not claimed"
    assert Job.objects.get(pk=job.pk).claimed_by == "slow@host:4242:4243"


def test_the_overlap_policy_does_not_count_a_run_whose_worker_is_gone(settings):
    beating("alive@host", os.getpid())
    beating("dead@host", 4242, ago=settings.WORKER_STALE_SECONDS + 1)
    minute = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=2)
    schedule = ScheduledJobFactory(
        schedule_type="cron",
        recurrence_pattern="* * * * *",
        scheduled_at=minute,
        overlap_policy="skip",
    )
    dispatcher.dispatch_due(now=minute + timedelta(seconds=1), lookahead=timedelta(0))
    [first] = Job.objects.filter(scheduled_job=schedule)
    Job.objects.filter(pk=first.pk).update(status="running", claimed_by="dead@host:4242:4243")

    dispatcher.dispatch_due(now=minute + timedelta(seconds=61), lookahead=timedelta(0))

    runs = list(Job.objects.filter(scheduled_job=schedule).order_by("scheduled_for"))
    assert len(runs) == 2
    assert runs[1].status == "pending", runs[1].last_error


# --- claim fencing -----------------------------------------------------------------------


def test_a_process_whose_job_was_taken_over_before_it_ran_does_not_run_it():
    job = JobFactory(config={"executor": "noop"})

    def taken_over_meanwhile(sender, job, **kwargs):
        # What the sweeper and another worker do while this process is frozen.
        Job.objects.filter(pk=job.pk).update(claimed_by="other@host:1:2")

    job_pre_run.connect(taken_over_meanwhile, dispatch_uid="test-fencing")
    try:
        outcome = services.job_run(job_id=job.pk, worker_id=ME)
    finally:
        job_pre_run.disconnect(dispatch_uid="test-fencing")

    assert outcome == "taken over"
    job.refresh_from_db()
    assert job.status == "running"  # the other holder's to finish
    assert job.result is None
    assert not job.attempt_log.exists()


# --- a database blip during a run ----------------------------------------------------------


# Outside a transaction, as in the worker: a write inside one cannot be retried.
@pytest.mark.django_db(transaction=True)
def test_a_worker_write_is_retried_through_a_database_blip(settings, monkeypatch):
    settings.JOB_DB_RETRY_SECONDS = 10
    monkeypatch.setattr(services.time, "sleep", lambda seconds: None)
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("server closed the connection unexpectedly")
        return "recorded"

    assert services._with_db_retry(flaky, what="record") == "recorded"
    assert len(calls) == 3


@pytest.mark.django_db(transaction=True)
def test_a_worker_write_gives_up_after_the_retry_window(settings):
    settings.JOB_DB_RETRY_SECONDS = 0

    def down():
        raise OperationalError("connection refused")

    with pytest.raises(OperationalError):
        services._with_db_retry(down, what="record")


def test_a_finish_already_recorded_by_a_lost_commit_is_recognised():
    job = JobFactory(config={"executor": "noop"})
    claimed = services.job_claim(job_id=job.pk, worker_id=ME)
    assert services._finish(claimed, Job.Status.SUCCEEDED, worker_id=ME)

    # The retry after a commit whose answer never arrived.
    assert services._finish(claimed, Job.Status.SUCCEEDED, worker_id=ME)
    assert Job.objects.get(pk=job.pk).status == "succeeded"


# --- the retry schedule -----------------------------------------------------------------------


def test_the_default_retries_spread_over_about_half_an_hour(settings):
    settings.JOB_RETRY_BACKOFF_SECONDS = 60
    settings.JOB_RETRY_BACKOFF_FACTOR = 5
    settings.JOB_RETRY_BACKOFF_MAX_SECONDS = 1800

    waits = retries.planned_waits(config={}, max_retries=3)

    assert [(w["attempt"], w["wait_min_seconds"], w["wait_max_seconds"]) for w in waits] == [
        (2, 30, 60),
        (3, 150, 300),
        (4, 750, 1500),
    ]
    assert sum(w["wait_max_seconds"] for w in waits) == 1860


def test_a_job_configured_with_its_own_first_wait_uses_it(settings):
    settings.JOB_RETRY_BACKOFF_FACTOR = 5
    settings.JOB_RETRY_BACKOFF_MAX_SECONDS = 1800

    waits = retries.planned_waits(config={"retry_backoff_seconds": 10}, max_retries=2)

    assert [w["wait_max_seconds"] for w in waits] == [10, 50]


@pytest.mark.parametrize("value", [0, -5, 3601, "soon", True])
def test_a_bad_first_wait_is_refused_naming_the_field(workspace, value):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.validate_job_config(
            {"executor": "noop", "retry_backoff_seconds": value}, workspace_id=workspace.pk
        )
    assert "retry_backoff_seconds" in caught.value.message_dict


def test_the_job_api_shows_the_retry_schedule_and_a_template_sets_it(api, workspace):
    template = api.post(
        "/api/v1/templates",
        {"workspace": str(workspace.pk), "name": "Patient", "retry_backoff_seconds": 120},
        format="json",
    )
    assert template.status_code == 201, template.json()
    assert template.json()["retry_backoff_seconds"] == 120

    used = api.post(f"/api/v1/templates/{template.json()['id']}/use", {}, format="json")
    assert used.status_code == 201, used.json()
    body = api.get(f"/api/v1/jobs/{used.json()['id']}").json()

    assert body["config"]["retry_backoff_seconds"] == 120
    assert [w["attempt"] for w in body["retry_schedule"]] == [2, 3, 4]
    assert body["retry_schedule"][0]["wait_max_seconds"] == 120

"""The sweeper and lost-worker recovery, run in-process (time shifted, not slept)."""

from __future__ import annotations

import io
import os
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from jobs import services
from jobs.models import Job
from jobs.signals import job_finished
from jobs.tests.factories import JobFactory

pytestmark = pytest.mark.django_db

DEAD_PID = 2**22 + 12345  # above Linux's default pid_max, so never a live process


def later(settings, extra: float = 1) -> timezone.datetime:
    return timezone.now() + timedelta(seconds=settings.SWEEP_STALE_AFTER_SECONDS + extra)


def test_a_job_left_pending_is_sent_by_the_sweeper_and_marked_queued(settings):
    job = JobFactory()

    assert services.jobs_sweep(now=later(settings)) == {
        "abandoned": 0,
        "requeued": 1,
        "timed_out": 0,
    }

    job.refresh_from_db()
    assert job.status == "queued"
    assert job.queued_at is not None


def test_a_fresh_job_is_left_alone(settings):
    JobFactory()

    assert services.jobs_sweep()["requeued"] == 0


def test_a_job_waiting_for_its_retry_time_is_not_sent_early(settings):
    JobFactory(not_before=timezone.now() + timedelta(hours=1))

    assert services.jobs_sweep(now=later(settings))["requeued"] == 0


def test_a_queued_job_sent_again_is_not_sent_on_every_sweep(settings):
    job = JobFactory(status="queued")
    Job.objects.filter(pk=job.pk).update(queued_at=timezone.now() - timedelta(hours=1))

    assert services.jobs_sweep()["requeued"] == 1
    assert services.jobs_sweep()["requeued"] == 0


def _queued(minutes_ago: float, *, started_minutes_ago: float | None = None) -> Job:
    job = JobFactory(status="queued")
    fields = {"queued_at": timezone.now() - timedelta(minutes=minutes_ago)}
    if started_minutes_ago is not None:
        fields |= {
            "status": "succeeded",
            "started_at": timezone.now() - timedelta(minutes=started_minutes_ago),
        }
    Job.objects.filter(pk=job.pk).update(**fields)
    return job


def test_a_queued_job_waiting_its_turn_behind_a_moving_queue_is_not_sent_again(settings):
    settings.SWEEP_STALE_AFTER_SECONDS = 60
    # The workers are at jobs queued 3 minutes ago; this one was queued after them.
    _queued(3, started_minutes_ago=0.1)
    waiting = _queued(2)

    assert services.jobs_sweep()["requeued"] == 0
    assert Job.objects.get(pk=waiting.pk).queued_at < timezone.now() - timedelta(minutes=1)


def test_a_queued_job_the_workers_went_past_is_sent_again(settings):
    settings.SWEEP_STALE_AFTER_SECONDS = 60
    overtaken = _queued(3)  # its message was lost: later jobs have started
    _queued(2, started_minutes_ago=0.1)

    assert services.jobs_sweep()["requeued"] == 1
    assert Job.objects.get(pk=overtaken.pk).queued_at > timezone.now() - timedelta(minutes=1)


def test_queued_jobs_are_sent_again_when_nothing_has_started_for_a_while(settings):
    settings.SWEEP_STALE_AFTER_SECONDS = 60
    _queued(10, started_minutes_ago=5)
    stuck = _queued(2)

    assert services.jobs_sweep()["requeued"] == 1
    assert Job.objects.get(pk=stuck.pk).queued_at > timezone.now() - timedelta(minutes=1)


def test_finished_jobs_are_never_sent_again(settings):
    for status in ("succeeded", "failed", "cancelled", "skipped", "missed"):
        JobFactory(status=status)

    assert services.jobs_sweep(now=later(settings)) == {
        "abandoned": 0,
        "requeued": 0,
        "timed_out": 0,
    }


def test_a_job_running_past_the_timeout_is_failed_with_a_clear_error(
    settings, django_capture_on_commit_callbacks
):
    job = JobFactory()
    services.job_claim(job_id=job.pk, worker_id="w@h:1:1")
    finished = []
    job_finished.connect(receiver := lambda sender, job, **kw: finished.append(job.status))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = services.jobs_sweep(
                now=timezone.now() + timedelta(seconds=settings.JOB_TIMEOUT_SECONDS + 1)
            )
    finally:
        job_finished.disconnect(receiver)

    job.refresh_from_db()
    assert result["timed_out"] == 1
    assert job.status == "failed"
    assert "Timed out" in job.last_error and "JOB_TIMEOUT_SECONDS" in job.last_error
    assert job.attempt_log.get().outcome == "failed"
    assert finished == ["failed"]


def test_a_worker_finishing_a_job_the_sweeper_timed_out_does_not_overwrite_it(settings):
    job = JobFactory()
    claimed = services.job_claim(job_id=job.pk, worker_id="w@h:1:1")
    services.jobs_sweep(now=timezone.now() + timedelta(seconds=settings.JOB_TIMEOUT_SECONDS + 1))

    from jobs.executors import ExecutionResult

    outcome = services._record_outcome(
        claimed, ExecutionResult.success(), started=timezone.now(), worker_id="w@h:1:1"
    )

    job.refresh_from_db()
    assert outcome == "lost"
    assert job.status == "failed"


def test_a_restarted_worker_requeues_what_its_dead_predecessor_left_running():
    job = JobFactory()
    services.job_claim(job_id=job.pk, worker_id=f"w1@host:{DEAD_PID}:{DEAD_PID}")

    assert services.jobs_recover_lost(node="w1@host", worker_pid=os.getpid()) == 1

    job.refresh_from_db()
    assert job.status == "queued"
    assert "Lost" in job.attempt_log.get(number=1).error


def test_recovery_leaves_jobs_of_live_workers_and_other_nodes_alone():
    live = JobFactory()
    services.job_claim(job_id=live.pk, worker_id=f"w1@host:{os.getpid()}:{os.getpid()}")
    elsewhere = JobFactory()
    services.job_claim(job_id=elsewhere.pk, worker_id=f"w2@host:{DEAD_PID}:{DEAD_PID}")

    assert services.jobs_recover_lost(node="w1@host", worker_pid=os.getpid() + 1) == 0
    assert Job.objects.get(pk=live.pk).status == "running"
    assert Job.objects.get(pk=elsewhere.pk).status == "running"


def test_a_redelivery_takes_over_only_when_the_other_node_is_silent():
    job = JobFactory()
    services.job_claim(job_id=job.pk, worker_id="gone@host:1:1")
    me = f"me@host:{os.getpid()}:{os.getpid()}"

    assert (
        services.job_run(job_id=job.pk, worker_id=me, redelivered=False, node_alive=lambda n: False)
        == "not claimed"
    )
    assert (
        services.job_run(job_id=job.pk, worker_id=me, redelivered=True, node_alive=lambda n: True)
        == "not claimed"
    )
    assert (
        services.job_run(job_id=job.pk, worker_id=me, redelivered=True, node_alive=lambda n: False)
        == "succeeded"
    )
    assert Job.objects.get(pk=job.pk).attempts == 2


def test_setup_periodic_tasks_stores_the_sweeper():
    call_command("setup_periodic_tasks", stdout=io.StringIO())

    task = PeriodicTask.objects.get(name="jobs.sweep-outbox")
    assert task.task == "jobs.tasks.sweep_outbox"
    assert task.enabled

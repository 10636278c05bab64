from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from jobs.models import Job
from jobs.signals import job_finished
from schedules import dispatcher, services
from schedules.models import ScheduledJob, ScheduleEvent
from schedules.tests.factories import ScheduledJobFactory
from templates_lib.tests.factories import JobTemplateFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 11, 10, 9, tzinfo=UTC)


def finish(job: Job, status: str, error: str = "") -> None:
    Job.objects.filter(pk=job.pk).update(status=status, last_error=error)
    job.refresh_from_db()
    job_finished.send(sender=Job, job=job)


def a_run(schedule: ScheduledJob, n: int) -> Job:
    return services.build_run_job(
        schedule, scheduled_for=T0 + timedelta(days=n), trigger=Job.Trigger.SCHEDULED
    )


def test_five_failed_runs_in_a_row_stop_the_schedule_with_a_note(workspace):
    schedule = ScheduledJobFactory(workspace=workspace, scheduled_at=T0)
    for n in range(5):
        job = a_run(schedule, n)
        job.save()
        finish(job, Job.Status.FAILED, error="HTTP 500 from the webhook")
    schedule.refresh_from_db()
    assert schedule.status == ScheduledJob.Status.ERROR
    assert schedule.error_count == 5
    event = schedule.events.get(kind=ScheduleEvent.Kind.AUTO_ERROR)
    assert event.actor is None
    assert "5 consecutive failed runs" in event.note
    assert "HTTP 500" in event.note


def test_a_success_resets_the_consecutive_failure_count(workspace):
    schedule = ScheduledJobFactory(workspace=workspace, scheduled_at=T0)
    outcomes = [Job.Status.FAILED] * 4 + [Job.Status.SUCCEEDED] + [Job.Status.FAILED] * 4
    for n, outcome in enumerate(outcomes):
        job = a_run(schedule, n)
        job.save()
        finish(job, outcome)
    schedule.refresh_from_db()
    assert (schedule.status, schedule.error_count) == (ScheduledJob.Status.ACTIVE, 4)


def test_resuming_a_schedule_in_error_clears_the_count_and_runs_from_now(workspace):
    schedule = ScheduledJobFactory(workspace=workspace, scheduled_at=T0)
    for n in range(5):
        job = a_run(schedule, n)
        job.save()
        finish(job, Job.Status.FAILED)
    schedule = services.schedule_resume(schedule=schedule, now=T0 + timedelta(days=10, hours=1))
    assert schedule.status == ScheduledJob.Status.ACTIVE
    assert schedule.error_count == 0
    assert schedule.next_run_at == T0 + timedelta(days=11)


def test_an_edit_giving_a_completed_schedule_more_runs_makes_it_active_again(workspace):
    schedule = ScheduledJobFactory(workspace=workspace, scheduled_at=T0, max_runs=1)
    dispatcher.dispatch_due(now=T0 + timedelta(seconds=1), lookahead=timedelta(0))
    schedule.refresh_from_db()
    assert schedule.status == ScheduledJob.Status.COMPLETED
    schedule = services.schedule_update(schedule=schedule, max_runs=3, now=T0 + timedelta(hours=2))
    assert schedule.status == ScheduledJob.Status.ACTIVE
    assert schedule.next_run_at == T0 + timedelta(days=1)


def test_a_template_of_another_workspace_is_refused_by_the_service_too(workspace, other_workspace):
    template = JobTemplateFactory(workspace=other_workspace)
    with pytest.raises(ValidationError) as caught:
        ScheduledJobFactory(workspace=workspace, scheduled_at=T0, template=template)
    assert caught.value.message_dict == {"template_id": ["template not found"]}


def test_pausing_an_already_paused_schedule_changes_nothing(workspace):
    schedule = ScheduledJobFactory(workspace=workspace, scheduled_at=T0)
    services.schedule_pause(schedule=schedule, note="first")
    services.schedule_pause(schedule=schedule, note="second")
    schedule.refresh_from_db()
    assert schedule.pause_note == "first"
    assert schedule.events.filter(kind=ScheduleEvent.Kind.PAUSED).count() == 1


def test_resume_counts_runs_skipped_while_paused_within_max_runs(workspace):
    schedule = ScheduledJobFactory(workspace=workspace, scheduled_at=T0, max_runs=2)
    services.schedule_pause(schedule=schedule, now=T0 - timedelta(minutes=1))
    schedule = services.schedule_resume(schedule=schedule, now=T0 + timedelta(days=5))
    assert schedule.events.get(kind=ScheduleEvent.Kind.RESUMED).skipped_runs == 2


@pytest.mark.parametrize("ago", [timedelta(0), timedelta(seconds=30)])
def test_a_one_off_edited_to_now_runs_now_instead_of_completing_unrun(workspace, ago):
    schedule = ScheduledJobFactory(
        workspace=workspace, schedule_type="once", scheduled_at=T0 + timedelta(hours=1)
    )
    edited = services.schedule_update(
        schedule=schedule,
        now=T0,
        scheduled_at=T0 - ago,  # within the clock-skew tolerance
    )
    assert (edited.status, edited.next_run_at) == ("active", T0 - ago)
    dispatcher.dispatch_due(now=T0 + timedelta(seconds=1), lookahead=timedelta(0))
    [run] = Job.objects.filter(scheduled_job=schedule)
    assert (run.scheduled_for, run.status) == (T0 - ago, "pending")


def test_an_edit_that_leaves_the_start_alone_still_never_fires_a_time_before_it(workspace):
    schedule = ScheduledJobFactory(workspace=workspace, scheduled_at=T0 - timedelta(seconds=30))
    schedule = ScheduledJob.objects.get(pk=schedule.pk)
    edited = services.schedule_update(
        schedule=schedule, now=T0, job_config={"executor": "noop", "country": "de"}
    )
    assert edited.next_run_at == T0 - timedelta(seconds=30) + timedelta(days=1)

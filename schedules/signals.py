"""Receivers: schedules learn about job outcomes without jobs importing schedules."""

from __future__ import annotations

from jobs.models import Job
from schedules.models import ScheduledJob
from schedules.services import (
    SERIES_TRIGGERS,
    schedule_record_run_outcome,
    schedule_recount_runs,
    schedule_release_held_run,
)


def count_run_outcome(sender, job: Job, **kwargs) -> None:
    """After retries are exhausted: a failure counts against the schedule, a success resets."""
    if job.scheduled_job_id is None:
        return
    if job.status == Job.Status.SUCCEEDED:
        schedule_record_run_outcome(schedule_id=job.scheduled_job_id, succeeded=True)
    elif job.status == Job.Status.FAILED:
        schedule_record_run_outcome(
            schedule_id=job.scheduled_job_id, succeeded=False, error=job.last_error
        )
    elif job.status == Job.Status.CANCELLED and job.trigger in SERIES_TRIGGERS:
        # A withdrawn run does not count toward max_runs.
        schedule_recount_runs(schedule_id=job.scheduled_job_id)
    if ScheduledJob.objects.filter(
        pk=job.scheduled_job_id, overlap_policy=ScheduledJob.OverlapPolicy.QUEUE_ONE
    ).exists():
        schedule_release_held_run(schedule_id=job.scheduled_job_id)

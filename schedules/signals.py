"""Receivers: schedules learn about job outcomes without jobs importing schedules."""

from __future__ import annotations

from jobs.models import Job
from schedules.models import ScheduledJob
from schedules.services import (
    SERIES_TRIGGERS,
    schedule_record_failure,
    schedule_record_success,
    schedule_recount_runs,
    schedule_release_held_run,
)


def count_run_outcome(sender, job: Job, **kwargs) -> None:
    """After retries are exhausted: a failure counts against the schedule, a success resets."""
    if job.scheduled_job_id is None:
        return
    if job.status == Job.Status.SUCCEEDED:
        if _had_failures(job):
            schedule_record_success(schedule_id=job.scheduled_job_id)
    elif job.status == Job.Status.FAILED:
        schedule_record_failure(schedule_id=job.scheduled_job_id, error=job.last_error)
    elif job.status == Job.Status.CANCELLED and job.trigger in SERIES_TRIGGERS:
        # A withdrawn run does not count toward max_runs.
        schedule_recount_runs(schedule_id=job.scheduled_job_id)
    if _queues_one(job):
        schedule_release_held_run(schedule_id=job.scheduled_job_id)


def _had_failures(job: Job) -> bool:
    """Whether a success has a failure streak to end. The worker loaded the
    schedule with the job when it claimed it: a count of 0 then needs no write
    (a failure of an overlapping run counted since then came after this run
    started, so it stays counted)."""
    if Job.scheduled_job.is_cached(job) and job.scheduled_job is not None:
        return job.scheduled_job.error_count > 0
    return True


def _queues_one(job: Job) -> bool:
    """Whether the job's schedule holds runs behind a running one (queue_one);
    from the schedule the worker loaded with the job when it has it."""
    if Job.scheduled_job.is_cached(job) and job.scheduled_job is not None:
        return job.scheduled_job.overlap_policy == ScheduledJob.OverlapPolicy.QUEUE_ONE
    return ScheduledJob.objects.filter(
        pk=job.scheduled_job_id, overlap_policy=ScheduledJob.OverlapPolicy.QUEUE_ONE
    ).exists()

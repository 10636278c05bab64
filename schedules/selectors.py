"""Reads shared by the API, admin, pages and the calendar."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, QuerySet

from jobs.models import Job
from schedules import recurrence
from schedules.models import ONE_TICK, ScheduledJob, ScheduleEvent, excepted_occurrences

# /upcoming over 720 hours of a per-minute cron would be 43,200 rows for one
# schedule; the answer says when it was cut.
MAX_OCCURRENCES = 5_000


def scheduled_jobs() -> QuerySet[ScheduledJob]:
    return ScheduledJob.objects.select_related("workspace", "campaign", "template")


def schedule_runs(schedule: ScheduledJob) -> QuerySet[Job]:
    return Job.objects.filter(scheduled_job=schedule).order_by(
        F("scheduled_for").desc(nulls_last=True), "-created_at"
    )


def schedule_events(schedule: ScheduledJob) -> QuerySet[ScheduleEvent]:
    return ScheduleEvent.objects.filter(scheduled_job=schedule).select_related("actor")


def upcoming_occurrences(
    schedules: QuerySet[ScheduledJob], *, now: datetime, until: datetime
) -> tuple[list[tuple[ScheduledJob, datetime]], bool]:
    """Every nominal run in [now, until] of the active schedules, by time.

    A run that is due but not yet dispatched (next_run_at slightly in the
    past) is included: it is about to happen.
    """
    candidates = schedules.filter(
        status=ScheduledJob.Status.ACTIVE, next_run_at__isnull=False, next_run_at__lte=until
    ).order_by("next_run_at")
    candidates = list(candidates)
    skipped = _skipped_for(candidates, until=until)
    occurrences: list[tuple[ScheduledJob, datetime]] = []
    truncated = False
    for schedule in candidates:
        budget = MAX_OCCURRENCES - len(occurrences)
        if budget <= 0:
            truncated = True
            break
        runs = _runs_until(
            schedule, until=until, limit=budget + 1, skipped=skipped.get(schedule.pk, set())
        )
        if len(runs) > budget:
            truncated = True
            runs = runs[:budget]
        occurrences += [(schedule, run_at) for run_at in runs]
    occurrences.sort(key=lambda pair: (pair[1], pair[0].name))
    return occurrences, truncated


def _skipped_for(schedules: list[ScheduledJob], *, until: datetime) -> dict:
    """Skipped and moved runs of all the candidates, in one query."""
    if not schedules:
        return {}
    return excepted_occurrences(
        [s.pk for s in schedules],
        start=min(s.next_run_at for s in schedules),
        end=until + ONE_TICK,
    )


def _runs_until(
    schedule: ScheduledJob, *, until: datetime, limit: int, skipped: set | None = None
) -> list[datetime]:
    remaining = schedule.remaining_runs
    if remaining is not None:
        limit = min(limit, remaining)
    if limit <= 0:
        return []
    skipped = skipped or set()
    runs = recurrence.runs_between(
        schedule.recurrence(), schedule.next_run_at, until + ONE_TICK, limit=limit + len(skipped)
    )
    return [t for t in runs if t not in skipped][:limit]

"""Reads shared by the API, admin, pages and the calendar."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, QuerySet

from jobs.models import Job
from schedules import ledger, recurrence
from schedules.models import (
    ONE_TICK,
    ScheduledJob,
    ScheduleEvent,
    ScheduleException,
    excepted_occurrences,
)

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


# --- the run ledger ------------------------------------------------------------------

# One answer of /occurrences (or one ledger on a page) lists at most this many.
LEDGER_LIMIT = 1_000
# Editing one of these changes when the series runs: the rule's times before
# such an edit were never runs of the rule as it is now.
TIMING_FIELDS = frozenset(
    {
        "schedule_type",
        "scheduled_at",
        "scheduled_local",
        "recurrence_pattern",
        "timezone",
        "recurrence_end_date",
        "max_runs",
    }
)
SERIES_TRIGGERS = (Job.Trigger.SCHEDULED, Job.Trigger.CATCH_UP, Job.Trigger.BACKFILL)
_HOLD_KINDS = (
    ScheduleEvent.Kind.PAUSED,
    ScheduleEvent.Kind.RESUMED,
    ScheduleEvent.Kind.AUTO_ERROR,
)
_END_KINDS = (ScheduleEvent.Kind.COMPLETED, ScheduleEvent.Kind.EXPIRED)


def schedule_occurrences(
    schedule: ScheduledJob,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    limit: int = LEDGER_LIMIT,
) -> tuple[list[ledger.Occurrence], bool]:
    """Every occurrence of ``schedule`` with its nominal time in [start, end), with
    its fate (see ``schedules.ledger``), and whether the list was cut at ``limit``.

    A constant number of queries whatever the window: the Jobs, the exceptions
    and the audit events of the schedule, and the replacements' Jobs.
    """
    events = list(
        ScheduleEvent.objects.filter(scheduled_job=schedule, created_at__lt=max(end, now))
        .order_by("created_at", "pk")
        .values_list("created_at", "kind", "note", "changes", "actor__username")
    )
    times = _rule_times(schedule, events, start=start, end=end, now=now, limit=limit)
    runs = [
        ledger.Run(**row)
        for row in Job.objects.filter(
            scheduled_job=schedule,
            trigger__in=SERIES_TRIGGERS,
            scheduled_for__gte=start,
            scheduled_for__lt=end,
        )
        .order_by("scheduled_for")
        .values(*LEDGER_RUN_FIELDS)[: limit + 1]
    ]
    exceptions = [
        ledger.Exception_(**row)
        # Not the ``exceptions`` manager: a list view prefetches a narrower set into it.
        for row in ScheduleException.objects.filter(
            scheduled_job=schedule, occurrence_at__gte=start, occurrence_at__lt=end
        ).values("occurrence_at", "moved_to", "replacement_id", "note")[: limit + 1]
    ]
    state = ledger.SeriesState(
        live=schedule.status == ScheduledJob.Status.ACTIVE,
        next_run_at=schedule.next_run_at,
        holds=ledger.holds_from_events(
            (at, kind, _with_actor(note, actor))
            for at, kind, note, _changes, actor in events
            if kind in _HOLD_KINDS
        ),
        misfire_policy=schedule.misfire_policy,
    )
    entries = ledger.occurrences(
        nominal_times=times, runs=runs, exceptions=exceptions, state=state, now=now
    )
    entries = _within_max_runs(schedule, entries)
    truncated = len(entries) > limit
    return entries[:limit], truncated


LEDGER_RUN_FIELDS = (
    "id",
    "scheduled_for",
    "status",
    "trigger",
    "started_at",
    "finished_at",
    "attempts",
    "last_error",
)


def replacement_runs(entries: list[ledger.Occurrence]) -> dict:
    """{replacement schedule id: its Run} for the moved occurrences: one query."""
    ids = [e.replacement_id for e in entries if e.replacement_id is not None]
    if not ids:
        return {}
    rows = Job.objects.filter(scheduled_job_id__in=ids, trigger__in=SERIES_TRIGGERS).values(
        "scheduled_job_id", *LEDGER_RUN_FIELDS
    )
    found = {}
    for row in rows:
        schedule_id = row.pop("scheduled_job_id")
        found[schedule_id] = ledger.Run(**row)
    return found


def _with_actor(note: str, actor: str | None) -> str:
    by = f"By {actor}." if actor else ""
    return " ".join(part for part in (by, note) if part)


def _rule_times(
    schedule: ScheduledJob, events: list, *, start: datetime, end: datetime, now, limit: int
) -> list[datetime]:
    """The rule's nominal times in the window that are occurrences of the series:
    after the last edit that changed its timing, up to its end, and ahead of now
    only while it is active."""
    since = _rule_since(events)
    if since is not None:
        start = max(start, since + ONE_TICK)
    stop = end
    finished_at = _series_end(schedule, events)
    if finished_at is not None:
        stop = min(stop, finished_at + ONE_TICK)
    if schedule.status != ScheduledJob.Status.ACTIVE:
        stop = min(stop, now + ONE_TICK)
    if start >= stop:
        return []
    return recurrence.runs_between(schedule.recurrence(), start, stop, limit=limit + 1)


def _rule_since(events: list) -> datetime | None:
    for at, kind, _note, changes, _actor in reversed(events):
        if kind == ScheduleEvent.Kind.EDITED and TIMING_FIELDS & set(changes or {}):
            return at
    return None


def _series_end(schedule: ScheduledJob, events: list) -> datetime | None:
    """When a finished series ended: its last run, or the event that ended it."""
    if schedule.status not in (ScheduledJob.Status.COMPLETED, ScheduledJob.Status.EXPIRED):
        return None
    ended = [at for at, kind, *_ in events if kind in _END_KINDS]
    candidates = [t for t in (schedule.last_run_at, ended[-1] if ended else None) if t]
    if schedule.max_runs is not None and schedule.run_count >= schedule.max_runs:
        candidates = [schedule.last_run_at] if schedule.last_run_at else candidates
    return max(candidates) if candidates else schedule.scheduled_at


def _within_max_runs(
    schedule: ScheduledJob, entries: list[ledger.Occurrence]
) -> list[ledger.Occurrence]:
    """An active bounded series has only ``remaining_runs`` runs left to come."""
    remaining = schedule.remaining_runs
    if remaining is None or schedule.status != ScheduledJob.Status.ACTIVE:
        return entries
    kept = []
    for entry in entries:
        if entry.run is None and entry.fate in (ledger.UPCOMING, ledger.WAITING):
            if remaining <= 0:
                continue
            remaining -= 1
        kept.append(entry)
    return kept

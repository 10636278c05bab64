"""Reads shared by the API, admin, pages and the calendar."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
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
SERIES_TRIGGERS = Job.SERIES_TRIGGERS
_HOLD_KINDS = (
    ScheduleEvent.Kind.PAUSED,
    ScheduleEvent.Kind.RESUMED,
    ScheduleEvent.Kind.AUTO_ERROR,
)
_END_KINDS = (ScheduleEvent.Kind.COMPLETED, ScheduleEvent.Kind.EXPIRED)
# The audit events a ledger reads: holds, timing edits, and the series' end.
_LEDGER_EVENT_KINDS = (*_HOLD_KINDS, ScheduleEvent.Kind.EDITED, *_END_KINDS)


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
        ).values(*LEDGER_EXCEPTION_FIELDS)[: limit + 1]
    ]
    entries = _ledger(
        schedule, events, runs, exceptions, start=start, end=end, now=now, limit=limit
    )
    truncated = len(entries) > limit
    return entries[:limit], truncated


def schedules_occurrences(
    schedules: list[ScheduledJob],
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    limit: int = LEDGER_LIMIT,
) -> tuple[dict, bool]:
    """``schedule_occurrences`` for many schedules over one window, in three
    queries whatever their number (the calendar draws every schedule's fates).

    Returns ({schedule id: its occurrences in time order}, truncated). ``limit``
    caps all of them together; when it cuts, the window ends where the cut
    fell, for every schedule, so no occurrence is shown without its Job.
    """
    if not schedules:
        return {}, False
    ids = [schedule.pk for schedule in schedules]
    events: dict = defaultdict(list)
    for schedule_id, *event in (
        ScheduleEvent.objects.filter(
            scheduled_job_id__in=ids, created_at__lt=max(end, now), kind__in=_LEDGER_EVENT_KINDS
        )
        .order_by("scheduled_job_id", "created_at", "pk")
        .values_list("scheduled_job_id", "created_at", "kind", "note", "changes", "actor__username")
    ):
        events[schedule_id].append(tuple(event))
    run_rows = list(
        Job.objects.filter(
            scheduled_job_id__in=ids,
            trigger__in=SERIES_TRIGGERS,
            scheduled_for__gte=start,
            scheduled_for__lt=end,
        )
        .order_by("scheduled_for")
        .values("scheduled_job_id", *LEDGER_RUN_FIELDS)[: limit + 1]
    )
    exception_rows = list(
        ScheduleException.objects.filter(
            scheduled_job_id__in=ids, occurrence_at__gte=start, occurrence_at__lt=end
        )
        .order_by("occurrence_at")
        .values("scheduled_job_id", *LEDGER_EXCEPTION_FIELDS)[: limit + 1]
    )
    # Rows past a cut are not all here: nothing from the first missing one on is.
    cut = [
        rows[limit][key]
        for rows, key in ((run_rows, "scheduled_for"), (exception_rows, "occurrence_at"))
        if len(rows) > limit
    ]
    stop = min([end, *cut])
    runs: dict = defaultdict(list)
    for row in run_rows:
        if row["scheduled_for"] < stop:
            runs[row.pop("scheduled_job_id")].append(ledger.Run(**row))
    exceptions: dict = defaultdict(list)
    for row in exception_rows:
        if row["occurrence_at"] < stop:
            exceptions[row.pop("scheduled_job_id")].append(ledger.Exception_(**row))
    found: dict = {}
    for schedule in schedules:
        try:
            found[schedule.pk] = _ledger(
                schedule,
                events[schedule.pk],
                runs[schedule.pk],
                exceptions[schedule.pk],
                start=start,
                end=stop,
                now=now,
                limit=limit,
            )
        except recurrence.RecurrenceError:
            # A rule that no longer reads (an old row): its Jobs still tell their fates.
            found[schedule.pk] = ledger.occurrences(
                nominal_times=(),
                runs=runs[schedule.pk],
                exceptions=exceptions[schedule.pk],
                state=_series_state(schedule, events[schedule.pk]),
                now=now,
            )
    return _within_limit(found, limit=limit, truncated=stop < end)


def _within_limit(found: dict, *, limit: int, truncated: bool) -> tuple[dict, bool]:
    """At most ``limit`` occurrences in all: the earliest, the window ending where it cut."""
    moments = sorted(entry.nominal for entries in found.values() for entry in entries)
    if len(moments) <= limit:
        return found, truncated
    stop = moments[limit]
    kept = {pk: [e for e in entries if e.nominal < stop] for pk, entries in found.items()}
    return kept, True


def _ledger(
    schedule: ScheduledJob,
    events: list,
    runs: list[ledger.Run],
    exceptions: list[ledger.Exception_],
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    limit: int,
) -> list[ledger.Occurrence]:
    """One schedule's occurrences in [start, end) from the records gathered for it."""
    times = _rule_times(schedule, events, start=start, end=end, now=now, limit=limit)
    entries = ledger.occurrences(
        nominal_times=times,
        runs=runs,
        exceptions=exceptions,
        state=_series_state(schedule, events),
        now=now,
    )
    return _within_max_runs(schedule, entries)


def _series_state(schedule: ScheduledJob, events: list) -> ledger.SeriesState:
    return ledger.SeriesState(
        live=schedule.status == ScheduledJob.Status.ACTIVE,
        next_run_at=schedule.next_run_at,
        holds=ledger.holds_from_events(
            hold_events(
                (at, kind, _with_actor(note, actor), changes)
                for at, kind, note, changes, actor in events
            )
        ),
        misfire_policy=schedule.misfire_policy,
    )


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
LEDGER_EXCEPTION_FIELDS = ("occurrence_at", "moved_to", "replacement_id", "note")


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


# The schedule page's ledger: this far back, and this many runs ahead.
LEDGER_PAST = timedelta(days=30)
LEDGER_AHEAD_RUNS = 10
# Narrowing a cut past window towards now, at most this many times.
_NARROWING_TRIES = 4


@dataclass(frozen=True)
class LedgerRow:
    """One occurrence as the schedule page lists it, with a moved run's replacement."""

    entry: ledger.Occurrence
    now: datetime
    late_after_seconds: float
    replacement: ledger.Run | None = None  # a moved run's replacement Job, once dispatched

    @property
    def label(self) -> str:
        return ledger.FATE_LABELS[self.entry.fate]

    @property
    def late(self) -> bool:
        late = self.entry.late_seconds
        return late is not None and late > self.late_after_seconds

    @property
    def replacement_fate(self) -> str:
        """What became of the run at its new time, by the same rules."""
        moved_to = self.entry.moved_to
        if moved_to is None:
            return ""
        if self.replacement is not None:
            return ledger.run_fate(self.replacement, nominal=moved_to, now=self.now)
        return ledger.UPCOMING if moved_to > self.now else ledger.WAITING

    @property
    def replacement_label(self) -> str:
        fate = self.replacement_fate
        return ledger.FATE_LABELS[fate] if fate else ""


@dataclass
class ScheduleLedger:
    """What the schedule page lists: the past window and the next runs, newest first."""

    now: datetime
    since: datetime  # the past listed starts here (later than asked when cut)
    past: list[LedgerRow]
    ahead: list[LedgerRow]
    truncated: bool  # the past held more than ``limit``: only the newest are listed
    limit: int

    @property
    def past_tally(self) -> list[ledger.Tally]:
        return ledger.tally(row.entry for row in self.past)

    @property
    def ahead_tally(self) -> list[ledger.Tally]:
        return ledger.tally(row.entry for row in self.ahead)

    @property
    def late_count(self) -> int:
        return sum(1 for row in self.past if row.late)

    @property
    def empty(self) -> bool:
        return not (self.past or self.ahead)


def schedule_ledger(
    schedule: ScheduledJob,
    *,
    now: datetime,
    past: timedelta = LEDGER_PAST,
    ahead_runs: int = LEDGER_AHEAD_RUNS,
    limit: int = LEDGER_LIMIT,
) -> ScheduleLedger:
    """The occurrences of the last ``past`` and the next ``ahead_runs`` runs.

    ``schedule_occurrences`` keeps the oldest ``limit`` of a window; a page wants
    the newest, so a past window that held more is narrowed towards now until
    its occurrences fit (and the answer says it was cut).
    """
    start, truncated = now - past, False
    for attempt in range(_NARROWING_TRIES):
        entries, cut = schedule_occurrences(schedule, start=start, end=now, now=now, limit=limit)
        truncated |= cut
        if not cut or attempt == _NARROWING_TRIES - 1:
            break
        # ``limit`` occurrences took this long from the first: about as many fit
        # in a little less than that, ending now.
        start = now - (entries[-1].nominal - entries[0].nominal) * 0.9
    upcoming = schedule.upcoming_runs(count=ahead_runs)
    # Runs dispatched a moment ahead (the lookahead) are listed even when none follow.
    end = max(
        upcoming[-1] + ONE_TICK if upcoming else now,
        now + timedelta(seconds=settings.DISPATCH_LOOKAHEAD_SECONDS),
    )
    coming, _ = schedule_occurrences(schedule, start=now, end=end, now=now, limit=limit)
    replacements = replacement_runs(entries + coming)
    late_after = settings.LATE_AFTER_SECONDS

    def rows(found: list[ledger.Occurrence]) -> list[LedgerRow]:
        return [
            LedgerRow(entry, now, late_after, replacements.get(entry.replacement_id))
            for entry in reversed(found)
        ]

    return ScheduleLedger(
        now=now,
        since=start,
        past=rows(entries),
        ahead=rows(coming),
        truncated=truncated,
        limit=limit,
    )


def hold_events(events) -> list[tuple]:
    """(when, kind, note, changes) audit rows as ``ledger.holds_from_events`` reads
    them: the pauses with the run they froze, the resumes, and the edits that set
    a start with that start."""
    found = []
    for at, kind, note, changes in events:
        if kind in _HOLD_KINDS:
            found.append((at, kind, note, _held_from(changes)))
        elif kind == ScheduleEvent.Kind.EDITED and (start := _edited_start(changes)):
            found.append((at, kind, note, start))
    return found


def _edited_start(changes: dict | None) -> datetime | None:
    """The start an edit set (its event records it), as an instant."""
    value = ((changes or {}).get("scheduled_at") or {}).get("to")
    return datetime.fromisoformat(value) if value else None


def _held_from(changes: dict | None) -> datetime | None:
    """The next run a pause froze (its event records it), as an instant."""
    value = (changes or {}).get("held_from")
    return datetime.fromisoformat(value) if value else None


def _with_actor(note: str, actor: str | None) -> str:
    by = f"By {actor}." if actor else ""
    return " ".join(part for part in (by, note) if part)


def _rule_times(
    schedule: ScheduledJob, events: list, *, start: datetime, end: datetime, now, limit: int
) -> list[datetime]:
    """The rule's nominal times in the window that are occurrences of the series:
    after the last edit that changed its timing, up to its end, and ahead of now
    only while it is active."""
    since = _rule_since(schedule, events)
    if since is not None:
        start = max(start, since)
    stop = end
    finished_at = _series_end(schedule, events)
    if finished_at is not None:
        stop = min(stop, finished_at + ONE_TICK)
    if schedule.status != ScheduledJob.Status.ACTIVE:
        stop = min(stop, now + ONE_TICK)
    if start >= stop:
        return []
    return recurrence.runs_between(schedule.recurrence(), start, stop, limit=limit + 1)


def _rule_since(schedule: ScheduledJob, events: list) -> datetime | None:
    """Where the rule as it is now begins: just after the last edit that changed
    its timing, or at the start that edit set when it set one up to the
    clock-skew tolerance before it (that start runs, as on create)."""
    for at, kind, _note, changes, _actor in reversed(events):
        if kind == ScheduleEvent.Kind.EDITED and TIMING_FIELDS & set(changes or {}):
            since = at + ONE_TICK
            if "scheduled_at" in changes and schedule.scheduled_at >= at - _clock_skew():
                since = min(since, schedule.scheduled_at)
            return since
    return None


def _clock_skew() -> timedelta:
    return timedelta(seconds=settings.SCHEDULE_CLOCK_SKEW_SECONDS)


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

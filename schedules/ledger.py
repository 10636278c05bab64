"""The run ledger: what became of every occurrence of a schedule.

Pure Python (no Django), so the rules can be tested exhaustively and fast;
``schedules.selectors.schedule_occurrences`` gathers the records.

Every occurrence (a nominal run time of the series) has exactly one fate:

* ``succeeded`` / ``failed``: it ran (``failed`` once its retries were exhausted);
* ``running``: a worker has it now;
* ``waiting``: its time has come and nothing has started it yet;
* ``upcoming``: its time is ahead (it may already be dispatched, with an ETA);
* ``skipped``: a user skipped it, or the overlap policy did (the previous run
  was still going);
* ``moved``: a user moved it; the replacement one-off carries its own fate;
* ``missed``: the misfire policy let it go (seen past its grace window after
  downtime);
* ``withdrawn``: a person or the system took it back (pause, edit, delete,
  campaign pause or archive, budget guard, the stop after repeated failures,
  a cancelled Job), with the reason.

A fate comes from a record where there is one (the occurrence's Job, or the
user's exception), and otherwise from when the time fell: inside a hold (the
schedule paused or stopped), behind the dispatcher (passed over: missed), or
ahead of it (waiting, or upcoming).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

SUCCEEDED = "succeeded"
FAILED = "failed"
RUNNING = "running"
WAITING = "waiting"
UPCOMING = "upcoming"
SKIPPED = "skipped"
MOVED = "moved"
MISSED = "missed"
WITHDRAWN = "withdrawn"

# The instant before another: a hold cut by an armed start ends here.
_JUST_BEFORE = timedelta(microseconds=1)

FATES = (SUCCEEDED, FAILED, RUNNING, WAITING, UPCOMING, SKIPPED, MOVED, MISSED, WITHDRAWN)
# Fates that will not change any more.
SETTLED = frozenset({SUCCEEDED, FAILED, SKIPPED, MOVED, MISSED, WITHDRAWN})
FATE_LABELS = {
    SUCCEEDED: "Succeeded",
    FAILED: "Failed",
    RUNNING: "Running",
    WAITING: "Waiting to start",
    UPCOMING: "Upcoming",
    SKIPPED: "Skipped",
    MOVED: "Moved",
    MISSED: "Missed",
    WITHDRAWN: "Withdrawn",
}

# A Job's status -> the occurrence's fate (pending/queued depend on the time).
_FATE_OF_JOB = {
    "succeeded": SUCCEEDED,
    "failed": FAILED,
    "running": RUNNING,
    "cancelled": WITHDRAWN,
    "missed": MISSED,
    "skipped": SKIPPED,
}


@dataclass(frozen=True)
class Run:
    """The Job of one occurrence, as the ledger needs it."""

    id: object
    scheduled_for: datetime
    status: str
    trigger: str = "scheduled"
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0
    last_error: str = ""


@dataclass(frozen=True)
class Exception_:
    """A user's skip or move of one occurrence."""

    occurrence_at: datetime
    moved_to: datetime | None = None
    replacement_id: object = None
    note: str = ""


@dataclass(frozen=True)
class Hold:
    """A stretch of time in which the schedule did not run: paused or stopped."""

    start: datetime
    end: datetime | None  # None: still held
    reason: str

    def covers(self, moment: datetime) -> bool:
        # The end is inclusive: a resume recomputes strictly after its own instant,
        # so a run due at that very instant was held back too.
        return self.start <= moment and (self.end is None or moment <= self.end)


@dataclass
class Occurrence:
    nominal: datetime
    fate: str
    reason: str = ""
    run: Run | None = None
    moved_to: datetime | None = None
    replacement_id: object = None
    # Jobs beyond the first for this nominal time: always 0 (a unique
    # constraint); the ledger suite asserts it.
    extra_runs: list[Run] = field(default_factory=list)

    @property
    def late_seconds(self) -> float | None:
        if self.run is None or self.run.started_at is None:
            return None
        return round((self.run.started_at - self.nominal).total_seconds(), 3)


@dataclass(frozen=True)
class SeriesState:
    """Where the schedule stands now."""

    live: bool  # active: the dispatcher is still working through it
    next_run_at: datetime | None  # the dispatcher's frontier (nothing before it is left)
    holds: Sequence[Hold] = ()
    misfire_policy: str = "run_once"


def occurrences(
    *,
    nominal_times: Iterable[datetime],
    runs: Iterable[Run],
    exceptions: Iterable[Exception_],
    state: SeriesState,
    now: datetime,
) -> list[Occurrence]:
    """Each occurrence in time order with its one fate.

    ``nominal_times`` are the series' times (from the recurrence engine) that
    belong in the window; a Job or exception at another time (a run of the
    rule before an edit) is an occurrence too.
    """
    runs_at: dict[datetime, list[Run]] = {}
    for run in runs:
        runs_at.setdefault(run.scheduled_for, []).append(run)
    excepted = {e.occurrence_at: e for e in exceptions}
    moments = sorted(set(nominal_times) | set(runs_at) | set(excepted))
    return [
        _fate(moment, runs_at.get(moment, []), excepted.get(moment), state, now)
        for moment in moments
    ]


def _fate(
    moment: datetime, runs: list[Run], exception: Exception_ | None, state: SeriesState, now
) -> Occurrence:
    if runs:
        first, *extra = sorted(runs, key=lambda run: (run.trigger != "scheduled", str(run.id)))
        occurrence = _from_run(moment, first, now)
        occurrence.extra_runs = extra
        return occurrence
    if exception is not None:
        if exception.moved_to is not None:
            return Occurrence(
                moment,
                MOVED,
                reason=exception.note,
                moved_to=exception.moved_to,
                replacement_id=exception.replacement_id,
            )
        return Occurrence(moment, SKIPPED, reason=exception.note or "Skipped by a user.")
    return _from_time(moment, state, now)


def _from_run(moment: datetime, run: Run, now: datetime) -> Occurrence:
    fate = _FATE_OF_JOB.get(run.status)
    if fate is None:  # pending / queued: dispatched, not started
        fate = UPCOMING if moment > now else WAITING
    reason = run.last_error if fate in (WITHDRAWN, MISSED, SKIPPED, FAILED) else ""
    return Occurrence(moment, fate, reason=reason, run=run)


def run_fate(run: Run, *, nominal: datetime, now: datetime) -> str:
    """The fate a Job gives the occurrence it runs (a moved run's replacement too)."""
    return _from_run(nominal, run, now).fate


def _from_time(moment: datetime, state: SeriesState, now: datetime) -> Occurrence:
    for hold in state.holds:
        if hold.covers(moment):
            return Occurrence(moment, WITHDRAWN, reason=hold.reason)
    if moment > now:
        return Occurrence(moment, UPCOMING)
    undispatched = state.next_run_at is not None and moment >= state.next_run_at
    if undispatched and state.live:
        return Occurrence(moment, WAITING, reason="Due; not dispatched yet.")
    if undispatched:
        # Held now (paused or stopped) from before this time came.
        current = state.holds[-1].reason if state.holds else "The schedule is not running."
        return Occurrence(moment, WITHDRAWN, reason=current)
    return Occurrence(
        moment,
        MISSED,
        reason=(
            "Missed: nothing was dispatching when it was due and it was past the grace "
            f"window when seen; misfire policy {state.misfire_policy}."
        ),
    )


def holds_from_events(events: Iterable[tuple]) -> list[Hold]:
    """Holds from the audit trail: (when, kind, note[, moment]) in time order.

    A pause or an automatic stop opens a hold; a resume closes it. For a pause,
    ``moment`` is the schedule's next run when it was held (recorded by the
    pause): runs from there on were never dispatched, so the hold covers them
    even when their time came before the pause (the dispatcher was behind, or
    down). For an edit ("edited"), ``moment`` is the start it set: an edit of a
    running schedule arms that start, which may lie up to the clock-skew
    tolerance back, inside a hold that has just closed; the closed holds end
    before it.
    """
    holds: list[Hold] = []
    open_at: datetime | None = None
    open_reason = ""
    for when, kind, note, *rest in events:
        moment = rest[0] if rest else None
        if kind in ("paused", "auto_error") and open_at is None:
            open_at = min(when, moment) if moment is not None else when
            open_reason = _hold_reason(kind, note)
        elif kind == "resumed" and open_at is not None:
            holds.append(Hold(open_at, when, open_reason))
            open_at = None
        elif kind == "edited" and moment is not None and open_at is None:
            holds = _ending_before(holds, moment)
    if open_at is not None:
        holds.append(Hold(open_at, None, open_reason))
    return holds


def _ending_before(holds: list[Hold], moment: datetime) -> list[Hold]:
    """The closed holds cut to end just before ``moment`` (an armed start)."""
    cut = []
    for hold in holds:
        if hold.end is not None and hold.end >= moment:
            if hold.start >= moment:
                continue
            hold = Hold(hold.start, moment - _JUST_BEFORE, hold.reason)
        cut.append(hold)
    return cut


def _hold_reason(kind: str, note: str) -> str:
    note = (note or "").strip()
    if kind == "auto_error":
        return "Withdrawn: the schedule stopped after repeated failures."
    return "Withdrawn: the schedule was paused." + (f" {note}" if note else "")


def summarize(entries: Iterable[Occurrence], *, late_after_seconds: float) -> dict[str, int]:
    """Counts by fate, with the runs that started late split out."""
    counts = dict.fromkeys(FATES, 0)
    counts["late"] = 0
    for entry in entries:
        counts[entry.fate] += 1
        late = entry.late_seconds
        if late is not None and late > late_after_seconds:
            counts["late"] += 1
    return counts


# The system's words for what withdrew a run, as they open every reason
# ("Withdrawn: the schedule was paused. By alice. <note>"), with the short
# cause a summary gives.
_CAUSES = {
    "paused": "paused",
    "edited": "edited",
    "deleted": "deleted",
    "stopped after": "stopped after failures",
    "cancelled": "cancelled",
}


def withdrawal_cause(reason: str) -> str:
    """The cause of a withdrawal in a word or two ("paused", "edited"), for counts.

    The earliest of the system's words wins: they come before any note a
    person typed, so a pause noted "copy edited" still reads as paused.
    """
    text = (reason or "").lower()
    found = [(text.find(words), cause) for words, cause in _CAUSES.items() if words in text]
    return min(found)[1] if found else "other"


@dataclass(frozen=True)
class Tally:
    fate: str
    count: int
    causes: str = ""  # withdrawn only: "paused", or "2 paused, 1 edited"


def tally(entries: Iterable[Occurrence]) -> list[Tally]:
    """Counts of the fates present, in the order of ``FATES``, for a summary line."""
    counts = dict.fromkeys(FATES, 0)
    causes: dict[str, int] = {}
    for entry in entries:
        counts[entry.fate] += 1
        if entry.fate == WITHDRAWN:
            cause = withdrawal_cause(entry.reason)
            causes[cause] = causes.get(cause, 0) + 1
    return [
        Tally(fate, n, _causes_text(causes) if fate == WITHDRAWN else "")
        for fate, n in counts.items()
        if n
    ]


def _causes_text(causes: dict[str, int]) -> str:
    if len(causes) == 1:
        return next(iter(causes))
    ordered = sorted(causes.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{n} {cause}" for cause, n in ordered)

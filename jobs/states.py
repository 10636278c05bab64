"""The job state machine as data (no Django), so every pair can be tested.

Services move a job with one conditional UPDATE whose WHERE clause names the
statuses it may leave; this table is the single list of legal moves.
"""

from __future__ import annotations

PENDING = "pending"
QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
SKIPPED = "skipped"
MISSED = "missed"

ALL_STATUSES = (PENDING, QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, SKIPPED, MISSED)

TRANSITIONS: dict[str, frozenset[str]] = {
    PENDING: frozenset({QUEUED, RUNNING, CANCELLED, SKIPPED, MISSED}),
    # queued -> pending never happens: a queued job the broker lost is re-sent as is.
    QUEUED: frozenset({RUNNING, CANCELLED, SKIPPED, MISSED}),
    # running -> queued is an automatic retry (or recovery after a lost worker);
    # running -> cancelled is a schedule edited or paused after dispatch.
    RUNNING: frozenset({SUCCEEDED, FAILED, QUEUED, CANCELLED}),
    # A manual retry of a failed job starts it again from pending.
    FAILED: frozenset({PENDING}),
    SUCCEEDED: frozenset(),
    CANCELLED: frozenset(),
    SKIPPED: frozenset(),
    MISSED: frozenset(),
}

# Where a job stands once it will not move again on its own.
FINAL_OUTCOMES = frozenset({SUCCEEDED, FAILED, CANCELLED, SKIPPED, MISSED})


class IllegalTransition(ValueError):
    pass


def can_move(source: str, target: str) -> bool:
    return target in TRANSITIONS.get(source, frozenset())


def require_legal(sources: tuple[str, ...], target: str) -> tuple[str, ...]:
    """The given sources, after checking each may move to ``target``.

    Asking for a move the table forbids is a programming error, raised at once
    rather than silently matching no rows.
    """
    illegal = [source for source in sources if not can_move(source, target)]
    if illegal or not sources:
        raise IllegalTransition(f"cannot move a job from {illegal or 'nothing'} to {target!r}")
    return tuple(sources)

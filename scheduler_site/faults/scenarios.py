"""The faults, one at a time, and what the run ledger says about each.

A fault's window opens ``before`` seconds ahead of it and closes ``after``
seconds past the component's return. Every occurrence due in the window is
then read from the ledger (after a settling wait) and judged:

- doubled: more than one Job row for one (schedule, nominal time);
- no fate: an occurrence still waiting or running once things settled (a
  Job that will never finish, or a run nobody dispatched), or counted missed
  by the ledger with no "missed" the dispatcher recorded;
- recovery: seconds from the component's return to the first run that
  started on time (within ``ON_TIME_SECONDS`` of its nominal time) and
  succeeded;
- the status endpoint while the component was down: 503 naming it, never a
  500 or silence;
- the webhook's view: every delivery of an occurrence carries that
  occurrence's one Job id, and (where a fault asks) no Job is executed to
  success twice.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from scheduler_site.faults.stack import Stack, StatusSample
from schedules import ledger

# A run that starts this soon after its nominal time is on time.
ON_TIME_SECONDS = 5.0
SETTLE_POLL_SECONDS = 2.0
# The target frozen mid-execution: long enough that a job is in flight when
# its worker stops, short of the read timeout so it succeeds.
FROZEN_WEBHOOK_SECONDS = 3.0
# Slower than WEBHOOK_READ_TIMEOUT (stack.py): every attempt times out.
SLOW_WEBHOOK_SECONDS = 8.0
# Small, so that a frozen worker's messages come back within the fault.
FROZEN_VISIBILITY_TIMEOUT = "10"


@dataclass(frozen=True)
class Timing:
    before: float  # normal running before the fault
    outage: float  # how long the component is away
    after: float  # after its return, until the window closes
    # Start the outage at this second of the minute (after ``before``), so that
    # per-minute crons fall due while the component is away.
    outage_at_second: float | None = None


@dataclass
class Outage:
    started: float
    returned: float
    notes: list[str] = field(default_factory=list)


# --- the faults -------------------------------------------------------------------


def kill_job_worker(stack: Stack, timing: Timing) -> Outage:
    victim = stack.processes[stack.job_worker_names[0]]
    started = time.time()
    victim.kill()
    time.sleep(timing.outage)
    returned = time.time()
    stack.restart(victim.name)  # under the same node name
    return Outage(started, returned)


def kill_beat(stack: Stack, timing: Timing) -> Outage:
    started = time.time()
    stack.processes["beat"].kill()
    time.sleep(timing.outage)
    returned = time.time()
    stack.restart("beat")
    return Outage(started, returned)


def redis_down(stack: Stack, timing: Timing) -> Outage:
    started = time.time()
    stack.redis.kill()
    time.sleep(timing.outage)
    returned = time.time()
    stack.redis.start()  # empty: no persistence
    return Outage(started, returned)


def postgres_down(stack: Stack, timing: Timing) -> Outage:
    started = time.time()
    stack.postgres.stop("fast")
    time.sleep(timing.outage)
    returned = time.time()
    stack.postgres.start()
    return Outage(started, returned)


def two_workers_slow_target(stack: Stack) -> None:
    stack.set_job_workers(2, CELERY_VISIBILITY_TIMEOUT=FROZEN_VISIBILITY_TIMEOUT)
    stack.receiver.delay = FROZEN_WEBHOOK_SECONDS


def freeze_job_worker(stack: Stack, timing: Timing) -> Outage:
    """SIGSTOP the second job worker (and its pool) while it executes a job."""
    victim = stack.processes[stack.job_worker_names[-1]]
    notes = []
    if not _wait_for_running_job(stack, stack.node(victim.name), timeout=20):
        notes.append(f"no job was mid-execution on {victim.name} when it was frozen")
    started = time.time()
    victim.signal_group(signal.SIGSTOP)
    try:
        time.sleep(timing.outage)
    finally:
        returned = time.time()
        victim.signal_group(signal.SIGCONT)
    stack.receiver.delay = 0.0
    return Outage(started, returned, notes)


def _wait_for_running_job(stack: Stack, node: str, *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = stack.auditor.ask("running")["running"]
        if any(job["claimed_by"].startswith(f"{node}:") for job in running):
            return True
        time.sleep(0.2)
    return False


def slow_webhook(stack: Stack, timing: Timing) -> Outage:
    started = time.time()
    stack.receiver.delay = SLOW_WEBHOOK_SECONDS
    time.sleep(timing.outage)
    returned = time.time()
    stack.receiver.delay = 0.0
    return Outage(started, returned)


@dataclass(frozen=True)
class Fault:
    name: str
    component: str  # what goes away, in words
    inject: Callable[[Stack, Timing], Outage]
    # Names a status answer may give the component (any one matches); empty
    # when the fault is no outage of the product (it may stay healthy).
    status_names: tuple[str, ...] = ()
    # Sets the stack up for the fault; the next fault's ``Stack.standard()`` undoes it.
    prepare: Callable[[Stack], None] | None = None
    # No Job executed to success twice (recorded), and none delivered again
    # after a takeover, except a request already on the wire when it froze.
    single_delivery: bool = False
    # The fault bites only if some run is delivered again (a retry).
    redelivers: bool = False


FAULTS = {
    fault.name: fault
    for fault in (
        Fault("worker-kill", "the job worker (SIGKILL)", kill_job_worker, ("worker",)),
        Fault("beat-kill", "celery beat (SIGKILL)", kill_beat, ("beat", "dispatcher", "scheduler")),
        Fault(
            "redis-down",
            "Redis (killed, restarted empty)",
            redis_down,
            ("broker", "redis", "cache"),
        ),
        Fault(
            "postgres-down",
            "PostgreSQL (pg_ctl stop -m fast)",
            postgres_down,
            ("database", "db", "postgres"),
        ),
        Fault(
            "worker-stop",
            "one of two job workers (SIGSTOP past the visibility timeout)",
            freeze_job_worker,
            prepare=two_workers_slow_target,
            single_delivery=True,
        ),
        Fault(
            "webhook-slow",
            "the webhook (answers after the read timeout)",
            slow_webhook,
            redelivers=True,
        ),
    )
}


# --- running one and judging it -------------------------------------------------------


@dataclass
class Verdict:
    fault: Fault
    outage: Outage
    due: int = 0
    doubled: int = 0
    no_fate: int = 0
    unsettled: Counter = field(default_factory=Counter)  # fate -> count, of the no-fate ones
    recovery: float | None = None
    status: list[StatusSample] = field(default_factory=list)
    twice_succeeded: int = 0  # Jobs with two successful attempts recorded
    answered_twice: int = 0  # X-Job-Ids the webhook answered 200 more than once
    redelivered: int = 0  # X-Job-Ids delivered more than once, answered or not
    mixed_ids: int = 0  # occurrences delivered under another id than their Job's
    crashed: list[str] = field(default_factory=list)
    # Runs still waiting from before the window (an earlier fault's backlog
    # the stack had not worked off): they bend this fault's figures.
    backlog_at_start: int = 0
    load1: float = 0.0
    evidence: str = ""

    def status_text(self) -> str:
        """e.g. "503x12 [broker], 500x3" for the answers while the component was away."""
        counts: Counter = Counter()
        named: dict[str, set] = defaultdict(set)
        for sample in self.status:
            key = "no answer" if sample.code is None else str(sample.code)
            counts[key] += 1
            named[key] |= sample.unhealthy
        if not counts:
            return "no sample"
        parts = []
        for key, n in counts.most_common():
            names = f" [{', '.join(sorted(named[key]))}]" if named[key] else ""
            parts.append(f"{key}x{n}{names}")
        return ", ".join(parts)

    def context(self) -> str:
        if not self.backlog_at_start:
            return ""
        return (
            f"began with {self.backlog_at_start} run(s) still waiting from before "
            "(an earlier fault's backlog): the figures include its effect"
        )

    def problems(self, *, recovery_bound: float) -> list[str]:
        """The issue's targets this run missed, each a sentence."""
        found = []
        if self.doubled:
            found.append(f"{self.doubled} occurrence(s) have more than one Job row")
        if self.no_fate:
            fates = ", ".join(f"{n} {fate}" for fate, n in self.unsettled.most_common())
            found.append(f"{self.no_fate} occurrence(s) have no Job or recorded fate ({fates})")
        if self.recovery is None:
            found.append("no run started on time and succeeded after the component returned")
        elif self.recovery > recovery_bound:
            found.append(
                f"the first on-time run came {self.recovery:.1f}s after the return "
                f"(bound {recovery_bound:.0f}s)"
            )
        found.extend(self._status_problems())
        if self.mixed_ids:
            found.append(
                f"{self.mixed_ids} occurrence(s) reached the webhook under another X-Job-Id"
            )
        if self.fault.redelivers and not self.redelivered:
            found.append("the fault did not bite: no run was delivered to the webhook twice")
        if self.fault.single_delivery and (self.answered_twice or self.twice_succeeded):
            found.append(
                f"Jobs executed to success twice: {self.answered_twice} X-Job-Id(s) answered "
                f"200 twice at the webhook (not in flight at the freeze), "
                f"{self.twice_succeeded} with two succeeded attempts"
            )
        if self.crashed:
            found.append("processes exited on their own: " + "; ".join(self.crashed))
        found.extend(self.outage.notes)
        return found

    def _status_problems(self) -> list[str]:
        found = []
        silent = [s for s in self.status if s.code is None]
        errors = [s for s in self.status if s.code is not None and s.code >= 500 and s.code != 503]
        if silent:
            found.append(
                f"the status endpoint did not answer {len(silent)} time(s): {silent[0].error}"
            )
        if errors:
            codes = Counter(s.code for s in errors)
            found.append(
                "the status endpoint answered "
                + ", ".join(f"{code} x{n}" for code, n in codes.items())
                + f" while {self.fault.component} was down"
            )
        if self.fault.status_names:
            unavailable = [s for s in self.status if s.code == 503]
            if not unavailable:
                found.append(
                    f"the status endpoint never answered 503 while {self.fault.component} was down"
                )
            elif any(s.unhealthy for s in unavailable) and not any(
                self._names_component(s) for s in unavailable
            ):
                found.append(
                    f"the status endpoint's 503 did not name {self.fault.component} "
                    f"(one of {', '.join(self.fault.status_names)})"
                )
        return found

    def _names_component(self, sample: StatusSample) -> bool:
        return any(alias in name for name in sample.unhealthy for alias in self.fault.status_names)


def run_fault(
    stack: Stack, fault: Fault, timing: Timing, *, settle_timeout: float, steady_timeout: float
) -> Verdict:
    """Inject ``fault`` into the standard stack, then read its window from the ledger.

    Waits up to ``steady_timeout`` first for runs left waiting by an earlier
    fault to be worked off, so that each fault is measured on its own.
    """
    stack.standard()
    backlog = wait_steady(stack, timeout=steady_timeout)
    if fault.prepare is not None:
        fault.prepare(stack)
    marks = stack.log_marks()
    window_start = time.time()
    time.sleep(timing.before)
    _sleep_to_second(timing.outage_at_second)
    outage = fault.inject(stack, timing)
    time.sleep(max(0.0, outage.returned + timing.after - time.time()))
    window_end = time.time()
    verdict = Verdict(fault, outage, backlog_at_start=backlog, load1=os.getloadavg()[0])
    verdict.crashed = [f"{p.name} (exit {p.process.returncode})" for p in stack.crashed()]
    report = settled_ledger(stack, window_start, window_end, timeout=settle_timeout)
    judge(verdict, report, stack, window_start, window_end)
    verdict.status = stack.watcher.between(outage.started, outage.returned)
    verdict.evidence = stack.log_excerpt(marks)
    return verdict


def wait_steady(stack: Stack, *, timeout: float) -> int:
    """Runs waiting past their time once none are, or at ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        waiting = stack.auditor.ask("backlog", late_after=ON_TIME_SECONDS)["waiting"]
        if not waiting or time.monotonic() > deadline:
            return waiting
        time.sleep(SETTLE_POLL_SECONDS)


def _sleep_to_second(second: float | None) -> None:
    if second is not None:
        time.sleep((second - time.time()) % 60)


def settled_ledger(stack: Stack, start: float, end: float, *, timeout: float) -> dict:
    """The window's ledger once every occurrence has settled, or as it is at ``timeout``."""
    deadline = time.monotonic() + timeout
    report, error = None, None
    while True:
        try:
            report = stack.auditor.ask("ledger", start=start, end=end)
        except RuntimeError as exc:  # the database may still be coming back
            error = exc
        else:
            if all(o["fate"] in ledger.SETTLED for o in report["occurrences"]):
                return report
        if time.monotonic() > deadline:
            if report is None:
                raise RuntimeError("the ledger could not be read") from error
            return report
        time.sleep(SETTLE_POLL_SECONDS)


def judge(verdict: Verdict, report: dict, stack: Stack, start: float, end: float) -> None:
    occurrences = report["occurrences"]
    verdict.due = len(occurrences)
    verdict.doubled = len(report["doubled"]) + sum(1 for o in occurrences if o["extra_runs"])
    unsettled = [o for o in occurrences if o["fate"] not in ledger.SETTLED]
    verdict.unsettled = Counter(o["fate"] for o in unsettled)
    inferred_missed = sum(1 for o in occurrences if o["fate"] == ledger.MISSED and o["job"] is None)
    unrecorded = max(0, inferred_missed - report["missed_recorded"])
    if unrecorded:
        verdict.unsettled["missed, never recorded"] += unrecorded
    verdict.no_fate = len(unsettled) + unrecorded
    verdict.recovery = first_on_time_run(occurrences, after=verdict.outage.returned)
    verdict.twice_succeeded = len(report["twice_succeeded"])
    deliveries = [
        d
        for d in stack.receiver.deliveries(since=start)
        if d.scheduled_for and start <= _epoch(d.scheduled_for) < end
    ]
    # The promise (README, "What the product promises for deliveries"): at
    # least once, never a second execution started after the job was taken
    # over. A request the frozen worker had already sent when it froze may
    # be answered as well as the new holder's: that one is allowed.
    answered: dict[str, list] = {}
    for delivery in deliveries:
        if delivery.answered:
            answered.setdefault(delivery.job_id, []).append(delivery)
    verdict.answered_twice = sum(
        1
        for runs in answered.values()
        if len(runs) > 1 and min(d.received_at for d in runs) >= verdict.outage.started
    )
    verdict.redelivered = sum(1 for n in Counter(d.job_id for d in deliveries).values() if n > 1)
    verdict.mixed_ids = mixed_job_ids(occurrences, deliveries)


def first_on_time_run(occurrences: list[dict], *, after: float) -> float | None:
    """Seconds from ``after`` to the start of the first run due since then that
    started within ON_TIME_SECONDS of its time and succeeded."""
    starts = [
        o["started_at"]
        for o in occurrences
        if o["nominal"] >= after
        and o["fate"] == ledger.SUCCEEDED
        and o["started_at"] is not None
        and o["started_at"] - o["nominal"] <= ON_TIME_SECONDS
    ]
    return None if not starts else round(max(0.0, min(starts) - after), 1)


def mixed_job_ids(occurrences: list[dict], deliveries) -> int:
    """Occurrences whose webhook deliveries carried an X-Job-Id other than their Job's."""
    job_of = {(o["series"], round(o["nominal"], 3)): o["job"] for o in occurrences}
    ids: dict[tuple, set] = defaultdict(set)
    for d in deliveries:
        ids[(d.series, round(_epoch(d.scheduled_for), 3))].add(d.job_id)
    return sum(1 for key, seen in ids.items() if seen != {job_of.get(key)})


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


# --- the table -------------------------------------------------------------------

TABLE_HEADER = (
    "| fault | occurrences due | Job rows doubled | occurrences with no Job/fate "
    "| recovery after the fault ended (s to the first on-time run) "
    "| status endpoint during it | load (1 min) |\n"
    "|---|---:|---:|---:|---:|---|---:|"
)


def table_row(verdict: Verdict) -> str:
    recovery = "never" if verdict.recovery is None else f"{verdict.recovery:.1f}"
    return (
        f"| {verdict.fault.name}: {verdict.fault.component} | {verdict.due} | {verdict.doubled} "
        f"| {verdict.no_fate} | {recovery} | {verdict.status_text()} | {verdict.load1:.2f} |"
    )

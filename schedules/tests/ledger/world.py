"""A virtual clock over the real scheduling path, for the ledger suite.

``World`` freezes time with time-machine and moves it only when told. Each
step runs what production runs at that moment: the dispatcher
(``dispatch_due``), the campaign lifecycle, the outbox sweeper, and a worker
(``jobs.services.job_run``, the code the Celery task calls). The broker is the
one piece replaced: an in-memory list of sent job ids that hands each message
out once its ETA has come (the suite's real-worker tests cover the broker).

``check_ledger`` is the product's promise as one function: for every schedule,
every occurrence has exactly one fate, never two Jobs, and run_count and
last_run_at agree with the Jobs.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import datetime, timedelta
from unittest import mock

import time_machine
from django.db.models import Min
from django.utils import timezone

from campaigns.lifecycle import campaign_lifecycle_run
from campaigns.models import Campaign
from jobs import services as job_services
from jobs.models import Job, JobAttempt
from schedules import dispatcher, ledger, selectors
from schedules.models import ScheduledJob, ScheduleEvent

LOOKAHEAD = timedelta(seconds=2)
# The smallest move of the clock, so a step that leaves something due still ends.
STALL_STEP = timedelta(seconds=1)
SERIES = ("scheduled", "catch_up", "backfill")
COUNTED = ("pending", "queued", "running", "succeeded", "failed")
WORKER_ID = job_services.worker_identity("ledger-world", os.getpid())


class World:
    """Virtual time, with dispatcher, lifecycle, sweeper and worker ticking on request."""

    def __init__(self, start: datetime):
        self._traveller = time_machine.travel(start, tick=False)
        self._clock = None
        self._broker: list = []  # (job id, eta) in send order
        self._publish = mock.patch("jobs.services.publish", side_effect=self._send)
        self.down = False  # dispatcher, lifecycle and workers stopped (an outage)

    def __enter__(self) -> World:
        self._clock = self._traveller.start()
        self._publish.start()
        return self

    def __exit__(self, *exc) -> None:
        self._publish.stop()
        self._traveller.stop()

    @property
    def now(self) -> datetime:
        return timezone.now()

    # --- the broker -----------------------------------------------------------------

    def _send(self, pending: list[tuple]) -> list:
        for job_id, not_before in pending:
            self._broker.append((job_id, not_before))
        return [job_id for job_id, _ in pending]

    def _deliverable(self) -> list:
        now = self.now
        ready = [m for m in self._broker if m[1] is None or m[1] <= now + job_services.CLOCK_SKEW]
        self._broker = [m for m in self._broker if m not in ready]
        return [job_id for job_id, _ in ready]

    # --- production, one step ------------------------------------------------------------

    def step(self) -> None:
        """What a healthy deployment does at this instant."""
        if self.down:
            return
        campaign_lifecycle_run(now=self.now)
        dispatcher.dispatch_due(now=self.now, lookahead=LOOKAHEAD)
        job_services.jobs_sweep(now=self.now)
        self.work()

    def work(self) -> None:
        """A worker takes every message whose ETA has come, until none is left."""
        while True:
            ready = self._deliverable()
            if not ready:
                return
            for job_id in ready:
                job_services.job_run(job_id=job_id, worker_id=WORKER_ID)

    def advance(self, delta: timedelta) -> None:
        self.advance_to(self.now + delta)

    def advance_to(self, target: datetime) -> None:
        """Move the clock to ``target``, stopping at every moment something is due
        (a run, a message's ETA, a campaign's start or end) to step production
        there, as a healthy deployment ticking every second would."""
        while self.now < target:
            moment = self._next_moment()
            if self.down or moment is None or moment > target:
                self._clock.move_to(target)
                self.step()
                return
            self._clock.move_to(max(moment, self.now + STALL_STEP))
            self.step()

    def _next_moment(self) -> datetime | None:
        candidates = [
            ScheduledJob.objects.filter(status=ScheduledJob.Status.ACTIVE).aggregate(
                at=Min("next_run_at")
            )["at"],
            min((eta for _, eta in self._broker if eta is not None), default=None),
            Campaign.objects.filter(
                status=Campaign.Status.PAUSED, started_at__isnull=True
            ).aggregate(at=Min("next_run_at"))["at"],
            Campaign.objects.filter(status=Campaign.Status.ACTIVE, end_date__gt=self.now).aggregate(
                at=Min("end_date")
            )["at"],
        ]
        if any(eta is None for _, eta in self._broker):
            candidates.append(self.now)
        found = [c for c in candidates if c is not None]
        return min(found) if found else None


# --- the promise ------------------------------------------------------------------------------


class LedgerViolation(AssertionError):
    pass


def ledger_of(schedule: ScheduledJob, *, start: datetime, end: datetime) -> list[ledger.Occurrence]:
    schedule.refresh_from_db()
    entries, truncated = selectors.schedule_occurrences(
        schedule, start=start, end=end, now=timezone.now()
    )
    assert not truncated, "a ledger window in the suite should fit in one answer"
    return entries


def check_ledger(
    schedule_id, *, start: datetime, settled_before: datetime | None = None
) -> list[ledger.Occurrence]:
    """The invariant, for one schedule; returns its ledger.

    - every occurrence has one fate from the documented list;
    - never two Jobs for one occurrence, and every Job of the series is an occurrence;
    - nothing before ``settled_before`` is still waiting or running;
    - a withdrawn, missed or skipped occurrence never executed, and a run
      executed at most its attempts (no run fired twice);
    - run_count and last_run_at agree with the Jobs.
    """
    now = timezone.now()
    jobs = list(Job.objects.filter(scheduled_job_id=schedule_id, trigger__in=SERIES))
    per_time = Counter(job.scheduled_for for job in jobs)
    doubled = [t for t, n in per_time.items() if n > 1]
    if doubled:
        raise LedgerViolation(f"two Jobs for one occurrence at {doubled}")
    schedule = ScheduledJob.objects.filter(pk=schedule_id).first()
    if schedule is None:  # deleted: its history stays, nothing of it runs afterwards
        _check_jobs_executed_once(jobs)
        return []
    end = now + timedelta(days=400)
    entries = ledger_of(schedule, start=start, end=min(end, start + timedelta(days=366)))
    executed = _attempts(jobs)
    for entry in entries:
        if entry.fate not in ledger.FATES:
            raise LedgerViolation(f"{entry.nominal}: unknown fate {entry.fate}")
        if entry.extra_runs:
            raise LedgerViolation(f"{entry.nominal}: {1 + len(entry.extra_runs)} Jobs")
        if (
            settled_before
            and entry.nominal < settled_before
            and entry.fate
            in (
                ledger.WAITING,
                ledger.RUNNING,
            )
        ):
            raise LedgerViolation(f"{entry.nominal} is still {entry.fate}: {entry.reason}")
        not_run = entry.fate in (ledger.WITHDRAWN, ledger.MISSED, ledger.SKIPPED)
        if not_run and entry.run and executed[entry.run.id]:
            raise LedgerViolation(f"{entry.nominal} is {entry.fate} but was executed")
    in_window = {job.scheduled_for for job in jobs if job.scheduled_for >= start}
    listed = {entry.nominal for entry in entries}
    if in_window - listed:
        raise LedgerViolation(f"Jobs missing from the ledger: {sorted(in_window - listed)}")
    _check_jobs_executed_once(jobs)
    counted = [job for job in jobs if job.status in COUNTED]
    if schedule.run_count != len(counted):
        raise LedgerViolation(f"run_count {schedule.run_count}, Jobs say {len(counted)}")
    last = max((job.scheduled_for for job in counted), default=None)
    if schedule.last_run_at != last:
        raise LedgerViolation(f"last_run_at {schedule.last_run_at}, Jobs say {last}")
    if schedule.max_runs is not None and len(counted) > schedule.max_runs:
        raise LedgerViolation(f"{len(counted)} runs for max_runs {schedule.max_runs}")
    return entries


def _attempts(jobs: list[Job]) -> Counter:
    """Executions per Job: the recorded attempts (a claim that ended in a
    withdrawal executed nothing and records none)."""
    return Counter(JobAttempt.objects.filter(job__in=jobs).values_list("job_id", flat=True))


def _check_jobs_executed_once(jobs: list[Job]) -> None:
    attempts = _attempts(jobs)
    for job in jobs:
        if attempts[job.pk] > job.max_retries + 1:
            raise LedgerViolation(f"Job {job.pk} executed {attempts[job.pk]} times")
        if job.status == "succeeded" and attempts[job.pk] < 1:
            raise LedgerViolation(f"Job {job.pk} succeeded without an attempt")
        if job.started_at and job.started_at < job.scheduled_for - job_services.CLOCK_SKEW:
            raise LedgerViolation(f"Job {job.pk} started before its time")


def fates(entries: list[ledger.Occurrence]) -> list[str]:
    return [entry.fate for entry in entries]


def missed_events_total(schedule_id) -> int:
    return sum(
        ScheduleEvent.objects.filter(
            scheduled_job_id=schedule_id, kind=ScheduleEvent.Kind.MISSED
        ).values_list("skipped_runs", flat=True)
    )

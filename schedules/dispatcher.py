"""The dispatcher: turns due schedules into Job rows, exactly once per nominal run.

Each run claims due rows with ``SELECT ... FOR UPDATE SKIP LOCKED`` in batches
ordered by ``next_run_at`` (served by the partial index
``schedule_dispatch_due_idx``), so any number of dispatchers split the work
without waiting on each other. Per claimed schedule it works out the nominal
run times that are due, applies max_runs, the end date and the misfire and
overlap policies, inserts the Jobs (the unique constraint on
(scheduled_job, scheduled_for, trigger) makes a second copy impossible; the
insert ignores conflicts), advances the schedule and commits. Execution is
enqueued only after that commit, so a dispatcher killed mid-batch leaves
nothing half done: its transaction rolls back and its rows unlock.

Runs due within the next ``DISPATCH_LOOKAHEAD_SECONDS`` are claimed early and
sent with an ETA of their nominal time, so a 1-second tick still starts runs on
time; the worker re-checks the schedule's status and version before running.
A herd (thousands of schedules sharing "Mondays at 09:00") is claimed earlier
still, as long ahead as dispatching it takes at ``DISPATCH_RUNS_PER_SECOND``
(``herd_lookahead``, at most ``DISPATCH_MAX_LOOKAHEAD_SECONDS``), so the whole
herd is at the broker by its time and the workers, not the dispatcher, set the
pace.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min
from django.utils import timezone

from jobs import liveness
from jobs.models import Job
from jobs.services import enqueue_after_commit
from schedules import recurrence
from schedules.models import (
    ONE_TICK,
    DispatcherHeartbeat,
    ScheduledJob,
    ScheduleEvent,
    excepted_occurrences,
)
from schedules.services import (
    COUNTED_RUN_STATUSES,
    SERIES_TRIGGERS,
    _end_status,
    build_run_job,
    held_run_not_before,
    schedule_job_config,
)

logger = logging.getLogger(__name__)

# One claimed row never produces more than this many runs in one go (a
# per-minute cron seen after a long outage is bounded by its misfire policy,
# this bounds the walk over its missed times).
MAX_SCAN_PER_SCHEDULE = 20_000
IN_FLIGHT = (Job.Status.PENDING, Job.Status.QUEUED, Job.Status.RUNNING)
HEARTBEAT_RETENTION = timedelta(hours=6)


@dataclass
class RunPlan:
    """What one claimed schedule does in this dispatch."""

    fire: list[tuple[datetime, str]] = field(default_factory=list)  # (nominal, trigger)
    missed_once: datetime | None = None  # a `once` run seen past its grace window
    dropped: int = 0  # missed runs the misfire policy drops
    next_run_at: datetime | None = None
    ends: bool = False


@dataclass
class DispatchReport:
    claimed: int = 0
    jobs_created: int = 0
    batches: int = 0
    duration_ms: int = 0
    oldest_due_age_seconds: float | None = None


def plan_runs(
    schedule: ScheduledJob,
    *,
    now: datetime,
    horizon: datetime,
    skipped: frozenset | set = frozenset(),
) -> RunPlan:
    """The due nominal times of a claimed schedule and what its policies make of them.

    Runs in [next_run_at, now - grace) are missed; runs in [now - grace, horizon]
    are on time. Times in ``skipped`` (the schedule's exceptions: runs a user
    skipped or moved) are passed over as if the series did not have them, so
    they neither run, nor count as missed, nor count toward max_runs. Pure
    apart from reading the schedule.
    """
    rec = schedule.recurrence()
    late_cutoff = now - timedelta(seconds=schedule.misfire_grace_seconds)
    keep = max(1, schedule.catch_up_max_runs)
    missed_tail: deque[datetime] = deque(maxlen=keep)
    missed_count = 0
    on_time: list[datetime] = []
    after = schedule.next_run_at - ONE_TICK
    upcoming: datetime | None = None
    for scanned, nominal in enumerate(recurrence.iter_runs(rec, after=after)):
        if nominal in skipped and scanned < MAX_SCAN_PER_SCHEDULE:
            continue
        if nominal > horizon:
            upcoming = nominal
            break
        if scanned >= MAX_SCAN_PER_SCHEDULE:
            # An absurd backlog (a sub-minute rrule down for weeks): jump to now.
            missed_count += 1
            upcoming = recurrence.next_run(rec, after=horizon)
            break
        if nominal < late_cutoff:
            missed_count += 1
            missed_tail.append(nominal)
        else:
            on_time.append(nominal)

    plan = RunPlan()
    if schedule.schedule_type == ScheduledJob.ScheduleType.ONCE:
        if missed_count:
            plan.missed_once = missed_tail[-1]
        else:
            plan.fire = [(t, Job.Trigger.SCHEDULED) for t in on_time]
    else:
        plan.fire, plan.dropped = _apply_misfire_policy(
            schedule.misfire_policy, list(missed_tail), missed_count, bool(on_time), keep
        )
        plan.fire += [(t, Job.Trigger.SCHEDULED) for t in on_time]

    remaining = schedule.remaining_runs
    if remaining is not None and len(plan.fire) >= remaining:
        plan.fire = plan.fire[:remaining]
        plan.ends = True
        return plan
    plan.next_run_at = upcoming
    plan.ends = upcoming is None
    return plan


def _apply_misfire_policy(
    policy: str, missed_tail: list[datetime], missed_count: int, has_on_time: bool, cap: int
) -> tuple[list[tuple[datetime, str]], int]:
    """(runs to fire for the missed times, how many missed times are dropped)."""
    if not missed_count:
        return [], 0
    if policy == ScheduledJob.MisfirePolicy.SKIP:
        return [], missed_count
    if policy == ScheduledJob.MisfirePolicy.CATCH_UP:
        # The most recent ones: after a long outage those are the runs still worth doing.
        fire = [(t, Job.Trigger.CATCH_UP) for t in missed_tail[-cap:]]
        return fire, missed_count - len(fire)
    # run_once: one run stands for all missed ones, unless an on-time run does already.
    if has_on_time:
        return [], missed_count
    return [(missed_tail[-1], Job.Trigger.CATCH_UP)], missed_count - 1


def claim_due_schedules(
    *, horizon: datetime, limit: int, exclude: set | frozenset = frozenset()
) -> list[ScheduledJob]:
    """Lock up to ``limit`` due active schedules no other dispatcher holds."""
    due = ScheduledJob.objects.filter(status=ScheduledJob.Status.ACTIVE, next_run_at__lte=horizon)
    if exclude:
        due = due.exclude(pk__in=exclude)
    return list(
        due.select_for_update(skip_locked=True, of=("self",))
        .select_related("template", "campaign")
        .order_by("next_run_at")[:limit]
    )


def _in_flight_by_schedule(schedules: list[ScheduledJob]) -> dict:
    """For schedules whose overlap policy cares: {schedule id: {"started": n, "waiting": n}}."""
    ids = [s.pk for s in schedules if s.overlap_policy != ScheduledJob.OverlapPolicy.ALLOW]
    result: dict = {}
    if not ids:
        return result
    rows = list(
        Job.objects.filter(scheduled_job_id__in=ids, status__in=IN_FLIGHT).values_list(
            "scheduled_job_id", "status", "claimed_by"
        )
    )
    # A run whose worker stopped beating is not "still going": the sweeper is
    # taking it back, and it must not cost the schedule its next run.
    workers = liveness.liveness() if any(r[1] == Job.Status.RUNNING for r in rows) else None
    for schedule_id, status, claimed_by in rows:
        if status == Job.Status.RUNNING and workers.abandoned(claimed_by):
            continue
        counts = result.setdefault(schedule_id, {"started": 0, "waiting": 0})
        counts["started" if status == Job.Status.RUNNING else "waiting"] += 1
    return result


def _refresh_run_counts(schedules: list[ScheduledJob]) -> None:
    """max_runs counts the runs that were not withdrawn: recount them from the Jobs
    (one query per batch), so a withdrawal whose bookkeeping was cut short by a
    crash can never cost the series a run."""
    bounded = {s.pk: s for s in schedules if s.max_runs is not None}
    if not bounded:
        return
    counts = dict(
        Job.objects.filter(
            scheduled_job_id__in=bounded,
            trigger__in=SERIES_TRIGGERS,
            status__in=COUNTED_RUN_STATUSES,
        )
        .values("scheduled_job_id")
        .annotate(n=Count("pk"))
        .values_list("scheduled_job_id", "n")
    )
    for pk, schedule in bounded.items():
        schedule.run_count = counts.get(pk, 0)


def _exceptions_by_schedule(schedules: list[ScheduledJob]) -> dict:
    """The skipped and moved runs of the whole claimed batch, in one query."""
    return excepted_occurrences(
        [s.pk for s in schedules], start=min(s.next_run_at for s in schedules)
    )


def dispatch_batch(
    *,
    now: datetime,
    batch_size: int,
    lookahead: timedelta,
    early: timedelta | None = None,
    declined: set | None = None,
) -> tuple[int, int]:
    """Claim one batch and dispatch it in one transaction. Returns (claimed, jobs created).

    ``early`` (the herd lookahead, longer than ``lookahead``) claims schedules due
    within it now, each for its next run only. One whose earlier run is still in
    flight under an overlap policy that cares is left for the ordinary lookahead,
    so its skip-or-queue decision is made no earlier than usual; its id goes into
    ``declined`` so the next batch of this tick does not claim it again.
    """
    horizon = now + lookahead
    claim_until = now + early if early is not None and early > lookahead else horizon
    declined = set() if declined is None else declined
    with transaction.atomic():
        schedules = claim_due_schedules(horizon=claim_until, limit=batch_size, exclude=declined)
        if not schedules:
            return 0, 0
        claimed = len(schedules)
        in_flight = _in_flight_by_schedule(schedules)
        schedules = [s for s in schedules if _decided_now(s, horizon, in_flight, declined)]
        if not schedules:
            return claimed, 0
        _refresh_run_counts(schedules)
        skipped = _exceptions_by_schedule(schedules)
        jobs: list[Job] = []
        events: list[ScheduleEvent] = []
        for schedule in schedules:
            plan = plan_runs(
                schedule,
                now=now,
                # Claimed early: only its next run (the one that brought it in).
                horizon=max(horizon, schedule.next_run_at),
                skipped=skipped.get(schedule.pk, frozenset()),
            )
            jobs += _jobs_for(schedule, plan, now=now, in_flight=in_flight.get(schedule.pk))
            events += _advance(schedule, plan)
        created = _insert_jobs(jobs)
        _count_runs(schedules, created)
        _save_advanced(schedules)
        ScheduleEvent.objects.bulk_create(events)
        # Published once this batch commits, pipelined (jobs.services.publish).
        enqueue_after_commit(
            [job for job in created if job.status == Job.Status.PENDING and not _held(job)]
        )
    return claimed, len(created)


def _decided_now(schedule: ScheduledJob, horizon: datetime, in_flight: dict, declined: set) -> bool:
    if schedule.next_run_at <= horizon or schedule.pk not in in_flight:
        return True
    declined.add(schedule.pk)
    return False


def _jobs_for(schedule: ScheduledJob, plan: RunPlan, *, now: datetime, in_flight) -> list[Job]:
    config = schedule_job_config(schedule)
    jobs = []
    if plan.missed_once is not None:
        job = build_run_job(
            schedule, scheduled_for=plan.missed_once, trigger=Job.Trigger.SCHEDULED, config=config
        )
        job.status = Job.Status.MISSED
        job.finished_at = now
        late = int((now - plan.missed_once).total_seconds())
        job.last_error = (
            f"Missed: first seen {late} s after its time, past the "
            f"{schedule.misfire_grace_seconds} s grace window, so it was not run late."
        )
        jobs.append(job)
    started = (in_flight or {}).get("started", 0)
    waiting = (in_flight or {}).get("waiting", 0)
    for nominal, trigger in plan.fire:
        not_before = nominal
        if schedule.jitter_seconds:
            not_before += timedelta(seconds=random.uniform(0, schedule.jitter_seconds))  # noqa: S311
        job = build_run_job(
            schedule, scheduled_for=nominal, trigger=trigger, not_before=not_before, config=config
        )
        decision = overlap_decision(schedule.overlap_policy, started=started, waiting=waiting)
        if decision == "skip":
            job.status = Job.Status.SKIPPED
            job.finished_at = now
            job.last_error = "Skipped: the previous run of this schedule was still going."
        elif decision == "hold":
            # Sent when the running one finishes (schedule_release_held_run); the
            # late not_before keeps the sweeper from sending it any earlier.
            job.not_before = held_run_not_before(nominal)
            job.held = True
            waiting += 1
        jobs.append(job)
    return jobs


def overlap_decision(policy: str, *, started: int, waiting: int) -> str:
    """ "start", "hold" (queue_one: wait behind the running run) or "skip".

    Runs dispatched in the same pass (catch-up) do not count against each other.
    """
    if policy == ScheduledJob.OverlapPolicy.ALLOW or started + waiting == 0:
        return "start"
    if policy == ScheduledJob.OverlapPolicy.QUEUE_ONE and waiting == 0:
        return "hold"
    return "skip"


ADVANCED_FIELDS = ("next_run_at", "run_count", "last_run_at", "status", "updated_at")


def _save_advanced(schedules: list[ScheduledJob]) -> None:
    """One UPDATE per row through executemany (pipelined by psycopg 3): Django's
    bulk_update builds a CASE per field per row and took half the dispatch time."""
    fields = [ScheduledJob._meta.get_field(name) for name in ADVANCED_FIELDS]
    pk = ScheduledJob._meta.pk
    table = connection.ops.quote_name(ScheduledJob._meta.db_table)
    assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    # Only quoted model metadata is interpolated; every value is a parameter.
    sql = f"UPDATE {table} SET {assignments} WHERE {connection.ops.quote_name(pk.column)} = %s"  # noqa: S608
    rows = [
        [f.get_db_prep_save(getattr(s, f.attname), connection) for f in fields]
        + [pk.get_db_prep_value(s.pk, connection)]
        for s in schedules
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _held(job: Job) -> bool:
    return getattr(job, "held", False)


def _insert_jobs(jobs: list[Job]) -> list[Job]:
    """Insert, ignoring any nominal run that already has its Job; return those inserted."""
    if not jobs:
        return []
    Job.objects.bulk_create(jobs, ignore_conflicts=True)
    inserted = set(Job.objects.filter(pk__in=[job.pk for job in jobs]).values_list("pk", flat=True))
    return [job for job in jobs if job.pk in inserted]


def _count_runs(schedules: list[ScheduledJob], created: list[Job]) -> None:
    by_schedule: dict = {}
    for job in created:
        if job.status == Job.Status.PENDING:
            by_schedule.setdefault(job.scheduled_job_id, []).append(job.scheduled_for)
    for schedule in schedules:
        fired = by_schedule.get(schedule.pk)
        if fired:
            schedule.run_count += len(fired)
            schedule.last_run_at = max(fired)


def _advance(schedule: ScheduledJob, plan: RunPlan) -> list[ScheduleEvent]:
    events = []
    if plan.dropped:
        events.append(
            ScheduleEvent(
                scheduled_job=schedule,
                kind=ScheduleEvent.Kind.MISSED,
                skipped_runs=plan.dropped,
                note=(
                    f"{plan.dropped} run(s) missed while nothing was dispatching; "
                    f"misfire policy {schedule.misfire_policy}."
                ),
            )
        )
    schedule.updated_at = timezone.now()
    if not plan.ends:
        schedule.next_run_at = plan.next_run_at
        return events
    schedule.next_run_at = None
    if plan.missed_once is not None:
        schedule.status = ScheduledJob.Status.EXPIRED
        note = "Its only run was missed."
    else:
        # run_count is not advanced yet: judge the end by the plan.
        fired = sum(1 for _ in plan.fire)
        left = None if schedule.max_runs is None else schedule.max_runs - schedule.run_count - fired
        schedule.status = (
            ScheduledJob.Status.COMPLETED
            if left is not None and left <= 0
            else _end_status(schedule)
        )
        note = "All runs dispatched."
        if schedule.status == ScheduledJob.Status.EXPIRED:
            note = "The end date has passed."
    events.append(ScheduleEvent(scheduled_job=schedule, kind=schedule.status, note=note))
    return events


def oldest_due_age(now: datetime) -> float | None:
    oldest = ScheduledJob.objects.filter(
        status=ScheduledJob.Status.ACTIVE, next_run_at__lte=now
    ).aggregate(oldest=Min("next_run_at"))["oldest"]
    return None if oldest is None else max(0.0, (now - oldest).total_seconds())


def herd_lookahead(now: datetime, *, base: timedelta, batch_size: int) -> timedelta:
    """How far ahead to claim: ``base``, or longer when a herd is coming.

    Dispatching N runs takes about N / DISPATCH_RUNS_PER_SECOND seconds, so the
    runs due within the longest lookahead are counted (a bounded count on the
    dispatch index) and claiming starts that much earlier; the last of them then
    reaches the broker ``base`` ahead of its time. Fewer than one batch changes
    nothing: an ordinary minute is claimed exactly as far ahead as configured.
    """
    longest = timedelta(seconds=settings.DISPATCH_MAX_LOOKAHEAD_SECONDS)
    rate = settings.DISPATCH_RUNS_PER_SECOND
    if longest <= base:
        return base
    enough = int(rate * (longest - base).total_seconds()) + 1
    due = ScheduledJob.objects.filter(
        status=ScheduledJob.Status.ACTIVE, next_run_at__lte=now + longest
    )
    upcoming = due.order_by().values("pk")[:enough].count()
    if upcoming <= batch_size:
        return base
    return min(longest, base + timedelta(seconds=upcoming / rate))


def dispatch_due(
    *,
    now: datetime | None = None,
    batch_size: int | None = None,
    lookahead: timedelta | None = None,
    time_budget: float | None = None,
    record_heartbeat: bool = True,
) -> DispatchReport:
    """Dispatch batches until nothing is due (or the time budget is spent)."""
    batch_size = batch_size or settings.DISPATCH_BATCH_SIZE
    early = None
    if lookahead is None:
        lookahead = timedelta(seconds=settings.DISPATCH_LOOKAHEAD_SECONDS)
        early = herd_lookahead(now or timezone.now(), base=lookahead, batch_size=batch_size)
    if time_budget is None:
        time_budget = settings.DISPATCH_TIME_BUDGET_SECONDS
    started = time.monotonic()
    report = DispatchReport()
    declined: set = set()
    while True:
        claimed, created = dispatch_batch(
            now=now or timezone.now(),
            batch_size=batch_size,
            lookahead=lookahead,
            early=early,
            declined=declined,
        )
        report.claimed += claimed
        report.jobs_created += created
        report.batches += 1
        if claimed < batch_size or time.monotonic() - started >= time_budget:
            break
    report.duration_ms = int((time.monotonic() - started) * 1000)
    if record_heartbeat:
        report.oldest_due_age_seconds = oldest_due_age(now or timezone.now())
        heartbeat_record(report, ran_at=now or timezone.now())
    if report.claimed:
        logger.info(
            "dispatched %s runs from %s schedules in %s ms",
            report.jobs_created,
            report.claimed,
            report.duration_ms,
        )
    return report


def heartbeat_record(report: DispatchReport, *, ran_at: datetime) -> DispatcherHeartbeat:
    heartbeat = DispatcherHeartbeat.objects.create(
        ran_at=ran_at,
        duration_ms=report.duration_ms,
        claimed=report.claimed,
        jobs_created=report.jobs_created,
        oldest_due_age_seconds=report.oldest_due_age_seconds,
        hostname=socket.gethostname()[:255],
        pid=os.getpid(),
    )
    # About once a minute at a 1-second tick: keep the table small without a job of its own.
    if random.random() < 1 / 60:  # noqa: S311
        DispatcherHeartbeat.objects.filter(ran_at__lt=ran_at - HEARTBEAT_RETENTION).delete()
    return heartbeat

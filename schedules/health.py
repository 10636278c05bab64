"""Dispatcher and beat health for /api/v1/schedule/status and monitoring."""

from __future__ import annotations

import threading
from datetime import timedelta

from django.conf import settings
from django.db import Error as DatabaseError
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from jobs.models import Job
from scheduler_site.lib import components
from scheduler_site.lib.fallback_cache import fallback_cache
from schedules.models import DispatcherHeartbeat, ScheduledJob, ScheduleEvent, ScheduleException

WORKERS_CACHE_KEY = "schedules:workers-seen"
WORKERS_CACHE_SECONDS = 15
PING_TIMEOUT_SECONDS = 0.5


def beat_interval_seconds() -> int:
    """The interval beat actually ticks at (django-celery-beat stores whole seconds)."""
    # The same rounding as the PERIODIC_TASKS entry in settings.
    return max(1, round(settings.DISPATCH_INTERVAL_SECONDS))


def dispatcher_health(*, workspaces=None) -> dict:
    """The dispatcher's heartbeat, the dead man's switch, and the last 24 hours
    of occurrences.

    ``workspaces=None`` is the installation's view, for staff: global counts,
    the dispatcher's host and pid, the workers answering a ping. Given the
    caller's ``workspaces`` (a tenant), every figure is counted over those
    workspaces only and nothing names a machine or process.

    Unhealthy (the API answers 503) when no dispatcher ran within three beat
    intervals, or when a run is due past its grace window and nothing has
    picked it up: a schedule the dispatcher has not reached, or a dispatched
    run no worker has started. That verdict is the installation's for everyone
    (a stalled worker pool stalls every tenant), so a tenant's monitor works as
    a dead man's switch too; only the figures behind it are scoped.
    """
    now = timezone.now()
    interval = beat_interval_seconds()
    last = DispatcherHeartbeat.objects.order_by("-ran_at").first()
    since_last = None if last is None else (now - last.ran_at).total_seconds()
    beating = since_last is not None and since_last <= 3 * interval
    stuck = stuck_runs(now=now, floor_seconds=3 * interval)
    healthy = beating and not stuck["total"]
    if workspaces is not None:
        stuck = stuck_runs(now=now, floor_seconds=3 * interval, workspaces=workspaces)
    due = ScheduledJob.objects.filter(status=ScheduledJob.Status.ACTIVE, next_run_at__lte=now)
    waiting = Job.objects.filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now),
        status__in=[Job.Status.PENDING, Job.Status.QUEUED],
    )
    if workspaces is not None:
        due = due.filter(workspace__in=workspaces)
        waiting = waiting.filter(workspace__in=workspaces)
    oldest = due.order_by("next_run_at").values_list("next_run_at", flat=True).first()
    report = {
        "healthy": healthy,
        "status": "healthy"
        if healthy
        else ("dispatcher not running" if not beating else "runs waiting past their grace"),
        "checked_at": now,
        "dispatch_interval_seconds": settings.DISPATCH_INTERVAL_SECONDS,
        "beat_interval_seconds": interval,
        "last_heartbeat": None if last is None else {"ran_at": last.ran_at},
        "seconds_since_last_heartbeat": since_last,
        # How late the most overdue undispatched run is (0 when nothing is waiting).
        "lag_seconds": 0.0 if oldest is None else round((now - oldest).total_seconds(), 3),
        "due_backlog": due.count(),
        # Runs past their start time that no worker has picked up yet.
        "jobs_waiting": waiting.count(),
        "stuck_runs": stuck,
        "late_after_seconds": settings.LATE_AFTER_SECONDS,
        "last_24h": occurrence_counts(
            workspaces=workspaces, start=now - timedelta(hours=24), now=now
        ),
    }
    if workspaces is None:
        # The installation's own figures: staff only.
        if last is not None:
            report["last_heartbeat"].update(
                claimed=last.claimed,
                jobs_created=last.jobs_created,
                duration_ms=last.duration_ms,
                hostname=last.hostname,
                pid=last.pid,
            )
        report["dispatches_last_minute"] = DispatcherHeartbeat.objects.filter(
            ran_at__gte=now - timedelta(minutes=1)
        ).count()
        report["workers_seen"] = workers_seen()
    return report


# --- the dead man's switch --------------------------------------------------------------

STUCK_SAMPLE = 1000
DEFAULT_JOB_GRACE_SECONDS = 300


def stuck_runs(*, now, floor_seconds: float, workspaces=None) -> dict:
    """Runs due past their grace window that nothing has picked up.

    ``schedules``: active schedules whose next run is that overdue (no
    dispatcher reached them); ``jobs``: dispatched runs no worker started.
    The grace is each schedule's own (at least ``floor_seconds``, a few beat
    intervals, so a busy tick is not an outage); the oldest ``STUCK_SAMPLE``
    candidates are looked at. ``workspaces`` narrows both to those workspaces.
    """
    floor = timedelta(seconds=floor_seconds)
    overdue = ScheduledJob.objects.filter(
        status=ScheduledJob.Status.ACTIVE, next_run_at__lt=now - floor
    ).order_by("next_run_at")
    waiting = Job.objects.filter(status__in=[Job.Status.PENDING, Job.Status.QUEUED])
    if workspaces is not None:
        overdue = overdue.filter(workspace__in=workspaces)
        waiting = waiting.filter(workspace__in=workspaces)
    overdue = overdue.values_list("next_run_at", "misfire_grace_seconds")[:STUCK_SAMPLE]
    schedules = sum(1 for due, grace in overdue if due + max(floor, timedelta(seconds=grace)) < now)
    waiting = (
        waiting.filter(
            Q(not_before__lt=now - floor) | Q(not_before__isnull=True, created_at__lt=now - floor)
        )
        .order_by("not_before")
        .values_list("not_before", "created_at", "scheduled_job__misfire_grace_seconds")[
            :STUCK_SAMPLE
        ]
    )
    jobs = sum(
        1
        for not_before, created, grace in waiting
        if (not_before or created)
        + max(floor, timedelta(seconds=DEFAULT_JOB_GRACE_SECONDS if grace is None else grace))
        < now
    )
    return {"total": schedules + jobs, "schedules": schedules, "jobs": jobs}


# --- the last 24 hours -------------------------------------------------------------------

SERIES_TRIGGERS = Job.SERIES_TRIGGERS
COUNT_KEYS = (
    "due",
    "ran_on_time",
    "late",
    "failed",
    "running",
    "waiting",
    "missed",
    "skipped",
    "moved",
    "withdrawn",
)


def occurrence_counts(*, workspaces, start, now) -> dict:
    """Occurrences of scheduled jobs with their nominal time in [start, now], by fate.

    Counted from the records, a few grouped queries whatever the number of
    schedules: each run's Job (ran on time / late, failed, running, waiting,
    missed, skipped by the overlap policy, withdrawn after dispatch), the
    users' skipped and moved runs, runs the misfire policy dropped (the
    dispatcher's "missed" events) and runs a pause held back (counted by the
    resume that ended the pause).
    """
    per_workspace: dict = {}

    def add(workspace_id, key: str, n: int) -> None:
        counts = per_workspace.setdefault(workspace_id, dict.fromkeys(COUNT_KEYS, 0))
        counts[key] += n
        counts["due"] += n

    jobs = Job.objects.filter(
        trigger__in=SERIES_TRIGGERS, scheduled_for__gte=start, scheduled_for__lte=now
    )
    events = ScheduleEvent.objects.filter(created_at__gte=start, created_at__lte=now)
    exceptions = ScheduleException.objects.filter(occurrence_at__gte=start, occurrence_at__lte=now)
    if workspaces is not None:
        jobs = jobs.filter(workspace__in=workspaces)
        events = events.filter(scheduled_job__workspace__in=workspaces)
        exceptions = exceptions.filter(scheduled_job__workspace__in=workspaces)
    late_after = timedelta(seconds=settings.LATE_AFTER_SECONDS)
    started_late = Q(started_at__gt=F("scheduled_for") + late_after)
    for row in (
        jobs.values("workspace_id", "status")
        .annotate(n=Count("pk"), late=Count("pk", filter=started_late))
        .order_by()
    ):
        workspace_id, status, n = row["workspace_id"], row["status"], row["n"]
        if status in _STARTED:
            # Every run that started is on time or late; failed and running are parts of those.
            add(workspace_id, "late", row["late"])
            add(workspace_id, "ran_on_time", n - row["late"])
            if status != Job.Status.SUCCEEDED:
                per_workspace[workspace_id][status] += n
        else:
            add(workspace_id, _NOT_STARTED_KEY.get(status, "waiting"), n)
    for row in (
        events.filter(kind__in=[ScheduleEvent.Kind.MISSED, ScheduleEvent.Kind.RESUMED])
        .values("scheduled_job__workspace_id", "kind")
        .annotate(n=Sum("skipped_runs"))
        .order_by()
    ):
        key = "missed" if row["kind"] == ScheduleEvent.Kind.MISSED else "withdrawn"
        add(row["scheduled_job__workspace_id"], key, row["n"] or 0)
    for row in (
        exceptions.values("scheduled_job__workspace_id")
        .annotate(moved=Count("pk", filter=Q(moved_to__isnull=False)), n=Count("pk"))
        .order_by()
    ):
        add(row["scheduled_job__workspace_id"], "moved", row["moved"])
        add(row["scheduled_job__workspace_id"], "skipped", row["n"] - row["moved"])
    total = dict.fromkeys(COUNT_KEYS, 0)
    for counts in per_workspace.values():
        for key in COUNT_KEYS:
            total[key] += counts[key]
    return {
        "from": start,
        "to": now,
        "total": total,
        "workspaces": [
            {"workspace_id": workspace_id, **counts}
            for workspace_id, counts in sorted(per_workspace.items(), key=lambda kv: str(kv[0]))
        ],
    }


_STARTED = (Job.Status.SUCCEEDED, Job.Status.FAILED, Job.Status.RUNNING)
# A Job that never started -> its count (pending and queued: waiting).
_NOT_STARTED_KEY = {
    Job.Status.MISSED: "missed",
    Job.Status.SKIPPED: "skipped",
    Job.Status.CANCELLED: "withdrawn",
}


def workers_seen() -> list[str] | None:
    """Worker names answering a ping (cached briefly); None when the broker cannot say.

    The broker is asked only after a bounded connection check, and the ping
    runs on a connection with socket timeouts in a thread given at most
    ``PING_TIMEOUT_SECONDS`` plus the broker check's budget: kombu retries a
    publish whose connection drops without a limit, and a status request must
    not hang on that.
    """
    cached = fallback_cache.get(WORKERS_CACHE_KEY)
    if cached is not None:
        return cached
    if not components.check_broker().ok:
        return None
    answer: dict = {}
    thread = threading.Thread(target=_ping, args=(answer,), name="workers-ping", daemon=True)
    thread.start()
    thread.join(PING_TIMEOUT_SECONDS + components.BROKER_CHECK_TIMEOUT)
    if "names" not in answer:
        components.BROKER.failed(answer.get("error") or "no answer to a ping in time")
        return None
    fallback_cache.set(WORKERS_CACHE_KEY, answer["names"], WORKERS_CACHE_SECONDS)
    return answer["names"]


def _ping(answer: dict) -> None:
    from scheduler_site.celery import app

    try:
        with components.broker_connection() as connection:
            replies = app.control.ping(timeout=PING_TIMEOUT_SECONDS, connection=connection)
        answer["names"] = sorted(name for reply in replies or [] for name in reply)
    except Exception as exc:  # any broker failure: the workers cannot be asked
        answer["error"] = exc


# --- components: what the verdict also depends on --------------------------------------


def status_report(*, workspaces=None) -> dict:
    """``dispatcher_health()`` and the state of each component behind it, for
    /api/v1/schedule/status. Never raises for an outage.

    ``components`` names the database, the broker, the cache, the workers and
    the dispatcher, each ``{"ok", "since", "error"}``: any of them down makes
    the answer unhealthy (503). The workers count as down when runs due a few
    seconds ago are waiting and no run has started since (whoever answers a
    ping); with nothing waiting they are not pinged. The dispatcher is down when it has not
    run within three beat intervals, ``since`` its last heartbeat. Error texts
    of the database, broker and cache can name hosts: staff only.
    """
    staff = workspaces is None
    if not components.check_database().ok:
        return outage_report()
    try:
        report = dispatcher_health(workspaces=workspaces)
        waiting = _stalled_since(report["checked_at"])
    except DatabaseError as exc:  # the database went away during the request
        components.DATABASE.failed(exc)
        return outage_report()
    states = {
        "database": components.DATABASE.state(detail=staff),
        "broker": components.check_broker().state(detail=staff),
        "cache": components.check_cache().state(detail=staff),
        "workers": _check_workers(waiting=waiting).state(),
        "dispatcher": _dispatcher_state(report),
    }
    report["components"] = states
    down = [name for name, state in states.items() if not state["ok"]]
    if report["healthy"] and down:
        report["healthy"] = False
        report["status"] = f"unavailable: {', '.join(down)}"
    return report


def outage_report() -> dict:
    """The answer while the database is down: the components that can be checked
    without it, and nothing counted (the figures, the workers' backlog and the
    dispatcher's heartbeats all live in the database)."""
    return {
        "healthy": False,
        "status": "unavailable: database",
        "checked_at": timezone.now(),
        "components": {
            "database": components.DATABASE.state(detail=False),
            "broker": components.check_broker().state(detail=False),
            "cache": components.check_cache().state(detail=False),
        },
    }


# Runs due this long ago still waiting, with no run started meanwhile, mean
# the job workers are not working (dead, frozen or cut off), whoever else
# answers a ping (the scheduler worker does).
WORKERS_STALL_SECONDS = 5


def _stalled_since(now):
    """When the oldest run still waiting fell due, if runs due more than
    WORKERS_STALL_SECONDS ago are waiting and no run has started since; else None."""
    cutoff = now - timedelta(seconds=WORKERS_STALL_SECONDS)
    if Job.objects.filter(started_at__gte=cutoff).exists():
        return None
    return (
        Job.objects.filter(
            Q(not_before__isnull=True, created_at__lt=cutoff) | Q(not_before__lt=cutoff),
            status__in=[Job.Status.PENDING, Job.Status.QUEUED],
        )
        .order_by("not_before")
        .values_list("not_before", flat=True)
        .first()
    )


def _check_workers(*, waiting) -> components.Component:
    workers = components.WORKERS
    if waiting is None:
        workers.recovered()
        return workers
    names = workers_seen()
    if names is None:
        workers.failed("runs are waiting and the broker cannot be asked for workers")
    elif not names:
        workers.failed("runs are waiting and no worker answers a ping")
    else:
        workers.failed(
            f"runs are waiting and no worker has started one for {WORKERS_STALL_SECONDS} s"
        )
    return workers


def _dispatcher_state(report: dict) -> dict:
    since_last = report["seconds_since_last_heartbeat"]
    limit = 3 * report["beat_interval_seconds"]
    if since_last is not None and since_last <= limit:
        return {"ok": True, "since": None, "error": None}
    if since_last is None:
        return {"ok": False, "since": None, "error": "the dispatcher has never run"}
    return {
        "ok": False,
        "since": report["last_heartbeat"]["ran_at"],
        "error": f"no heartbeat for {since_last:.0f} s (3 beat intervals are {limit} s)",
    }

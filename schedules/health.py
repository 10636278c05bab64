"""Dispatcher and beat health for /api/v1/schedule/status and monitoring."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from jobs.models import Job
from schedules.models import DispatcherHeartbeat, ScheduledJob

WORKERS_CACHE_KEY = "schedules:workers-seen"
WORKERS_CACHE_SECONDS = 15
PING_TIMEOUT_SECONDS = 0.5


def beat_interval_seconds() -> int:
    """The interval beat actually ticks at (django-celery-beat stores whole seconds)."""
    # The same rounding as the PERIODIC_TASKS entry in settings.
    return max(1, round(settings.DISPATCH_INTERVAL_SECONDS))


def dispatcher_health() -> dict:
    now = timezone.now()
    interval = beat_interval_seconds()
    last = DispatcherHeartbeat.objects.order_by("-ran_at").first()
    since_last = None if last is None else (now - last.ran_at).total_seconds()
    healthy = since_last is not None and since_last <= 3 * interval
    due = ScheduledJob.objects.filter(status=ScheduledJob.Status.ACTIVE, next_run_at__lte=now)
    oldest = due.order_by("next_run_at").values_list("next_run_at", flat=True).first()
    return {
        "healthy": healthy,
        "status": "healthy" if healthy else "dispatcher not running",
        "checked_at": now,
        "dispatch_interval_seconds": settings.DISPATCH_INTERVAL_SECONDS,
        "beat_interval_seconds": interval,
        "last_heartbeat": None
        if last is None
        else {
            "ran_at": last.ran_at,
            "claimed": last.claimed,
            "jobs_created": last.jobs_created,
            "duration_ms": last.duration_ms,
            "hostname": last.hostname,
            "pid": last.pid,
        },
        "seconds_since_last_heartbeat": since_last,
        # How late the most overdue undispatched run is (0 when nothing is waiting).
        "lag_seconds": 0.0 if oldest is None else round((now - oldest).total_seconds(), 3),
        "due_backlog": due.count(),
        "dispatches_last_minute": DispatcherHeartbeat.objects.filter(
            ran_at__gte=now - timedelta(minutes=1)
        ).count(),
        # Runs past their start time that no worker has picked up yet.
        "jobs_waiting": Job.objects.filter(
            Q(not_before__isnull=True) | Q(not_before__lte=now),
            status__in=[Job.Status.PENDING, Job.Status.QUEUED],
        ).count(),
        "workers_seen": workers_seen(),
    }


def workers_seen() -> list[str] | None:
    """Worker names answering a ping (cached briefly); None when the broker cannot say."""
    cached = cache.get(WORKERS_CACHE_KEY)
    if cached is not None:
        return cached
    from scheduler_site.celery import app

    try:
        replies = app.control.ping(timeout=PING_TIMEOUT_SECONDS) or []
    except Exception:
        return None
    names = sorted(name for reply in replies for name in reply)
    cache.set(WORKERS_CACHE_KEY, names, WORKERS_CACHE_SECONDS)
    return names

"""Demo schedules for `make run`: every type, two timezones, some paused. Idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from campaigns.models import Campaign
from schedules import services
from schedules.models import ScheduledJob
from templates_lib.models import JobTemplate

NOOP = {"executor": "noop"}


def _local(days: int, hour: int, minute: int = 0) -> datetime:
    """A naive wall time ``days`` from today: read in each schedule's own timezone."""
    day = (timezone.now() + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, minute)


def _demo_schedules() -> list[dict]:
    return [
        {
            "name": "Daily Forbes Content",
            "campaign": "Forbes Publisher Campaign",
            "template": "Forbes Expert",
            "schedule_type": "daily",
            "local_start": _local(1, 9),
            "timezone": "America/New_York",
            "max_runs": 90,
            "job_config": {**NOOP, "country": "us", "language": "en"},
        },
        {
            "name": "Client A Weekly",
            "campaign": "Client A - SEO Campaign",
            "template": "TechCrunch Standard",
            "schedule_type": "weekly",
            "recurrence_pattern": "weekly:monday,thursday",
            "local_start": _local(1, 10),
            "timezone": "America/New_York",
        },
        {
            "name": "Monthly wrap-up (31st, last day in short months)",
            "schedule_type": "monthly",
            "recurrence_pattern": "monthly:31",
            "local_start": _local(1, 8),
            "timezone": "Europe/London",
        },
        {
            "name": "Newsletter on the 1st",
            "campaign": "Client B - Content Marketing",
            "schedule_type": "monthly",
            "recurrence_pattern": "monthly:1",
            "local_start": _local(1, 8),
            "timezone": "Europe/London",
        },
        {
            "name": "Weekday mornings (cron)",
            "template": "HuffPost Comprehensive",
            "schedule_type": "cron",
            "recurrence_pattern": "30 7 * * 1-5",
            "local_start": _local(1, 0),
            "timezone": "Europe/London",
        },
        {
            "name": "Every 15 minutes (cron, paused)",
            "schedule_type": "cron",
            "recurrence_pattern": "*/15 * * * *",
            "local_start": _local(1, 0),
            "timezone": "America/New_York",
            "pause": "Too noisy for the demo; resume to watch it run.",
        },
        {
            "name": "Second Tuesday review (rrule)",
            "schedule_type": "rrule",
            "recurrence_pattern": "FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2",
            "local_start": _local(1, 15),
            "timezone": "America/New_York",
        },
        {
            "name": "Launch announcement (once)",
            "campaign": "Client B - Content Marketing",
            "schedule_type": "once",
            "local_start": _local(3, 12),
            "timezone": "Europe/London",
        },
        {
            "name": "Holiday special (once, paused)",
            "schedule_type": "once",
            "local_start": _local(10, 18),
            "timezone": "America/New_York",
            "pause": "Waiting for the client's sign-off.",
        },
    ]


def seed(*, workspace, user) -> None:
    from schedules import recurrence

    for spec in _demo_schedules():
        if ScheduledJob.objects.filter(workspace=workspace, name=spec["name"]).exists():
            continue
        fields = dict(spec)
        pause = fields.pop("pause", None)
        campaign = fields.pop("campaign", None)
        template = fields.pop("template", None)
        local_start = fields.pop("local_start")
        fields.setdefault("job_config", dict(NOOP))
        fields["scheduled_at"] = recurrence.parse_local_start(local_start, fields["timezone"])
        if campaign:
            fields["campaign"] = Campaign.objects.filter(workspace=workspace, name=campaign).first()
        if template:
            fields["template"] = JobTemplate.objects.filter(
                workspace=workspace, name=template
            ).first()
        schedule = services.schedule_create(workspace=workspace, created_by=user, **fields)
        if pause:
            services.schedule_pause(schedule=schedule, actor=user, note=pause)

"""Demo schedules for `make run`: every type, two timezones, some paused. Idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from campaigns.models import Campaign
from scheduler_site.demo import demo_row, ensure_demo_row
from schedules import services
from schedules.models import ScheduledJob
from templates_lib.models import JobTemplate

NOOP = {"executor": "noop"}


def _local(days: int, hour: int, minute: int = 0) -> datetime:
    """A naive wall time ``days`` from today: read in each schedule's own timezone."""
    day = (timezone.now() + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, minute)


def _demo_schedules() -> list[dict]:
    # "key" is the row's demo identity (scheduler_site/demo.py); "campaign" and
    # "template" are demo keys too (campaigns/demo.py, templates_lib/demo.py).
    return [
        {
            "key": "daily-forbes",
            "name": "Daily Forbes Content",
            "campaign": "forbes",
            "template": "forbes-expert",
            "schedule_type": "daily",
            "local_start": _local(1, 9),
            "timezone": "America/New_York",
            "max_runs": 90,
            "job_config": {**NOOP, "country": "us", "language": "en"},
        },
        {
            "key": "client-a-weekly",
            "name": "Client A Weekly",
            "campaign": "client-a",
            "template": "techcrunch-standard",
            "schedule_type": "weekly",
            "recurrence_pattern": "weekly:monday,thursday",
            "local_start": _local(1, 10),
            "timezone": "America/New_York",
        },
        {
            "key": "monthly-wrap-up",
            "name": "Monthly wrap-up (31st, last day in short months)",
            "schedule_type": "monthly",
            "recurrence_pattern": "monthly:31",
            "local_start": _local(1, 8),
            "timezone": "Europe/London",
        },
        {
            "key": "newsletter-1st",
            "name": "Newsletter on the 1st",
            "campaign": "client-b",
            "schedule_type": "monthly",
            "recurrence_pattern": "monthly:1",
            "local_start": _local(1, 8),
            "timezone": "Europe/London",
        },
        {
            "key": "weekday-mornings",
            "name": "Weekday mornings (cron)",
            "template": "huffpost-comprehensive",
            "schedule_type": "cron",
            "recurrence_pattern": "30 7 * * 1-5",
            "local_start": _local(1, 0),
            "timezone": "Europe/London",
        },
        {
            "key": "every-15-minutes",
            "name": "Every 15 minutes (cron, paused)",
            "schedule_type": "cron",
            "recurrence_pattern": "*/15 * * * *",
            "local_start": _local(1, 0),
            "timezone": "America/New_York",
            "pause": "Too noisy for the demo; resume to watch it run.",
        },
        {
            "key": "second-tuesday",
            "name": "Second Tuesday review (rrule)",
            "schedule_type": "rrule",
            "recurrence_pattern": "FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2",
            "local_start": _local(1, 15),
            "timezone": "America/New_York",
        },
        {
            "key": "launch-announcement",
            "name": "Launch announcement (once)",
            "campaign": "client-b",
            "schedule_type": "once",
            "local_start": _local(3, 12),
            "timezone": "Europe/London",
        },
        {
            "key": "holiday-special",
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
        fields = dict(spec)
        key = fields.pop("key")
        pause = fields.pop("pause", None)
        campaign = fields.pop("campaign", None)
        template = fields.pop("template", None)
        local_start = fields.pop("local_start")
        fields.setdefault("job_config", dict(NOOP))
        fields["scheduled_at"] = recurrence.parse_local_start(local_start, fields["timezone"])
        if campaign:
            fields["campaign"] = demo_row(Campaign, workspace=workspace, key=f"campaign:{campaign}")
        if template:
            fields["template"] = demo_row(
                JobTemplate, workspace=workspace, key=f"template:{template}"
            )

        def create(pk, fields=fields, pause=pause):
            schedule = services.schedule_create(
                id=pk, workspace=workspace, created_by=user, **fields
            )
            if pause:
                services.schedule_pause(schedule=schedule, actor=user, note=pause)
            return schedule

        ensure_demo_row(ScheduledJob, workspace=workspace, key=f"schedule:{key}", create=create)

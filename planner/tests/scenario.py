"""A realistic month for the calendar: campaigns, schedules, runs, channels, posts, a wave.

Built only through the apps' services (plus direct Job rows for past runs,
which in real life the dispatcher writes), so what the calendar shows is what
a marketer would see. Used by the page tests, the browser tests and the bench.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from campaigns.services import campaign_create
from jobs.models import Job
from marketing import services as marketing
from schedules.services import schedule_create
from templates_lib.services import template_create


@dataclass
class Scenario:
    workspace: object
    campaigns: dict = field(default_factory=dict)
    templates: dict = field(default_factory=dict)
    schedules: dict = field(default_factory=dict)
    channels: dict = field(default_factory=dict)
    content: dict = field(default_factory=dict)


def local(zone: str, day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone))


def build(*, workspace, user, now: datetime | None = None, with_marketing: bool = True) -> Scenario:
    now = now or timezone.now()
    zone = workspace.timezone
    today = now.astimezone(ZoneInfo(zone)).date()
    s = Scenario(workspace=workspace)
    s.campaigns["launch"] = campaign_create(
        workspace=workspace,
        created_by=user,
        name="Winter launch",
        color="#E8590C",
        tags=["launch", "q4"],
        target_job_count=40,
        target_budget_usd=Decimal("250.00"),
        end_date=now + timedelta(days=40),
    )
    s.campaigns["seo"] = campaign_create(
        workspace=workspace,
        created_by=user,
        name="Evergreen SEO",
        color="#0CA678",
        tags=["seo"],
        target_job_count=12,
    )
    s.templates["brief"] = template_create(
        workspace=workspace,
        created_by=user,
        name="Product brief",
        campaign=s.campaigns["launch"],
        publisher_domain="example.com",
        tags=["launch"],
        is_favorite=True,
    )
    s.templates["seo"] = template_create(
        workspace=workspace,
        created_by=user,
        name="SEO article",
        campaign=s.campaigns["seo"],
        writing_strategy="expert",
        tags=["seo"],
    )
    s.schedules["daily"] = schedule_create(
        workspace=workspace,
        created_by=user,
        name="Morning digest",
        schedule_type="daily",
        scheduled_at=local(zone, today + timedelta(days=1), 9),
        timezone=zone,
        campaign=s.campaigns["launch"],
        template=s.templates["brief"],
    )
    s.schedules["weekly"] = schedule_create(
        workspace=workspace,
        created_by=user,
        name="Weekly SEO piece",
        schedule_type="weekly",
        recurrence_pattern="weekly:tuesday,thursday",
        scheduled_at=local(zone, today + timedelta(days=1), 14, 30),
        timezone=zone,
        campaign=s.campaigns["seo"],
        template=s.templates["seo"],
    )
    s.schedules["once"] = schedule_create(
        workspace=workspace,
        created_by=user,
        name="Launch announcement",
        schedule_type="once",
        scheduled_at=local(zone, today + timedelta(days=3), 11),
        timezone=zone,
        campaign=s.campaigns["launch"],
        template=s.templates["brief"],
    )
    _past_runs(s, now, zone, today)
    if with_marketing:
        _marketing(s, now, user)
    return s


def _past_runs(s: Scenario, now, zone, today) -> None:
    """What the dispatcher would have left behind over the past days."""
    outcomes = ["succeeded", "succeeded", "failed", "succeeded", "succeeded", "missed"]
    rows = []
    for n, status in enumerate(outcomes, start=1):
        at = local(zone, today - timedelta(days=n), 9)
        rows.append(
            Job(
                workspace=s.workspace,
                campaign=s.campaigns["launch"],
                campaign_name=s.campaigns["launch"].name,
                scheduled_job=s.schedules["daily"],
                name="Morning digest",
                trigger=Job.Trigger.SCHEDULED,
                scheduled_for=at,
                status=status,
                finished_at=at + timedelta(minutes=2),
                cost_usd=Decimal("1.25") if status == "succeeded" else None,
                last_error="HTTP 502 from the webhook" if status == "failed" else "",
            )
        )
    Job.objects.bulk_create(rows)


def _marketing(s: Scenario, now, user) -> None:
    ws = s.workspace
    s.channels["x"] = marketing.channel_create(
        workspace=ws,
        platform="x",
        name="X @acme",
        posts_per_week=7,
        schedule_times=["10:00"],
        schedule_timezone=ws.timezone,
    )
    s.channels["linkedin"] = marketing.channel_create(
        workspace=ws,
        platform="linkedin",
        name="LinkedIn Acme",
        posts_per_week=3,
        schedule_times=["12:30"],
        schedule_timezone=ws.timezone,
    )
    s.channels["blog"] = marketing.channel_create(
        workspace=ws,
        platform="blog",
        name="Acme blog",
        posts_per_week=0,
        schedule_times=[],
        schedule_timezone=ws.timezone,
    )
    s.content["teaser"] = marketing.content_create(
        workspace=ws, title="Teaser: something new", campaign=s.campaigns["launch"]
    )
    s.content["guide"] = marketing.content_create(
        workspace=ws, title="How-to guide", campaign=s.campaigns["seo"]
    )
    s.content["launch"] = marketing.content_create(
        workspace=ws, title="Launch day post", campaign=s.campaigns["launch"]
    )
    marketing.topoff_slots(workspace=ws, days=28, now=now)
    zone = ZoneInfo(ws.timezone)
    today = now.astimezone(zone).date()
    marketing.post_create(
        workspace=ws,
        channel_id=s.channels["blog"].pk,
        scheduled_for=local(ws.timezone, today + timedelta(days=2), 16),
        content_item=s.content["guide"],
    )
    marketing.wave_create(
        workspace=ws,
        content_item_id=s.content["launch"].pk,
        type="staggered",
        start_at=local(ws.timezone, today + timedelta(days=5), 15),
        delay_seconds=1800,
        channel_ids=[s.channels["x"].pk, s.channels["linkedin"].pk, s.channels["blog"].pk],
        created_by=user,
    )

"""Demo channels, content and one wave of each type for `make run`. Safe to run again."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from marketing import services
from marketing.models import ChannelAccount, ContentItem, Post, Wave

DEMO_CHANNELS = [
    {
        "name": "Acme on X",
        "platform": "x",
        "handle": "@acme",
        "posts_per_week": 14,
        "schedule_times": ["09:00", "17:30"],
        "schedule_timezone": "America/New_York",
    },
    {
        "name": "Acme LinkedIn",
        "platform": "linkedin",
        "handle": "acme-inc",
        "posts_per_week": 3,
        "schedule_times": ["10:00"],
        "schedule_timezone": "America/New_York",
    },
    {
        "name": "Acme YouTube",
        "platform": "youtube",
        "handle": "@acmevideos",
        "posts_per_week": 2,
        "schedule_times": ["15:00"],
        "schedule_timezone": "Europe/London",
    },
    {
        "name": "Acme Instagram",
        "platform": "instagram",
        "handle": "@acme.gram",
        "posts_per_week": 5,
        "schedule_times": ["12:00", "19:00"],
        "schedule_timezone": "America/Los_Angeles",
    },
]
DEMO_CONTENT = [
    ("Spring launch teaser", "Something big is coming on Monday."),
    ("Product walkthrough video", "Five minutes, every feature."),
    ("Customer story: Northwind", "How Northwind cut onboarding time in half."),
    ("Behind the scenes", "Meet the team that built it."),
]


def seed(*, workspace, user) -> None:
    channels = []
    for spec in DEMO_CHANNELS:
        channel = ChannelAccount.objects.filter(workspace=workspace, name=spec["name"]).first()
        channels.append(channel or services.channel_create(workspace=workspace, **spec))
    content = []
    for title, body in DEMO_CONTENT:
        item = ContentItem.objects.filter(workspace=workspace, title=title).first()
        content.append(item or services.content_create(workspace=workspace, title=title, body=body))
    services.topoff_slots(workspace=workspace)
    if Wave.objects.filter(workspace=workspace, wave_id__startswith="demo-").exists():
        return
    tomorrow = (timezone.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    services.wave_create(
        workspace=workspace,
        content_item_id=content[0].pk,
        type="simultaneous",
        start_at=tomorrow.replace(hour=14),
        channel_ids=[c.pk for c in channels[:3]],
        wave_id="demo-simultaneous",
        created_by=user,
    )
    services.wave_create(
        workspace=workspace,
        content_item_id=content[1].pk,
        type="staggered",
        start_at=tomorrow.replace(hour=16) + timedelta(days=1),
        delay_seconds=3600,
        channel_ids=[channels[2].pk, channels[0].pk, channels[3].pk],
        wave_id="demo-staggered",
        created_by=user,
    )
    services.wave_create(
        workspace=workspace,
        content_item_id=content[2].pk,
        type="independent",
        channel_ids=[c.pk for c in channels],
        wave_id="demo-independent",
        created_by=user,
    )
    # One slot filled by hand, so the calendar shows every kind of post.
    slot = Post.objects.filter(
        workspace=workspace, status="planned", channel_account=channels[0]
    ).last()
    if slot is not None:
        services.post_fill(post=slot, content_item=content[3])

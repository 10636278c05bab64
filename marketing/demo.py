"""Demo channels, content and one wave of each type for `make run`. Safe to run again.

Rows are known by their demo keys (scheduler_site/demo.py), never by name."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from marketing import services
from marketing.models import ChannelAccount, ContentItem, Post, Wave
from scheduler_site.demo import attempt, ensure_demo_row

DEMO_CHANNELS = [
    {
        "key": "x",
        "name": "Acme on X",
        "platform": "x",
        "handle": "@acme",
        "posts_per_week": 14,
        "schedule_times": ["09:00", "17:30"],
        "schedule_timezone": "America/New_York",
    },
    {
        "key": "linkedin",
        "name": "Acme LinkedIn",
        "platform": "linkedin",
        "handle": "acme-inc",
        "posts_per_week": 3,
        "schedule_times": ["10:00"],
        "schedule_timezone": "America/New_York",
    },
    {
        "key": "youtube",
        "name": "Acme YouTube",
        "platform": "youtube",
        "handle": "@acmevideos",
        "posts_per_week": 2,
        "schedule_times": ["15:00"],
        "schedule_timezone": "Europe/London",
    },
    {
        "key": "instagram",
        "name": "Acme Instagram",
        "platform": "instagram",
        "handle": "@acme.gram",
        "posts_per_week": 5,
        "schedule_times": ["12:00", "19:00"],
        "schedule_timezone": "America/Los_Angeles",
    },
]
# (demo key, title, body)
DEMO_CONTENT = [
    ("teaser", "Spring launch teaser", "Something big is coming on Monday."),
    ("walkthrough", "Product walkthrough video", "Five minutes, every feature."),
    ("northwind", "Customer story: Northwind", "How Northwind cut onboarding time in half."),
    ("behind-the-scenes", "Behind the scenes", "Meet the team that built it."),
]


def seed(*, workspace, user) -> None:
    channels = {}
    for spec in DEMO_CHANNELS:
        fields = dict(spec)
        key = fields.pop("key")
        channels[key] = ensure_demo_row(
            ChannelAccount,
            workspace=workspace,
            key=f"channel:{key}",
            create=lambda pk, fields=fields: services.channel_create(
                id=pk, workspace=workspace, **fields
            ),
        )
    content = {}
    for key, title, body in DEMO_CONTENT:
        content[key] = ensure_demo_row(
            ContentItem,
            workspace=workspace,
            key=f"content:{key}",
            create=lambda pk, title=title, body=body: services.content_create(
                id=pk, workspace=workspace, title=title, body=body
            ),
        )
    attempt("top-off", lambda: services.topoff_slots(workspace=workspace))
    tomorrow = (timezone.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    _ensure_wave(
        workspace,
        user,
        key="simultaneous",
        content_item=content["teaser"],
        channels=[channels["x"], channels["linkedin"], channels["youtube"]],
        type="simultaneous",
        start_at=tomorrow.replace(hour=14),
    )
    _ensure_wave(
        workspace,
        user,
        key="staggered",
        content_item=content["walkthrough"],
        channels=[channels["youtube"], channels["x"], channels["instagram"]],
        type="staggered",
        start_at=tomorrow.replace(hour=16) + timedelta(days=1),
        delay_seconds=3600,
    )
    _ensure_wave(
        workspace,
        user,
        key="independent",
        content_item=content["northwind"],
        channels=list(channels.values()),
        type="independent",
    )
    # One slot filled by hand, so the calendar shows every kind of post.
    by_hand, channel = content["behind-the-scenes"], channels["x"]
    if by_hand is not None and channel is not None and not by_hand.posts.exists():
        slot = Post.objects.filter(
            workspace=workspace, status="planned", channel_account=channel
        ).last()
        if slot is not None:
            attempt("filled slot", lambda: services.post_fill(post=slot, content_item=by_hand))


def _ensure_wave(workspace, user, *, key: str, content_item, channels: list, **fields) -> None:
    """One demo wave, known by ``metadata["demo_key"]`` (waves take no primary key)."""
    if Wave.objects.filter(workspace=workspace, metadata__demo_key=key).exists():
        return
    if content_item is None or None in channels:
        return  # a row it needs was refused (logged)
    wave_id = f"demo-{key}"
    if Wave.objects.filter(workspace=workspace, wave_id=wave_id).exists():
        wave_id = ""  # the user's wave has that id: let ours get a generated one
    attempt(
        f"wave {key}",
        lambda: services.wave_create(
            workspace=workspace,
            content_item_id=content_item.pk,
            channel_ids=[c.pk for c in channels],
            wave_id=wave_id,
            metadata={"demo_key": key},
            created_by=user,
            **fields,
        ),
    )

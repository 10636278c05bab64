"""Reads shared by the API, the admin and the calendar pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet

from jobs.models import JobAttempt
from marketing.models import ChannelAccount, ContentItem, Post, Wave
from workspaces.models import Workspace

MAX_CALENDAR_DAYS = 92


def post_list() -> QuerySet[Post]:
    """Posts with everything a list or the calendar shows, in one query (plus the log)."""
    return Post.objects.select_related(
        "channel_account", "content_item", "wave", "job"
    ).prefetch_related(Prefetch("job__attempt_log", queryset=JobAttempt.objects.order_by("number")))


def calendar_posts(*, workspace: Workspace, start: datetime, end: datetime) -> QuerySet[Post]:
    """A workspace's posts in [start, end), by time: one query whatever the count."""
    return (
        Post.objects.filter(workspace=workspace, scheduled_for__gte=start, scheduled_for__lt=end)
        .select_related("channel_account", "content_item", "wave")
        .order_by("scheduled_for", "channel_account__name")
    )


def calendar_days(
    *, workspace: Workspace, start: datetime, end: datetime, zone: ZoneInfo
) -> dict[str, list[Post]]:
    """Local date (ISO, in ``zone``) -> that day's posts in [start, end), sorted by time.

    Every local day the range touches is a key, empty days included, so a
    calendar can draw the grid straight from the answer.
    """
    days: dict[str, list[Post]] = {}
    day = start.astimezone(zone).date()
    last_day = (end - timedelta(microseconds=1)).astimezone(zone).date()
    while day <= last_day:
        days[day.isoformat()] = []
        day += timedelta(days=1)
    for post in calendar_posts(workspace=workspace, start=start, end=end):
        days.setdefault(post.scheduled_for.astimezone(zone).date().isoformat(), []).append(post)
    return days


def channel_list() -> QuerySet[ChannelAccount]:
    return ChannelAccount.objects.select_related("workspace")


def content_list() -> QuerySet[ContentItem]:
    return ContentItem.objects.select_related("workspace", "campaign")


def wave_list() -> QuerySet[Wave]:
    return Wave.objects.select_related("workspace", "content_item").prefetch_related(
        Prefetch(
            "posts",
            queryset=Post.objects.select_related("channel_account", "content_item", "wave", "job")
            .prefetch_related(
                Prefetch("job__attempt_log", queryset=JobAttempt.objects.order_by("number"))
            )
            .order_by("scheduled_for"),
        )
    )

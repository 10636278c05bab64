"""Reads shared by the API, the admin and the calendar pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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


CALENDAR_FIELDS = (
    "id",
    "scheduled_for",
    "status",
    "is_paused",
    "executed_at",
    "error_message",
    "job_id",
    "channel_account_id",
    "channel_account__name",
    "channel_account__platform",
    "content_item_id",
    "content_item__title",
    "wave_id",
    "wave__wave_id",
    "wave__type",
)


def calendar_posts(*, workspace: Workspace, start: datetime, end: datetime) -> QuerySet[Post]:
    """A workspace's posts in [start, end), by time: one query whatever the count."""
    return (
        Post.objects.filter(workspace=workspace, scheduled_for__gte=start, scheduled_for__lt=end)
        .select_related("channel_account", "content_item", "wave")
        .order_by("scheduled_for", "channel_account__name")
    )


def calendar_days(
    *, workspace: Workspace, start: datetime, end: datetime, zone: ZoneInfo
) -> dict[str, list[dict]]:
    """Local date (ISO, in ``zone``) -> that day's posts in [start, end), sorted by time.

    Every local day the range touches is a key, empty days included, so a
    calendar can draw the grid straight from the answer. Rows are plain dicts
    from one joined query: a month of 5,000 posts must not build 20,000 model
    instances and run a serializer per field.
    """
    days: dict[str, list[dict]] = {}
    day = start.astimezone(zone).date()
    last_day = (end - timedelta(microseconds=1)).astimezone(zone).date()
    while day <= last_day:
        days[day.isoformat()] = []
        day += timedelta(days=1)
    rows = calendar_posts(workspace=workspace, start=start, end=end).values(*CALENDAR_FIELDS)
    for row in rows:
        local_day = row["scheduled_for"].astimezone(zone).date().isoformat()
        days.setdefault(local_day, []).append(calendar_entry(row))
    return days


def calendar_entry(row: dict) -> dict:
    """The calendar's shape of a post: the posts API's keys without the execution
    log, result and row timestamps (the detail endpoint has those); fewer
    columns keep a busy month fast."""
    return {
        "id": str(row["id"]),
        "channel": {
            "id": str(row["channel_account_id"]),
            "name": row["channel_account__name"],
            "platform": row["channel_account__platform"],
        },
        "content": (
            {"id": str(row["content_item_id"]), "title": row["content_item__title"]}
            if row["content_item_id"]
            else None
        ),
        "wave": (
            {"id": str(row["wave_id"]), "wave_id": row["wave__wave_id"], "type": row["wave__type"]}
            if row["wave_id"]
            else None
        ),
        "scheduled_for": _iso(row["scheduled_for"]),
        "status": row["status"],
        "is_paused": row["is_paused"],
        "executed_at": _iso(row["executed_at"]),
        "error_message": row["error_message"],
        "job_id": str(row["job_id"]) if row["job_id"] else None,
    }


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


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

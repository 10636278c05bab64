"""Reads shared by the API, the admin and the calendar pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import F, Func, Prefetch, QuerySet, TextField

from jobs.models import JobAttempt
from marketing.models import ChannelAccount, ContentItem, Post, Wave
from workspaces.models import Workspace

MAX_CALENDAR_DAYS = 92


def post_list() -> QuerySet[Post]:
    """Posts with everything a list or the calendar shows, in one query (plus the log)."""
    return Post.objects.select_related(
        "channel_account", "content_item", "wave", "job"
    ).prefetch_related(Prefetch("job__attempt_log", queryset=JobAttempt.objects.order_by("number")))


class UUIDText(Func):
    """A UUID column as its canonical text (``str(uuid)``), made by the database."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="CAST(%(expressions)s AS text)")

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores UUIDs on SQLite as 32 hex digits.
        template = (
            "substr(%(expressions)s, 1, 8) || '-' || substr(%(expressions)s, 9, 4) || '-' || "
            "substr(%(expressions)s, 13, 4) || '-' || substr(%(expressions)s, 17, 4) || '-' || "
            "substr(%(expressions)s, 21, 12)"
        )
        return super().as_sql(compiler, connection, template=template)


class UTCISOText(Func):
    """A datetime column as the API's text for it, made by the database: ISO 8601 in
    UTC with a Z, microseconds only when there are some (what ``_iso`` writes)."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra):
        template = (
            "to_char(%(expressions)s AT TIME ZONE 'UTC', "
            "CASE WHEN to_char(%(expressions)s, 'US') = '000000' "
            """THEN 'YYYY-MM-DD"T"HH24:MI:SS"Z"' ELSE 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"' END)"""
        )
        return super().as_sql(compiler, connection, template=template)

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores naive UTC as datetime.isoformat(" ") (no zero microseconds).
        template = "replace(%(expressions)s, ' ', 'T') || 'Z'"
        return super().as_sql(compiler, connection, template=template)


# The calendar's columns in calendar_entry's order, each already text where the
# API shows text. Why: a month of 5,000 posts spent most of its time in Python
# turning values into strings (Django reads timestamptz through a pure-Python
# loader; str(UUID) and isoformat per value); the database does it far faster.
CALENDAR_COLUMNS = (
    ("id", UUIDText(F("id"))),
    ("scheduled_for", UTCISOText(F("scheduled_for"))),
    ("status", None),
    ("is_paused", None),
    ("executed_at", UTCISOText(F("executed_at"))),
    ("error_message", None),
    ("job_id", UUIDText(F("job_id"))),
    ("channel_account_id", UUIDText(F("channel_account_id"))),
    ("channel_account__name", None),
    ("channel_account__platform", None),
    ("content_item_id", UUIDText(F("content_item_id"))),
    ("content_item__title", None),
    ("wave_id", UUIDText(F("wave_id"))),
    ("wave__wave_id", None),
    ("wave__type", None),
)


def calendar_rows(queryset: QuerySet[Post]) -> QuerySet:
    """``queryset`` as tuples of CALENDAR_COLUMNS (None: the field as it is)."""
    texts = {f"{name}_text": text for name, text in CALENDAR_COLUMNS if text is not None}
    return queryset.annotate(**texts).values_list(
        *(name if text is None else f"{name}_text" for name, text in CALENDAR_COLUMNS)
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
    calendar can draw the grid straight from the answer. Rows are tuples of
    ready-made values from one joined query: a month of 5,000 posts must not
    build 20,000 model instances and run a serializer per field.
    """
    days: dict[str, list[dict]] = {}
    day = start.astimezone(zone).date()
    last_day = (end - timedelta(microseconds=1)).astimezone(zone).date()
    while day <= last_day:
        days[day.isoformat()] = []
        day += timedelta(days=1)
    for row in calendar_rows(calendar_posts(workspace=workspace, start=start, end=end)):
        local_day = datetime.fromisoformat(row[1]).astimezone(zone).date().isoformat()
        days.setdefault(local_day, []).append(calendar_entry(row))
    return days


def calendar_entry(row: tuple) -> dict:
    """The calendar's shape of a post (a row in CALENDAR_COLUMNS order): the posts
    API's keys without the execution log, result and row timestamps (the detail
    endpoint has those); fewer columns keep a busy month fast."""
    (
        post_id,
        scheduled_for,
        status,
        is_paused,
        executed_at,
        error_message,
        job_id,
        channel_id,
        channel_name,
        platform,
        content_id,
        title,
        wave_pk,
        wave_id,
        wave_type,
    ) = row
    return {
        "id": post_id,
        "channel": {"id": channel_id, "name": channel_name, "platform": platform},
        "content": {"id": content_id, "title": title} if content_id else None,
        "wave": {"id": wave_pk, "wave_id": wave_id, "type": wave_type} if wave_pk else None,
        "scheduled_for": scheduled_for,
        "status": status,
        "is_paused": is_paused,
        "executed_at": executed_at,
        "error_message": error_message,
        "job_id": job_id,
    }


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

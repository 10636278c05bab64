"""Every write in the marketing app: channels, content, top-off, posts, waves, pauses.

Conflict rules live in ``marketing.conflicts`` and slot maths in
``marketing.topoff``; this module loads what they need, asks them, and writes
all-or-nothing. Publishing lives in ``marketing.publisher``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import psycopg
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from campaigns.services import refuse_archived_campaign_edit, refuse_archived_campaigns
from marketing import conflicts as rules
from marketing.models import ChannelAccount, ContentItem, Post, Wave
from marketing.topoff import cadence_slots
from workspaces.models import Workspace

logger = logging.getLogger(__name__)

MIN_TOPOFF_DAYS = 1
MAX_TOPOFF_DAYS = 90
DEFAULT_TOPOFF_DAYS = 28
# Rows per statement. The unnest path sends two arrays whatever the size; the
# VALUES path binds 9 parameters a row, and SQLite allows at most 32,766.
TOPOFF_INSERT_BATCH = 2000
TOPOFF_VALUES_BATCH = 1000
# How far ahead an independent wave looks for a free planned slot per channel.
INDEPENDENT_SLOT_CANDIDATES = 200


class ConflictError(Exception):
    """A change was refused; ``conflicts`` lists every reason."""

    def __init__(self, conflicts: list[rules.Conflict], summary: str):
        super().__init__(summary)
        self.conflicts = conflicts
        self.summary = summary

    def as_dict(self) -> dict:
        return {"detail": self.summary, "conflicts": [c.as_dict() for c in self.conflicts]}


class MissedPolicy:
    """What resume does with posts whose time passed while they were paused."""

    MISS = "miss"  # default: mark them missed, never publish late
    PUBLISH = "publish"  # publish them now, once
    CHOICES = (MISS, PUBLISH)


@dataclass
class ResumeResult:
    resumed: int
    missed: int = 0
    published_late: int = 0
    policy: str = MissedPolicy.MISS

    def as_dict(self) -> dict:
        return {
            "resumed": self.resumed,
            "missed": self.missed,
            "published_late": self.published_late,
            "missed_policy": self.policy,
        }


# --- Channels and content -------------------------------------------------------------


def channel_create(*, workspace: Workspace, **fields) -> ChannelAccount:
    channel = ChannelAccount(workspace=workspace, **fields)
    channel.full_clean()
    channel.save()
    return channel


def channel_update(*, channel: ChannelAccount, **fields) -> ChannelAccount:
    for name, value in fields.items():
        setattr(channel, name, value)
    channel.full_clean()
    channel.save()
    return channel


def channel_delete(*, channel: ChannelAccount) -> None:
    """Delete a channel with its posts; refused while one of them is being published."""
    if channel.posts.filter(status=Post.Status.PUBLISHING).exists():
        raise ValidationError(
            {"channel": "A post of this channel is being published; try again in a moment."}
        )
    channel.delete()


def content_create(*, workspace: Workspace, **fields) -> ContentItem:
    item = ContentItem(workspace=workspace, **fields)
    refuse_archived_campaigns(campaign_ids=[item.campaign_id])
    item.full_clean()
    item.save()
    return item


def content_update(*, content_item: ContentItem, **fields) -> ContentItem:
    """Edit content; neither the campaign it leaves nor the one it joins may be archived."""
    for name, value in fields.items():
        setattr(content_item, name, value)
    refuse_archived_campaign_edit(content_item)
    content_item.full_clean()
    content_item.save()
    return content_item


def content_delete(*, content_item: ContentItem) -> None:
    if content_item.posts.exists() or content_item.waves.exists():
        raise ValidationError(
            {"content_item": "This content is used by posts or waves; archive it instead."}
        )
    content_item.delete()


# --- Top-off --------------------------------------------------------------------------


@dataclass
class TopoffResult:
    accounts_processed: int
    instances_created: int
    instances_skipped: int
    window_start: datetime
    window_end: datetime

    @property
    def message(self) -> str:
        return (
            f"Created {self.instances_created} new slots, skipped {self.instances_skipped} existing"
        )

    def as_dict(self) -> dict:
        return {
            "accounts_processed": self.accounts_processed,
            "instances_created": self.instances_created,
            "instances_skipped": self.instances_skipped,
            "window_start": rules.iso(self.window_start),
            "window_end": rules.iso(self.window_end),
            "message": self.message,
        }


def validate_topoff_days(days) -> int:
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise ValidationError({"days": f"days must be a whole number, not {days!r}."}) from None
    if not MIN_TOPOFF_DAYS <= days <= MAX_TOPOFF_DAYS:
        raise ValidationError(
            {"days": f"days must be between {MIN_TOPOFF_DAYS} and {MAX_TOPOFF_DAYS}; got {days}."}
        )
    return days


def topoff_channels(workspace: Workspace) -> QuerySet[ChannelAccount]:
    return ChannelAccount.objects.filter(workspace=workspace, is_active=True, is_paused=False)


@transaction.atomic
def topoff_slots(
    *,
    workspace: Workspace,
    days: int = DEFAULT_TOPOFF_DAYS,
    now: datetime | None = None,
    channels: list[ChannelAccount] | None = None,
) -> TopoffResult:
    """Insert the missing planned slots of the workspace's active, unpaused channels.

    Insert-if-absent against the unique (workspace, channel, instant)
    constraint: an existing post at a slot's instant (empty or not, whatever
    its status) is left exactly as it is and counted as skipped, so a second
    run creates nothing and two concurrent runs create each slot once.
    """
    days = validate_topoff_days(days)
    window_start = now or timezone.now()
    window_end = window_start + timedelta(days=days)
    if channels is None:
        channels = list(topoff_channels(workspace).order_by("pk"))
    groups = planned_slot_groups(channels, window_start=window_start, window_end=window_end)
    wanted = sum(len(group.channel_ids) * len(group.instants) for group in groups)
    if connection.vendor == "postgresql":
        created = insert_planned_slots_unnest(workspace_id=workspace.pk, groups=groups)
    else:
        created = insert_planned_slots_values(
            workspace_id=workspace.pk,
            rows=_missing_rows(workspace, groups, window_start=window_start, window_end=window_end),
        )
    return TopoffResult(
        accounts_processed=len(channels),
        instances_created=created,
        instances_skipped=wanted - created,
        window_start=window_start,
        window_end=window_end,
    )


@dataclass(frozen=True)
class SlotGroup:
    """Channels sharing one cadence, and the slot instants (UTC, ascending) it asks for."""

    channel_ids: list[uuid.UUID]
    instants: list[datetime]


def planned_slot_groups(
    channels: list[ChannelAccount], *, window_start: datetime, window_end: datetime
) -> list[SlotGroup]:
    """The channels grouped by cadence, in a fixed order (cadence, then channel pk).

    A cadence's slots depend only on (posts_per_week, schedule_times, zone)
    and the window, so they are worked out once per cadence rather than once
    per channel: workspaces have many channels and few cadences. The fixed
    order makes concurrent runs take row locks in the same order.
    """
    by_cadence: dict[tuple, list[uuid.UUID]] = {}
    for channel in channels:
        key = (
            channel.posts_per_week,
            tuple(channel.schedule_times or ()),
            channel.schedule_timezone,
        )
        by_cadence.setdefault(key, []).append(channel.pk)
    groups = []
    for (posts_per_week, times, zone), channel_ids in sorted(by_cadence.items()):
        instants = cadence_slots(
            posts_per_week=posts_per_week,
            schedule_times=times,
            timezone=zone,
            window_start=window_start,
            window_end=window_end,
        )
        if instants:
            groups.append(SlotGroup(channel_ids=sorted(channel_ids), instants=instants))
    return groups


def _missing_rows(
    workspace: Workspace, groups: list[SlotGroup], *, window_start: datetime, window_end: datetime
) -> list[tuple[uuid.UUID, datetime]]:
    """The groups' (channel, instant) rows not in the database yet, in the groups' order.

    One indexed read, so a re-run on the portable path costs a SELECT rather
    than a conflicting INSERT per row; ON CONFLICT still guards the race with
    a concurrent run.
    """
    existing = set(
        Post.objects.filter(
            workspace=workspace, scheduled_for__gte=window_start, scheduled_for__lt=window_end
        )
        .order_by()
        .values_list("channel_account_id", "scheduled_for")
    )
    return [
        (channel_id, instant)
        for group in groups
        for channel_id in group.channel_ids
        for instant in group.instants
        if (channel_id, instant) not in existing
    ]


_SLOT_COLUMNS = (
    "id, workspace_id, channel_account_id, scheduled_for, status, is_paused, "
    "error_message, created_at, updated_at"
)
_ON_SLOT_CONFLICT = "ON CONFLICT (workspace_id, channel_account_id, scheduled_for) DO NOTHING"
# PostgreSQL expands channels x instants itself: a statement carries one array
# of channel ids and one of instants instead of a row of parameters per slot,
# and the server generates the ids (gen_random_uuid() is a version-4 UUID,
# like the model's default). ORDER BY the ordinals keeps the lock order fixed.
_UNNEST_INSERT = (
    f"INSERT INTO {Post._meta.db_table} ({_SLOT_COLUMNS}) "  # noqa: S608  fixed names
    "SELECT gen_random_uuid(), %b, c.id, s.at, %b, false, '', %b, %b "
    "FROM unnest(%b::uuid[]) WITH ORDINALITY AS c(id, n) "
    "CROSS JOIN unnest(%b::timestamptz[]) WITH ORDINALITY AS s(at, m) "
    f"ORDER BY c.n, s.m {_ON_SLOT_CONFLICT}"
)


def insert_planned_slots_unnest(*, workspace_id: uuid.UUID, groups: list[SlotGroup]) -> int:
    """PostgreSQL: insert the groups' slots if absent, about TOPOFF_INSERT_BATCH rows a
    statement; returns the rows inserted (ON CONFLICT DO NOTHING's row count).

    A re-run needs no pre-read: a conflicting row costs one index probe and
    no write. Runs on a server-side-binding psycopg cursor over Django's own
    connection (so inside the caller's transaction): Django's default cursor
    inlines parameters client-side, which would turn the arrays back into
    long literals, and %b sends them binary.
    """
    stamp = timezone.now()
    created = 0
    with psycopg.Cursor(_psycopg_connection()) as cursor:
        for group in groups:
            per_statement = max(1, TOPOFF_INSERT_BATCH // len(group.instants))
            for offset in range(0, len(group.channel_ids), per_statement):
                cursor.execute(
                    _UNNEST_INSERT,
                    (
                        workspace_id,
                        Post.Status.PLANNED.value,
                        stamp,
                        stamp,
                        group.channel_ids[offset : offset + per_statement],
                        group.instants,
                    ),
                )
                created += cursor.rowcount
    return created


def _psycopg_connection():
    connection.ensure_connection()
    return connection.connection


def insert_planned_slots_values(*, workspace_id, rows: list[tuple[uuid.UUID, datetime]]) -> int:
    """Portable path (SQLite 3.35+ and PostgreSQL): multi-row INSERT ... ON CONFLICT
    DO NOTHING RETURNING, in batches; returns rows inserted.

    Django's bulk_create(ignore_conflicts=True) cannot say how many rows it
    inserted, and the seed's response reports it exactly, also under
    concurrency. Rows must come in a fixed order so concurrent runs lock in
    the same order.
    """
    if not rows:
        return 0
    ops = connection.ops
    is_postgres = connection.vendor == "postgresql"

    def db_uuid(value: uuid.UUID):
        return value if is_postgres else value.hex

    now = ops.adapt_datetimefield_value(timezone.now())
    workspace_value = db_uuid(
        workspace_id if isinstance(workspace_id, uuid.UUID) else uuid.UUID(str(workspace_id))
    )
    batch_size = TOPOFF_VALUES_BATCH
    created = 0
    with connection.cursor() as cursor:
        for offset in range(0, len(rows), batch_size):
            batch = rows[offset : offset + batch_size]
            params: list = []
            for channel_id, instant in batch:
                params.extend(
                    (
                        db_uuid(uuid.uuid4()),
                        workspace_value,
                        db_uuid(channel_id),
                        ops.adapt_datetimefield_value(instant),
                        Post.Status.PLANNED.value,
                        False,
                        "",
                        now,
                        now,
                    )
                )
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(batch))
            cursor.execute(
                f"INSERT INTO {Post._meta.db_table} ({_SLOT_COLUMNS}) VALUES {values} "  # noqa: S608
                f"{_ON_SLOT_CONFLICT} RETURNING id",
                params,
            )
            created += len(cursor.fetchall())
    return created


def topoff_all_workspaces(*, days: int = DEFAULT_TOPOFF_DAYS) -> list[TopoffResult]:
    """The daily run: every workspace with an active channel, one transaction each.

    A workspace that fails is logged and does not stop the others.
    """
    results = []
    workspace_ids = (
        ChannelAccount.objects.filter(is_active=True, is_paused=False)
        .values_list("workspace_id", flat=True)
        .distinct()
    )
    for workspace in Workspace.objects.filter(pk__in=workspace_ids).order_by("pk"):
        try:
            results.append(topoff_slots(workspace=workspace, days=days))
        except Exception:
            logger.exception("top-off failed for workspace %s", workspace.pk)
    return results


# --- Conflict checking ----------------------------------------------------------------


def _channel_info(channel: ChannelAccount) -> rules.ChannelInfo:
    return rules.ChannelInfo(
        id=str(channel.pk),
        name=channel.name,
        is_active=channel.is_active,
        min_gap_minutes=channel.min_gap_minutes,
    )


def _existing_posts(
    *,
    workspace: Workspace,
    channel_ids: list,
    times: list[datetime],
    content_item: ContentItem | None,
    max_gap_minutes: int,
) -> list[rules.ExistingPost]:
    """Posts on those channels that could clash: near the times or with the same content."""
    if not channel_ids:
        return []
    nearby = Q()
    if times:
        gap = timedelta(minutes=max_gap_minutes)
        nearby = Q(scheduled_for__gte=min(times) - gap, scheduled_for__lte=max(times) + gap)
    clash = nearby
    if content_item is not None:
        clash = clash | Q(content_item=content_item) if times else Q(content_item=content_item)
    if not times and content_item is None:
        return []
    posts = Post.objects.filter(workspace=workspace, channel_account_id__in=channel_ids).filter(
        clash
    )
    return [
        rules.ExistingPost(
            id=str(post.pk),
            channel_id=str(post.channel_account_id),
            scheduled_for=post.scheduled_for,
            status=post.status,
            content_id=str(post.content_item_id) if post.content_item_id else None,
        )
        for post in posts.only(
            "pk", "channel_account_id", "scheduled_for", "status", "content_item_id"
        )
    ]


def find_conflicts(
    *,
    workspace: Workspace,
    placements: list[rules.Placement],
    content_item: ContentItem | None,
    channels: dict[str, ChannelAccount],
    content_found: bool = True,
    now: datetime | None = None,
) -> list[rules.Conflict]:
    now = now or timezone.now()
    times = [p.scheduled_for for p in placements if p.scheduled_for is not None]
    existing = _existing_posts(
        workspace=workspace,
        channel_ids=list(channels),
        times=times,
        content_item=content_item,
        max_gap_minutes=max((c.min_gap_minutes for c in channels.values()), default=0),
    )
    return rules.find_conflicts(
        placements=placements,
        channels={key: _channel_info(channel) for key, channel in channels.items()},
        existing=existing,
        content_id=str(content_item.pk) if content_item else None,
        content_title=content_item.title if content_item else "",
        content_found=content_found,
        now=now,
    )


def _lock_channels(workspace: Workspace, channel_ids) -> dict[str, ChannelAccount]:
    """The workspace's channels among the ids, row-locked in id order.

    Holding the channel rows serialises every change that places posts on the
    same channel, so two concurrent checks cannot both pass a min-gap rule.
    """
    valid = []
    for value in channel_ids:
        try:
            valid.append(uuid.UUID(str(value)))
        except (TypeError, ValueError):
            continue
    queryset = ChannelAccount.objects.filter(workspace=workspace, pk__in=valid).order_by("pk")
    if transaction.get_connection().in_atomic_block:
        queryset = queryset.select_for_update()
    return {str(channel.pk): channel for channel in queryset}


def _refuse_if_conflicts(conflicts: list[rules.Conflict], what: str) -> None:
    if conflicts:
        noun = "conflict" if len(conflicts) == 1 else "conflicts"
        raise ConflictError(conflicts, f"{what} was refused: {len(conflicts)} {noun}.")


# --- Posts ----------------------------------------------------------------------------


def _save_post(post: Post, fields: list[str]) -> Post:
    post.full_clean(validate_unique=False, validate_constraints=False)
    post.save(update_fields=[*fields, "updated_at"])
    return post


@transaction.atomic
def post_create(
    *,
    workspace: Workspace,
    channel_id,
    scheduled_for: datetime,
    content_item: ContentItem | None = None,
    now: datetime | None = None,
) -> Post:
    """A single post: scheduled with content, or an empty planned slot without."""
    channels = _lock_channels(workspace, [channel_id])
    placement = rules.Placement(channel_id=str(channel_id), scheduled_for=scheduled_for)
    conflicts = find_conflicts(
        workspace=workspace,
        placements=[placement],
        content_item=content_item,
        channels=channels,
        now=now,
    )
    _refuse_if_conflicts(conflicts, "The post")
    channel = channels[str(channel_id)]
    slot = _empty_slot_at(workspace, channel, scheduled_for)
    if slot is not None and content_item is not None:
        return _fill(slot, content_item, wave=None)
    if slot is not None:
        return slot
    post = Post(
        workspace=workspace,
        channel_account=channel,
        scheduled_for=scheduled_for,
        content_item=content_item,
        status=Post.Status.SCHEDULED if content_item else Post.Status.PLANNED,
    )
    post.full_clean(validate_constraints=False)
    post.save()
    return post


def _empty_slot_at(workspace, channel, instant) -> Post | None:
    return (
        Post.objects.select_for_update()
        .filter(
            workspace=workspace,
            channel_account=channel,
            scheduled_for=instant,
            content_item__isnull=True,
            status__in=Post.OPEN,
        )
        .first()
    )


def _fill(post: Post, content_item: ContentItem, *, wave: Wave | None) -> Post:
    post.content_item = content_item
    post.wave = wave
    post.status = Post.Status.SCHEDULED
    post.error_message = ""
    return _save_post(post, ["content_item", "wave", "status", "error_message"])


def _require_status(post: Post, allowed, action: str) -> None:
    if post.status not in allowed:
        raise ValidationError({"status": f"Cannot {action} a post that is {post.status}."})


@transaction.atomic
def post_fill(*, post: Post, content_item: ContentItem, now: datetime | None = None) -> Post:
    """Put content into a planned slot; it becomes scheduled."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    _require_status(post, Post.OPEN, "fill")
    if post.content_item_id is not None:
        raise ValidationError({"content_item_id": "This slot already has content; clear it first."})
    channels = _lock_channels(post.workspace, [post.channel_account_id])
    conflicts = find_conflicts(
        workspace=post.workspace,
        placements=[
            rules.Placement(
                channel_id=str(post.channel_account_id),
                scheduled_for=post.scheduled_for,
                post_id=str(post.pk),
            )
        ],
        content_item=content_item,
        channels=channels,
        now=now,
    )
    _refuse_if_conflicts(conflicts, "Filling the slot")
    return _fill(post, content_item, wave=None)


@transaction.atomic
def post_clear(*, post: Post) -> Post:
    """Take the content out of a post that has not started publishing: back to planned."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    _require_status(post, (Post.Status.PLANNED, Post.Status.DRAFT, Post.Status.SCHEDULED), "clear")
    post.content_item = None
    post.wave = None
    post.status = Post.Status.PLANNED
    return _save_post(post, ["content_item", "wave", "status"])


@transaction.atomic
def post_reschedule(*, post: Post, scheduled_for: datetime, now: datetime | None = None) -> Post:
    post = Post.objects.select_for_update().get(pk=post.pk)
    _require_status(
        post, (Post.Status.PLANNED, Post.Status.DRAFT, Post.Status.SCHEDULED), "reschedule"
    )
    channels = _lock_channels(post.workspace, [post.channel_account_id])
    conflicts = find_conflicts(
        workspace=post.workspace,
        placements=[
            rules.Placement(
                channel_id=str(post.channel_account_id),
                scheduled_for=scheduled_for,
                post_id=str(post.pk),
            )
        ],
        content_item=post.content_item,
        channels=channels,
        now=now,
    )
    # An empty slot already at the new instant would collide on the unique
    # constraint; the moved post takes its place.
    blocking = _empty_slot_at(post.workspace, post.channel_account, scheduled_for)
    if blocking is not None and blocking.pk != post.pk and post.content_item_id is None:
        conflicts.append(
            rules.Conflict(
                code="slot_taken",
                message=f"There is already a planned slot at {rules.iso(scheduled_for)}.",
                channel_id=str(post.channel_account_id),
                channel_name=post.channel_account.name,
                scheduled_for=scheduled_for,
                other_post_id=str(blocking.pk),
            )
        )
    _refuse_if_conflicts(conflicts, "The new time")
    if blocking is not None and blocking.pk != post.pk:
        blocking.delete()
    post.scheduled_for = scheduled_for
    return _save_post(post, ["scheduled_for"])


CANCELLABLE = (
    Post.Status.PLANNED,
    Post.Status.DRAFT,
    Post.Status.SCHEDULED,
    Post.Status.FAILED,
    Post.Status.MISSED,
)


@transaction.atomic
def post_cancel(*, post: Post) -> Post:
    """Cancel a post not yet published (failed or missed ones too, to free the content).

    A post already handed to a Job that no worker has started yet is cancelled
    too, with its Job; once a worker runs it, it is too late.
    """
    post = Post.objects.select_for_update().get(pk=post.pk)
    _require_status(post, (*CANCELLABLE, Post.Status.PUBLISHING), "cancel")
    if post.status == Post.Status.PUBLISHING:
        _withdraw_publication(post, action="cancel", reason="its post was cancelled")
    post.status = Post.Status.CANCELLED
    return _save_post(post, ["status"])


@transaction.atomic
def post_pause(*, post: Post) -> Post:
    """Hold a post. One already handed to a Job no worker has started goes back
    to scheduled (its Job cancelled), so resume applies the missed policy."""
    post = Post.objects.select_for_update().get(pk=post.pk)
    _require_status(post, (*Post.OPEN, Post.Status.SCHEDULED, Post.Status.PUBLISHING), "pause")
    fields = ["is_paused"]
    if post.status == Post.Status.PUBLISHING:
        _withdraw_publication(post, action="pause", reason="its post was paused")
        post.status = Post.Status.SCHEDULED
        fields.append("status")
    post.is_paused = True
    return _save_post(post, fields)


def _withdraw_publication(post: Post, *, action: str, reason: str) -> None:
    """Cancel the not-yet-started Job of a publishing post (caller holds the post's lock).

    The Job's conditional cancel races the worker's conditional claim: exactly
    one wins. If the worker won, the post is being published and stays so.
    """
    from jobs.services import job_cancel

    if post.job_id is not None:
        try:
            job_cancel(job=post.job, reason=f"Cancelled: {reason} before it was published.")
        except ValidationError:
            raise ValidationError(
                {"status": f"Cannot {action} a post that a worker is already publishing."}
            ) from None


@transaction.atomic
def post_resume(*, post: Post, missed_policy: str = MissedPolicy.MISS, now=None) -> ResumeResult:
    post = Post.objects.select_for_update().get(pk=post.pk)
    if not post.is_paused:
        raise ValidationError({"is_paused": "This post is not paused."})
    Post.objects.filter(pk=post.pk).update(is_paused=False, updated_at=timezone.now())
    return _settle_overdue(
        Post.objects.filter(pk=post.pk), resumed=1, missed_policy=missed_policy, now=now
    )


# --- Waves ----------------------------------------------------------------------------


@dataclass
class WavePlan:
    """What creating (or editing) a wave would do: one placement per channel."""

    placements: list[rules.Placement]
    slots: dict[str, Post | None] = field(default_factory=dict)  # channel id -> slot to fill
    conflicts: list[rules.Conflict] = field(default_factory=list)


def _validate_wave_shape(*, type: str, start_at, delay_seconds: int, channel_ids: list) -> None:
    errors: dict[str, str] = {}
    if type not in Wave.Type.values:
        errors["type"] = f"type must be one of {', '.join(Wave.Type.values)}; got {type!r}."
    elif type in (Wave.Type.SIMULTANEOUS, Wave.Type.STAGGERED) and start_at is None:
        errors["start_at"] = f"start_at is required for a {type} wave."
    if type == Wave.Type.STAGGERED and not delay_seconds:
        errors["delay_seconds"] = "A staggered wave needs delay_seconds greater than 0."
    if type in (Wave.Type.SIMULTANEOUS, Wave.Type.INDEPENDENT) and delay_seconds:
        errors["delay_seconds"] = f"delay_seconds only applies to staggered waves, not {type}."
    if not channel_ids:
        errors["channel_ids"] = "Give at least one channel."
    elif len({str(c) for c in channel_ids}) != len(channel_ids):
        errors["channel_ids"] = "A channel is listed more than once."
    if errors:
        raise ValidationError(errors)


def _wave_times(*, type: str, start_at, delay_seconds: int, count: int) -> list[datetime | None]:
    if type == Wave.Type.SIMULTANEOUS:
        return [start_at] * count
    if type == Wave.Type.STAGGERED:
        return [start_at + timedelta(seconds=delay_seconds * index) for index in range(count)]
    return [None] * count


def _plan_wave(
    *,
    workspace: Workspace,
    content_item: ContentItem | None,
    content_found: bool,
    type: str,
    start_at,
    delay_seconds: int,
    channel_ids: list,
    moving: dict[str, Post] | None = None,
    now: datetime,
) -> WavePlan:
    channels = _lock_channels(workspace, channel_ids)
    channel_keys = [str(c) for c in channel_ids]
    moving = moving or {}
    if type == Wave.Type.INDEPENDENT:
        return _plan_independent(
            workspace=workspace,
            content_item=content_item,
            content_found=content_found,
            channels=channels,
            channel_keys=channel_keys,
            not_before=max(start_at or now, now),
            now=now,
        )
    times = _wave_times(
        type=type, start_at=start_at, delay_seconds=delay_seconds, count=len(channel_keys)
    )
    placements = [
        rules.Placement(
            channel_id=key,
            scheduled_for=when,
            post_id=str(moving[key].pk) if key in moving else None,
        )
        for key, when in zip(channel_keys, times, strict=True)
    ]
    conflicts = find_conflicts(
        workspace=workspace,
        placements=placements,
        content_item=content_item,
        channels=channels,
        content_found=content_found,
        now=now,
    )
    plan = WavePlan(placements=placements, conflicts=conflicts)
    if not conflicts:
        for placement in placements:
            if placement.post_id is None:
                plan.slots[placement.channel_id] = _empty_slot_at(
                    workspace, channels[placement.channel_id], placement.scheduled_for
                )
    return plan


def _plan_independent(
    *, workspace, content_item, content_found, channels, channel_keys, not_before, now
) -> WavePlan:
    """Each channel's earliest free planned slot that breaks no rule."""
    plan = WavePlan(placements=[])
    if not content_found:
        plan.conflicts.append(
            rules.Conflict(
                code="content_missing", message="Content item not found in this workspace."
            )
        )
    for key in channel_keys:
        channel = channels.get(key)
        candidates = []
        if channel is not None:
            candidates = list(
                Post.objects.filter(
                    workspace=workspace,
                    channel_account=channel,
                    content_item__isnull=True,
                    status=Post.Status.PLANNED,
                    is_paused=False,
                    scheduled_for__gt=not_before,
                ).order_by("scheduled_for")[:INDEPENDENT_SLOT_CANDIDATES]
            )
        chosen, found = None, None
        for slot in candidates:
            placement = rules.Placement(
                channel_id=key, scheduled_for=slot.scheduled_for, post_id=str(slot.pk)
            )
            found = find_conflicts(
                workspace=workspace,
                placements=[placement],
                content_item=content_item,
                channels={key: channel},
                now=now,
            )
            if not found:
                chosen = (placement, slot)
                break
            if any(c.code in ("duplicate_content", "channel_inactive") for c in found):
                break  # no other slot on this channel can fix that
        if chosen is not None:
            plan.placements.append(chosen[0])
            plan.slots[key] = chosen[1]
            continue
        blocking = [c for c in (found or []) if c.code != "too_close"]
        if blocking:
            plan.conflicts.extend(blocking)
            continue
        # No candidate at all, or every one too close to other posts.
        plan.conflicts.extend(
            rules.find_conflicts(
                placements=[rules.Placement(channel_id=key, scheduled_for=None)],
                channels={key: _channel_info(channel)} if channel else {},
                existing=[],
                content_id=None,
                now=now,
            )
        )
    return plan


@dataclass
class WavePreview:
    conflicts: list[rules.Conflict]
    placements: list[rules.Placement]


@transaction.atomic
def wave_create(
    *,
    workspace: Workspace,
    content_item_id,
    type: str,
    channel_ids: list,
    start_at: datetime | None = None,
    delay_seconds: int = 0,
    wave_id: str = "",
    metadata: dict | None = None,
    created_by=None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> Wave | WavePreview:
    """Create a wave and all its posts, or nothing: any conflict refuses it whole.

    With dry_run, nothing is written and the preview lists the would-be posts
    and every conflict.
    """
    now = now or timezone.now()
    delay_seconds = delay_seconds or 0
    _validate_wave_shape(
        type=type, start_at=start_at, delay_seconds=delay_seconds, channel_ids=channel_ids
    )
    content_item = _content_in(workspace, content_item_id)
    plan = _plan_wave(
        workspace=workspace,
        content_item=content_item,
        content_found=content_item is not None,
        type=type,
        start_at=start_at,
        delay_seconds=delay_seconds,
        channel_ids=channel_ids,
        now=now,
    )
    if dry_run:
        fills = {key: slot for key, slot in plan.slots.items() if slot is not None}
        placements = [
            rules.Placement(p.channel_id, p.scheduled_for, str(fills[p.channel_id].pk))
            if p.channel_id in fills
            else p
            for p in plan.placements
        ]
        return WavePreview(conflicts=plan.conflicts, placements=placements)
    _refuse_if_conflicts(plan.conflicts, "The wave")
    wave = Wave(
        workspace=workspace,
        content_item=content_item,
        type=type,
        start_at=start_at,
        delay_seconds=delay_seconds,
        channel_order=[str(c) for c in channel_ids],
        metadata=metadata or {},
        created_by=created_by,
    )
    if wave_id:
        wave.wave_id = wave_id
    wave.full_clean()
    wave.save()
    _write_wave_posts(wave, plan)
    return wave


def _content_in(workspace: Workspace, content_item_id) -> ContentItem | None:
    try:
        return ContentItem.objects.get(workspace=workspace, pk=uuid.UUID(str(content_item_id)))
    except (ValueError, TypeError, ContentItem.DoesNotExist):
        return None


def _write_wave_posts(wave: Wave, plan: WavePlan) -> None:
    channels = {
        str(c.pk): c
        for c in ChannelAccount.objects.filter(pk__in=[p.channel_id for p in plan.placements])
    }
    for placement in plan.placements:
        slot = plan.slots.get(placement.channel_id)
        if slot is not None:
            _fill(slot, wave.content_item, wave=wave)
            continue
        post = Post(
            workspace=wave.workspace,
            channel_account=channels[placement.channel_id],
            content_item=wave.content_item,
            wave=wave,
            scheduled_for=placement.scheduled_for,
            status=Post.Status.SCHEDULED,
        )
        post.full_clean(validate_constraints=False)
        post.save()


@transaction.atomic
def wave_update(
    *, wave: Wave, start_at: datetime | None = None, delay_seconds: int | None = None, now=None
) -> Wave:
    """Move a simultaneous or staggered wave's posts; checked like a new wave."""
    now = now or timezone.now()
    wave = Wave.objects.select_for_update().get(pk=wave.pk)
    if wave.status not in (Wave.Status.SCHEDULED, Wave.Status.PAUSED):
        raise ValidationError({"status": f"A {wave.status} wave cannot be edited."})
    if wave.type == Wave.Type.INDEPENDENT:
        raise ValidationError(
            {
                "type": "An independent wave follows each channel's slots; "
                "reschedule its posts instead."
            }
        )
    posts = {str(p.channel_account_id): p for p in wave.posts.select_for_update()}
    if any(p.status not in (Post.Status.SCHEDULED, Post.Status.DRAFT) for p in posts.values()):
        raise ValidationError(
            {"status": "Some of this wave's posts have already been published or cancelled."}
        )
    start_at = start_at if start_at is not None else wave.start_at
    delay_seconds = delay_seconds if delay_seconds is not None else wave.delay_seconds
    _validate_wave_shape(
        type=wave.type,
        start_at=start_at,
        delay_seconds=delay_seconds,
        channel_ids=wave.channel_order,
    )
    channel_ids = [key for key in wave.channel_order if key in posts]
    plan = _plan_wave(
        workspace=wave.workspace,
        content_item=wave.content_item,
        content_found=True,
        type=wave.type,
        start_at=start_at,
        delay_seconds=delay_seconds,
        channel_ids=channel_ids,
        moving=posts,
        now=now,
    )
    # An empty planned slot sitting at a new instant gives way to the wave.
    blocking = Post.objects.filter(
        workspace=wave.workspace,
        content_item__isnull=True,
        status__in=Post.OPEN,
    ).filter(
        _any_of(
            Q(channel_account_id=p.channel_id, scheduled_for=p.scheduled_for)
            for p in plan.placements
        )
    )
    _refuse_if_conflicts(plan.conflicts, "The wave change")
    blocking.delete()
    # Two passes so swapping instants between posts never trips the unique constraint.
    for placement in plan.placements:
        Post.objects.filter(pk=placement.post_id).update(
            scheduled_for=placement.scheduled_for + timedelta(days=36500)
        )
    for placement in plan.placements:
        Post.objects.filter(pk=placement.post_id).update(
            scheduled_for=placement.scheduled_for, updated_at=timezone.now()
        )
    wave.start_at = start_at
    wave.delay_seconds = delay_seconds
    wave.full_clean()
    wave.save(update_fields=["start_at", "delay_seconds", "updated_at"])
    return wave


def _any_of(conditions) -> Q:
    combined = Q(pk__in=[])
    for condition in conditions:
        combined |= condition
    return combined


@transaction.atomic
def wave_cancel(*, wave: Wave) -> int:
    """Cancel the wave and every post of it that has not been published; returns how many."""
    wave = Wave.objects.select_for_update().get(pk=wave.pk)
    if wave.status in (Wave.Status.CANCELLED, Wave.Status.COMPLETED):
        raise ValidationError({"status": f"This wave is already {wave.status}."})
    count = wave.posts.filter(status__in=[Post.Status.DRAFT, Post.Status.SCHEDULED]).update(
        status=Post.Status.CANCELLED, updated_at=timezone.now()
    )
    # Posts handed to a Job no worker has started are withdrawn too; one a
    # worker is already publishing is left to finish (and reported as such).
    for post in wave.posts.select_for_update().filter(status=Post.Status.PUBLISHING):
        try:
            _withdraw_publication(post, action="cancel", reason="its wave was cancelled")
        except ValidationError:
            continue
        post.status = Post.Status.CANCELLED
        _save_post(post, ["status"])
        count += 1
    wave.status = Wave.Status.CANCELLED
    wave.save(update_fields=["status", "updated_at"])
    return count


@transaction.atomic
def wave_pause(*, wave: Wave) -> Wave:
    wave = Wave.objects.select_for_update().get(pk=wave.pk)
    if wave.status != Wave.Status.SCHEDULED:
        raise ValidationError(
            {"status": f"Only a scheduled wave can be paused; this one is {wave.status}."}
        )
    wave.status = Wave.Status.PAUSED
    wave.save(update_fields=["status", "updated_at"])
    return wave


@transaction.atomic
def wave_resume(*, wave: Wave, missed_policy: str = MissedPolicy.MISS, now=None) -> ResumeResult:
    wave = Wave.objects.select_for_update().get(pk=wave.pk)
    if wave.status != Wave.Status.PAUSED:
        raise ValidationError({"status": "This wave is not paused."})
    wave.status = Wave.Status.SCHEDULED
    wave.save(update_fields=["status", "updated_at"])
    return _settle_overdue(wave.posts.all(), resumed=1, missed_policy=missed_policy, now=now)


def wave_refresh_status(*, wave_id) -> None:
    """A wave whose posts are all final is completed (called as posts finish)."""
    open_posts = Post.objects.filter(wave_id=wave_id).exclude(status__in=Post.FINAL)
    if not open_posts.exists():
        Wave.objects.filter(pk=wave_id, status__in=[Wave.Status.SCHEDULED]).update(
            status=Wave.Status.COMPLETED, updated_at=timezone.now()
        )


# --- Channel and workspace pauses -----------------------------------------------------


@transaction.atomic
def channel_pause(*, channel: ChannelAccount) -> ChannelAccount:
    """Hold every future post of the channel (and its top-off) until resumed."""
    ChannelAccount.objects.filter(pk=channel.pk).update(is_paused=True, updated_at=timezone.now())
    channel.is_paused = True
    return channel


@transaction.atomic
def channel_resume(
    *, channel: ChannelAccount, missed_policy: str = MissedPolicy.MISS, now=None
) -> ResumeResult:
    if not ChannelAccount.objects.filter(pk=channel.pk, is_paused=True).update(
        is_paused=False, updated_at=timezone.now()
    ):
        raise ValidationError({"is_paused": "This channel is not paused."})
    channel.is_paused = False
    return _settle_overdue(channel.posts.all(), resumed=1, missed_policy=missed_policy, now=now)


@transaction.atomic
def workspace_publishing_pause(*, workspace: Workspace) -> Workspace:
    Workspace.objects.filter(pk=workspace.pk).update(publishing_paused=True)
    workspace.publishing_paused = True
    return workspace


@transaction.atomic
def workspace_publishing_resume(
    *, workspace: Workspace, missed_policy: str = MissedPolicy.MISS, now=None
) -> ResumeResult:
    if not Workspace.objects.filter(pk=workspace.pk, publishing_paused=True).update(
        publishing_paused=False
    ):
        raise ValidationError({"publishing_paused": "Publishing is not paused in this workspace."})
    workspace.publishing_paused = False
    return _settle_overdue(workspace.posts.all(), resumed=1, missed_policy=missed_policy, now=now)


def unblocked(posts: QuerySet[Post]) -> QuerySet[Post]:
    """Posts no pause (post, wave, channel, workspace) or inactive channel holds back."""
    return posts.filter(
        is_paused=False,
        channel_account__is_active=True,
        channel_account__is_paused=False,
        workspace__publishing_paused=False,
    ).exclude(wave__status=Wave.Status.PAUSED)


def _settle_overdue(
    scope: QuerySet[Post], *, resumed: int, missed_policy: str, now: datetime | None
) -> ResumeResult:
    """Apply the missed-while-paused policy to scheduled posts of the scope now due.

    Only posts no other pause still holds are settled; the rest wait for
    their own resume.
    """
    if missed_policy not in MissedPolicy.CHOICES:
        raise ValidationError(
            {"missed_policy": f"missed_policy must be one of {', '.join(MissedPolicy.CHOICES)}."}
        )
    now = now or timezone.now()
    overdue = unblocked(scope.filter(status=Post.Status.SCHEDULED, scheduled_for__lte=now))
    result = ResumeResult(resumed=resumed, policy=missed_policy)
    if missed_policy == MissedPolicy.MISS:
        rows = list(overdue.values_list("pk", "wave_id"))
        result.missed = Post.objects.filter(pk__in=[pk for pk, _ in rows]).update(
            status=Post.Status.MISSED,
            error_message="Its time passed while publishing was paused.",
            updated_at=timezone.now(),
        )
        for wave_id in {wave_id for _, wave_id in rows if wave_id}:
            wave_refresh_status(wave_id=wave_id)
    else:
        from marketing.publisher import publish_posts

        result.published_late = publish_posts(overdue, now=now)
    return result

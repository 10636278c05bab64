"""Conflict rules for placing content on channels. Pure Python (no Django).

The services gather the channels and the nearby posts with a couple of
queries and ask ``find_conflicts`` what is wrong with a set of proposed
placements; every rule lives here so waves, reschedules and slot fills all
refuse the same things with the same words.

Rules, each reported with the channel, the time and (where there is one) the
other post:

* ``channel_missing`` - the channel does not exist in this workspace;
* ``channel_inactive`` - the channel is switched off;
* ``content_missing`` - the content item does not exist in this workspace;
* ``past_time`` - the time is not in the future;
* ``duplicate_content`` - the channel already carries this content in a post
  that is not cancelled (or the placements put it there twice);
* ``too_close`` - another post with content on the channel is closer than the
  channel's ``min_gap_minutes`` (an exactly equal gap is allowed);
* ``slot_taken`` - another post occupies exactly that instant (the database
  allows one post per channel and instant);
* ``no_free_slot`` - an independent wave found no free planned slot.

Empty planned slots are placeholders: they never conflict, and a placement on
exactly their instant fills them instead.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

# Statuses in which a post with content holds its place on the channel.
OCCUPYING_STATUSES = frozenset({"draft", "scheduled", "publishing", "published"})


@dataclass(frozen=True)
class ChannelInfo:
    id: str
    name: str
    is_active: bool
    min_gap_minutes: int


@dataclass(frozen=True)
class ExistingPost:
    id: str
    channel_id: str
    scheduled_for: datetime
    status: str
    content_id: str | None
    content_title: str = ""


@dataclass(frozen=True)
class Placement:
    channel_id: str
    scheduled_for: datetime | None
    # The post being moved or filled, if any: it never conflicts with itself.
    post_id: str | None = None


@dataclass(frozen=True)
class Conflict:
    code: str
    message: str
    channel_id: str | None = None
    channel_name: str | None = None
    scheduled_for: datetime | None = None
    other_post_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.scheduled_for is not None:
            data["scheduled_for"] = iso(self.scheduled_for)
        return data


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _channel_label(channel: ChannelInfo | None, channel_id: str) -> str:
    return f"channel '{channel.name}'" if channel else f"channel {channel_id}"


def find_conflicts(
    *,
    placements: list[Placement],
    channels: dict[str, ChannelInfo],
    existing: list[ExistingPost],
    content_id: str | None,
    content_title: str = "",
    content_found: bool = True,
    now: datetime,
) -> list[Conflict]:
    """Every conflict of the placements, in placement order (empty when none)."""
    conflicts: list[Conflict] = []
    if not content_found:
        conflicts.append(
            Conflict(code="content_missing", message="Content item not found in this workspace.")
        )
    moving = {p.post_id for p in placements if p.post_id}
    others = [post for post in existing if post.id not in moving]
    for index, placement in enumerate(placements):
        channel = channels.get(placement.channel_id)
        conflicts.extend(
            _placement_conflicts(
                placement=placement,
                channel=channel,
                others=others,
                siblings=[p for i, p in enumerate(placements) if i < index],
                content_id=content_id,
                content_title=content_title,
                now=now,
            )
        )
    return conflicts


def _placement_conflicts(
    *,
    placement: Placement,
    channel: ChannelInfo | None,
    others: list[ExistingPost],
    siblings: list[Placement],
    content_id: str | None,
    content_title: str,
    now: datetime,
) -> list[Conflict]:
    label = _channel_label(channel, placement.channel_id)
    when = placement.scheduled_for

    def conflict(code: str, message: str, other: str | None = None) -> Conflict:
        return Conflict(
            code=code,
            message=message,
            channel_id=placement.channel_id,
            channel_name=channel.name if channel else None,
            scheduled_for=when,
            other_post_id=other,
        )

    if channel is None:
        return [conflict("channel_missing", f"{_upper_first(label)} not found in this workspace.")]
    found: list[Conflict] = []
    if not channel.is_active:
        found.append(conflict("channel_inactive", f"{_upper_first(label)} is inactive."))
    if when is None:
        found.append(
            conflict(
                "no_free_slot",
                f"{_upper_first(label)} has no free planned slot after the start time; "
                "top off its schedule or add schedule times.",
            )
        )
        return found
    if when <= now:
        found.append(conflict("past_time", f"{iso(when)} on {label} is not in the future."))
    gap = timedelta(minutes=channel.min_gap_minutes)
    content_label = f"'{content_title}'" if content_title else "this content"
    for other in others:
        if other.channel_id != placement.channel_id:
            continue
        if (
            content_id is not None
            and other.content_id == content_id
            and other.status != "cancelled"
        ):
            found.append(
                conflict(
                    "duplicate_content",
                    f"{_upper_first(label)} already has {content_label} in post {other.id} "
                    f"at {iso(other.scheduled_for)} ({other.status}).",
                    other.id,
                )
            )
            continue
        if other.scheduled_for == when and not _is_empty_slot(other):
            found.append(
                conflict(
                    "slot_taken",
                    f"{_upper_first(label)} already has post {other.id} at {iso(when)} "
                    f"({other.status}).",
                    other.id,
                )
            )
            continue
        if (
            other.content_id is not None
            and other.status in OCCUPYING_STATUSES
            and abs(other.scheduled_for - when) < gap
        ):
            found.append(
                conflict(
                    "too_close",
                    f"{iso(when)} on {label} is within {channel.min_gap_minutes} minute(s) of "
                    f"post {other.id} at {iso(other.scheduled_for)}.",
                    other.id,
                )
            )
    for sibling in siblings:
        if sibling.channel_id != placement.channel_id or sibling.scheduled_for is None:
            continue
        if content_id is not None:
            found.append(
                conflict(
                    "duplicate_content",
                    f"{_upper_first(label)} would get {content_label} twice "
                    f"({iso(sibling.scheduled_for)} and {iso(when)}).",
                )
            )
        elif abs(sibling.scheduled_for - when) < gap or sibling.scheduled_for == when:
            found.append(
                conflict(
                    "too_close",
                    f"{iso(when)} on {label} is within {channel.min_gap_minutes} minute(s) of "
                    f"another placement at {iso(sibling.scheduled_for)}.",
                )
            )
    return found


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _is_empty_slot(post: ExistingPost) -> bool:
    return post.content_id is None and post.status in {"planned", "draft"}

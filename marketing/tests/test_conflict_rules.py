"""The conflict matrix on plain data. No database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from marketing.conflicts import ChannelInfo, ExistingPost, Placement, find_conflicts

NOW = datetime(2026, 1, 5, 12, tzinfo=UTC)
AT = NOW + timedelta(hours=3)
CHANNEL = ChannelInfo(id="c1", name="Acme X", is_active=True, min_gap_minutes=1)


def check(placements, existing=(), channels=None, content_id="v1", **kwargs):
    return find_conflicts(
        placements=placements,
        channels=channels if channels is not None else {"c1": CHANNEL},
        existing=list(existing),
        content_id=content_id,
        content_title="Launch video",
        now=NOW,
        **kwargs,
    )


def post(status="scheduled", at=AT, content="v2", pid="p1", channel="c1"):
    return ExistingPost(
        id=pid, channel_id=channel, scheduled_for=at, status=status, content_id=content
    )


def codes(conflicts):
    return [c.code for c in conflicts]


def test_a_free_future_time_has_no_conflict():
    assert check([Placement("c1", AT)]) == []


@pytest.mark.parametrize(
    "existing,expected",
    [
        (post(content="v1", at=AT + timedelta(days=3)), ["duplicate_content"]),
        (post(content="v1", status="published", at=NOW - timedelta(days=3)), ["duplicate_content"]),
        (post(content="v1", status="failed"), ["duplicate_content"]),
        (post(content="v1", status="cancelled", at=AT + timedelta(days=3)), []),
        (post(at=AT + timedelta(seconds=30)), ["too_close"]),
        (post(at=AT - timedelta(seconds=59)), ["too_close"]),
        (post(at=AT + timedelta(minutes=1)), []),  # exactly the gap is allowed
        (post(at=AT), ["slot_taken"]),
        (post(status="cancelled", at=AT + timedelta(seconds=30)), []),
        (post(status="missed", at=AT + timedelta(seconds=30)), []),
        (post(status="planned", content=None, at=AT + timedelta(seconds=30)), []),
        (post(status="planned", content=None, at=AT), []),  # an empty slot gets filled
        (post(status="cancelled", content=None, at=AT), ["slot_taken"]),
        (post(channel="c2", at=AT), []),
    ],
)
def test_conflict_matrix(existing, expected):
    assert codes(check([Placement("c1", AT)], [existing])) == expected


def test_the_message_names_channel_time_and_the_other_post():
    [conflict] = check([Placement("c1", AT)], [post(content="v1", pid="p-42")])
    assert conflict.channel_name == "Acme X"
    assert conflict.other_post_id == "p-42"
    assert conflict.scheduled_for == AT
    assert "Acme X" in conflict.message and "p-42" in conflict.message
    assert "Launch video" in conflict.message


def test_a_past_or_present_time_is_refused():
    assert codes(check([Placement("c1", NOW)])) == ["past_time"]
    assert codes(check([Placement("c1", NOW - timedelta(days=1))])) == ["past_time"]


def test_missing_and_inactive_channels_are_refused():
    inactive = ChannelInfo(id="c1", name="Old", is_active=False, min_gap_minutes=1)
    assert codes(check([Placement("c9", AT)])) == ["channel_missing"]
    assert codes(check([Placement("c1", AT)], channels={"c1": inactive})) == ["channel_inactive"]


def test_content_from_elsewhere_is_refused():
    assert codes(check([Placement("c1", AT)], content_found=False)) == ["content_missing"]


def test_every_conflict_is_listed_not_just_the_first():
    found = check(
        [Placement("c1", NOW - timedelta(minutes=5)), Placement("c9", AT)],
        [post(content="v1")],
    )
    assert codes(found) == ["past_time", "duplicate_content", "channel_missing"]


def test_a_moved_post_never_conflicts_with_itself():
    existing = post(content="v1", pid="p1", at=AT)
    assert check([Placement("c1", AT + timedelta(hours=1), post_id="p1")], [existing]) == []


def test_the_same_content_twice_in_one_request_is_refused():
    found = check([Placement("c1", AT), Placement("c1", AT + timedelta(hours=2))])
    assert codes(found) == ["duplicate_content"]


def test_a_larger_gap_setting_widens_the_window():
    wide = ChannelInfo(id="c1", name="Acme X", is_active=True, min_gap_minutes=60)
    existing = post(at=AT + timedelta(minutes=59))
    assert codes(check([Placement("c1", AT)], [existing], channels={"c1": wide})) == ["too_close"]


def test_as_dict_is_json_ready():
    [conflict] = check([Placement("c1", AT)], [post(content="v1")])
    data = conflict.as_dict()
    assert data["scheduled_for"] == "2026-01-05T15:00:00Z"
    assert data["code"] == "duplicate_content"

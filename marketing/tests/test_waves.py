"""Waves (seed 004): simultaneous, staggered, independent; all-or-nothing; conflicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from marketing import services
from marketing.models import Post, Wave
from marketing.tests.factories import ChannelAccountFactory, ContentItemFactory, PostFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
START = datetime(2026, 1, 6, 15, 0, tzinfo=UTC)
WAVES = "/api/v1/marketing/waves"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def wave_body(video, channels, **extra):
    body = {
        "content_item_id": str(video.pk),
        "type": "simultaneous",
        "start_at": "2026-01-06T15:00:00Z",
        "channel_ids": [str(c.pk) for c in channels],
    }
    body.update(extra)
    return body


def test_a_simultaneous_wave_puts_the_content_on_every_channel_at_one_instant(api, video, channels):
    response = api.post(WAVES, wave_body(video, channels), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["wave_id"].startswith("wave-")
    assert body["type"] == "simultaneous"
    assert [p["scheduled_for"] for p in body["posts"]] == ["2026-01-06T15:00:00Z"] * 3
    assert {p["channel"]["name"] for p in body["posts"]} == {"Channel A", "Channel B", "Channel C"}
    assert {p["status"] for p in body["posts"]} == {"scheduled"}
    assert {p["content"]["title"] for p in body["posts"]} == {"Launch video"}


def test_a_staggered_wave_spaces_channels_exactly_in_the_given_order(api, video, channels):
    ordered = [channels[2], channels[0], channels[1]]
    response = api.post(
        WAVES,
        wave_body(video, ordered, type="staggered", delay_seconds=5400),
        format="json",
    )
    assert response.status_code == 201, response.json()
    posts = {p["channel"]["id"]: p["scheduled_for"] for p in response.json()["posts"]}
    assert posts == {
        str(channels[2].pk): "2026-01-06T15:00:00Z",
        str(channels[0].pk): "2026-01-06T16:30:00Z",
        str(channels[1].pk): "2026-01-06T18:00:00Z",
    }
    assert response.json()["channel_order"] == [str(c.pk) for c in ordered]


def test_an_independent_wave_fills_each_channels_next_free_planned_slot(
    api, workspace, video, make_channel
):
    morning = make_channel(name="Morning", schedule_times=["08:00"])
    evening = make_channel(name="Evening", schedule_times=["19:00"])
    services.topoff_slots(workspace=workspace)
    planned_before = Post.objects.count()
    # The evening channel's first slot already has content: the wave takes the next one.
    first_evening = Post.objects.filter(channel_account=evening).order_by("scheduled_for").first()
    services.post_fill(post=first_evening, content_item=ContentItemFactory(workspace=workspace))

    response = api.post(
        WAVES,
        {
            "content_item_id": str(video.pk),
            "type": "independent",
            "channel_ids": [str(morning.pk), str(evening.pk)],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    times = {p["channel"]["name"]: p["scheduled_for"] for p in response.json()["posts"]}
    assert times == {"Morning": "2026-01-05T08:00:00Z", "Evening": "2026-01-06T19:00:00Z"}
    assert Post.objects.count() == planned_before  # filled, not created


def test_an_independent_wave_honours_start_at(api, workspace, video, make_channel):
    channel = make_channel(schedule_times=["08:00"])
    services.topoff_slots(workspace=workspace)
    response = api.post(
        WAVES,
        {
            "content_item_id": str(video.pk),
            "type": "independent",
            "start_at": "2026-01-09T12:00:00Z",
            "channel_ids": [str(channel.pk)],
        },
        format="json",
    )
    assert response.json()["posts"][0]["scheduled_for"] == "2026-01-10T08:00:00Z"


def test_an_independent_wave_without_slots_names_the_channel(api, video, make_channel):
    channel = make_channel(name="Empty")
    response = api.post(
        WAVES,
        {"content_item_id": str(video.pk), "type": "independent", "channel_ids": [str(channel.pk)]},
        format="json",
    )
    assert response.status_code == 400
    [conflict] = response.json()["conflicts"]
    assert conflict["code"] == "no_free_slot"
    assert "Empty" in conflict["message"]


def test_a_simultaneous_wave_on_a_planned_slot_fills_it(api, workspace, video, make_channel):
    channel = make_channel(schedule_times=["15:00"])
    services.topoff_slots(workspace=workspace)
    slot = Post.objects.get(channel_account=channel, scheduled_for=START)
    response = api.post(WAVES, wave_body(video, [channel]), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["posts"][0]["id"] == str(slot.pk)
    slot.refresh_from_db()
    assert (slot.status, slot.content_item_id) == ("scheduled", video.pk)


def test_one_conflict_refuses_the_whole_wave_and_lists_every_conflict(
    api, workspace, video, channels, other_workspace
):
    # Channel A already carries the video; channel B has a post 30 s after the start.
    PostFactory(
        workspace=workspace,
        channel_account=channels[0],
        content_item=video,
        scheduled_for=START + timedelta(days=2),
    )
    close = PostFactory(
        workspace=workspace,
        channel_account=channels[1],
        scheduled_for=START + timedelta(seconds=30),
    )
    foreign = ChannelAccountFactory(workspace=other_workspace)

    response = api.post(WAVES, wave_body(video, [*channels, foreign]), format="json")

    assert response.status_code == 400
    body = response.json()
    assert [c["code"] for c in body["conflicts"]] == [
        "duplicate_content",
        "too_close",
        "channel_missing",
    ]
    assert body["conflicts"][1]["other_post_id"] == str(close.pk)
    assert body["conflicts"][1]["channel_name"] == "Channel B"
    assert body["conflicts"][1]["scheduled_for"] == "2026-01-06T15:00:00Z"
    assert "3 conflicts" in body["detail"]
    assert Wave.objects.count() == 0
    assert Post.objects.filter(wave__isnull=False).count() == 0
    assert Post.objects.count() == 2


def test_past_times_inactive_channels_and_foreign_content_are_refused(
    api, video, make_channel, other_workspace
):
    inactive = make_channel(name="Retired", is_active=False)
    past = api.post(
        WAVES, wave_body(video, [make_channel()], start_at="2026-01-04T10:00:00Z"), format="json"
    )
    off = api.post(WAVES, wave_body(video, [inactive]), format="json")
    foreign_video = ContentItemFactory(workspace=other_workspace)
    foreign = api.post(WAVES, wave_body(foreign_video, [make_channel()]), format="json")

    assert [c["code"] for c in past.json()["conflicts"]] == ["past_time"]
    assert [c["code"] for c in off.json()["conflicts"]] == ["channel_inactive"]
    assert [c["code"] for c in foreign.json()["conflicts"]] == ["content_missing"]
    assert Wave.objects.count() == 0


@pytest.mark.parametrize(
    "extra,field",
    [
        ({"type": "viral"}, "type"),
        ({"start_at": None}, "start_at"),
        ({"type": "staggered", "delay_seconds": 0}, "delay_seconds"),
        ({"delay_seconds": 60}, "delay_seconds"),
        ({"delay_seconds": -5}, "delay_seconds"),
        ({"channel_ids": []}, "channel_ids"),
        ({"channel_ids": ["not-a-uuid"]}, "channel_ids"),
        ({"content_item_id": "nope"}, "content_item_id"),
        ({"start_at": "tomorrow"}, "start_at"),
    ],
)
def test_malformed_waves_are_400s_naming_the_field(api, video, channels, extra, field):
    response = api.post(WAVES, wave_body(video, channels, **extra), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert Wave.objects.count() == 0


def test_a_channel_listed_twice_is_refused(api, video, channels):
    response = api.post(WAVES, wave_body(video, [channels[0], channels[0]]), format="json")
    assert response.status_code == 400
    assert "channel_ids" in response.json()


def test_the_dry_run_lists_posts_and_conflicts_without_writing(api, workspace, video, channels):
    PostFactory(
        workspace=workspace,
        channel_account=channels[1],
        scheduled_for=START + timedelta(minutes=10, seconds=30),
    )
    response = api.post(
        f"{WAVES}/check",
        wave_body(video, channels, type="staggered", delay_seconds=600),
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False
    assert [(c["code"], c["channel_name"]) for c in body["conflicts"]] == [
        ("too_close", "Channel B")
    ]
    assert [p["scheduled_for"] for p in body["posts"]] == [
        "2026-01-06T15:00:00Z",
        "2026-01-06T15:10:00Z",
        "2026-01-06T15:20:00Z",
    ]
    assert Wave.objects.count() == 0


def test_the_dry_run_of_a_clean_wave_is_ok(api, video, channels):
    body = api.post(f"{WAVES}/check", wave_body(video, channels), format="json").json()
    assert body == {
        "ok": True,
        "conflicts": [],
        "posts": [
            {
                "channel_id": str(c.pk),
                "scheduled_for": "2026-01-06T15:00:00Z",
                "fills_post_id": None,
            }
            for c in channels
        ],
    }
    assert Wave.objects.count() == 0


def test_editing_a_wave_moves_its_posts_and_is_validated(api, workspace, video, channels):
    wave_pk = api.post(
        WAVES, wave_body(video, channels, type="staggered", delay_seconds=60), format="json"
    ).json()["id"]
    moved = api.patch(
        f"{WAVES}/{wave_pk}",
        {"start_at": "2026-01-07T10:00:00Z", "delay_seconds": 120},
        format="json",
    )
    assert moved.status_code == 200, moved.json()
    assert [p["scheduled_for"] for p in moved.json()["posts"]] == [
        "2026-01-07T10:00:00Z",
        "2026-01-07T10:02:00Z",
        "2026-01-07T10:04:00Z",
    ]
    blocker = PostFactory(
        workspace=workspace,
        channel_account=channels[2],
        scheduled_for=datetime(2026, 1, 8, 10, 4, 20, tzinfo=UTC),
    )
    refused = api.patch(f"{WAVES}/{wave_pk}", {"start_at": "2026-01-08T10:00:00Z"}, format="json")
    assert refused.status_code == 400
    [conflict] = refused.json()["conflicts"]
    assert conflict["other_post_id"] == str(blocker.pk)
    times = sorted(Post.objects.filter(wave_id=wave_pk).values_list("scheduled_for", flat=True))
    assert times[0] == datetime(2026, 1, 7, 10, tzinfo=UTC)  # unchanged


def test_a_wave_is_found_by_its_wave_id_and_filters_posts(api, video, channels):
    api.post(WAVES, wave_body(video, channels, wave_id="launch-day"), format="json")
    assert api.get(f"{WAVES}/launch-day").json()["wave_id"] == "launch-day"
    assert api.get("/api/v1/marketing/posts?wave=launch-day").json()["count"] == 3


def test_cancelling_a_wave_cancels_its_unpublished_posts(api, video, channels):
    wave_pk = api.post(WAVES, wave_body(video, channels), format="json").json()["id"]
    response = api.post(f"{WAVES}/{wave_pk}/cancel")
    assert response.status_code == 200
    assert response.json()["posts_cancelled"] == 3
    assert {p["status"] for p in response.json()["posts"]} == {"cancelled"}
    # Cancelled posts no longer block the same content on those channels.
    again = api.post(
        WAVES, wave_body(video, channels, start_at="2026-01-07T15:00:00Z"), format="json"
    )
    assert again.status_code == 201, again.json()


def test_another_workspaces_wave_is_a_404(api, other_workspace):
    channel = ChannelAccountFactory(workspace=other_workspace)
    video = ContentItemFactory(workspace=other_workspace)
    wave = services.wave_create(
        workspace=other_workspace,
        content_item_id=video.pk,
        type="simultaneous",
        start_at=START,
        channel_ids=[channel.pk],
    )
    assert api.get(f"{WAVES}/{wave.pk}").status_code == 404
    assert api.get(f"{WAVES}/{wave.wave_id}").status_code == 404
    assert api.post(f"{WAVES}/{wave.pk}/cancel").status_code == 404
    assert api.get(WAVES).json()["count"] == 0


def test_a_viewer_cannot_create_or_cancel_waves(viewer_api, workspace, video, channels):
    assert (
        viewer_api.post(
            f"{WAVES}?tenant_id={workspace.pk}", wave_body(video, channels), format="json"
        ).status_code
        == 403
    )
    wave = services.wave_create(
        workspace=workspace,
        content_item_id=video.pk,
        type="simultaneous",
        start_at=START,
        channel_ids=[c.pk for c in channels],
    )
    assert viewer_api.post(f"{WAVES}/{wave.pk}/cancel").status_code == 403
    assert viewer_api.get(f"{WAVES}/{wave.pk}").status_code == 200

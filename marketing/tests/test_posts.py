"""Posts: create, fill a slot, clear, reschedule, cancel, filters, access."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from marketing import services
from marketing.models import Post
from marketing.tests.factories import ChannelAccountFactory, ContentItemFactory, PostFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
POSTS = "/api/v1/marketing/posts"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def slot(workspace, make_channel):
    channel = make_channel(name="Daily")
    services.topoff_slots(workspace=workspace)
    return Post.objects.filter(channel_account=channel).order_by("scheduled_for").first()


def test_filling_a_planned_slot_schedules_it(api, slot, video):
    response = api.post(
        f"{POSTS}/{slot.pk}/fill", {"content_item_id": str(video.pk)}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "scheduled"
    assert response.json()["content"]["title"] == "Launch video"
    assert response.json()["scheduled_for"] == "2026-01-05T09:00:00Z"


def test_filling_checks_conflicts_like_everything_else(api, workspace, slot, video):
    PostFactory(
        workspace=workspace,
        channel_account=slot.channel_account,
        content_item=video,
        scheduled_for=slot.scheduled_for + timedelta(days=5, minutes=7),
    )
    response = api.post(
        f"{POSTS}/{slot.pk}/fill", {"content_item_id": str(video.pk)}, format="json"
    )
    assert response.status_code == 400
    assert [c["code"] for c in response.json()["conflicts"]] == ["duplicate_content"]
    slot.refresh_from_db()
    assert slot.status == "planned"


def test_clearing_puts_the_slot_back_to_planned(api, slot, video):
    api.post(f"{POSTS}/{slot.pk}/fill", {"content_item_id": str(video.pk)}, format="json")
    response = api.post(f"{POSTS}/{slot.pk}/clear")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["content"]) == ("planned", None)


def test_filling_with_another_workspaces_content_is_a_400(api, slot, other_workspace):
    foreign = ContentItemFactory(workspace=other_workspace)
    response = api.post(
        f"{POSTS}/{slot.pk}/fill", {"content_item_id": str(foreign.pk)}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"content_item_id": ["content item not found"]}


def test_creating_a_post_with_content_schedules_it(api, workspace, video, make_channel):
    channel = make_channel()
    response = api.post(
        POSTS,
        {
            "channel_id": str(channel.pk),
            "content_item_id": str(video.pk),
            "scheduled_for": "2026-01-06T11:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "scheduled"


def test_creating_a_post_in_the_past_is_refused(api, video, make_channel):
    channel = make_channel()
    response = api.post(
        POSTS,
        {
            "channel_id": str(channel.pk),
            "content_item_id": str(video.pk),
            "scheduled_for": "2026-01-04T11:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["conflicts"][0]["code"] == "past_time"


@pytest.mark.parametrize(
    "body,field",
    [
        ({"scheduled_for": "2026-01-06T11:00:00Z"}, "channel_id"),
        ({"channel_id": "x", "scheduled_for": "2026-01-06T11:00:00Z"}, "channel_id"),
        ({"channel_id": "00000000-0000-0000-0000-000000000000"}, "scheduled_for"),
    ],
)
def test_malformed_posts_are_400s_naming_the_field(api, body, field):
    response = api.post(POSTS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_rescheduling_is_validated_against_the_channels_gap(api, workspace, video, make_channel):
    channel = make_channel(min_gap_minutes=30)
    post = PostFactory(workspace=workspace, channel_account=channel, content_item=video)
    other = PostFactory(
        workspace=workspace,
        channel_account=channel,
        scheduled_for=post.scheduled_for + timedelta(hours=2),
    )
    too_close = api.post(
        f"{POSTS}/{post.pk}/reschedule",
        {"scheduled_for": (other.scheduled_for - timedelta(minutes=29)).isoformat()},
        format="json",
    )
    fine = api.post(
        f"{POSTS}/{post.pk}/reschedule",
        {"scheduled_for": (other.scheduled_for - timedelta(minutes=30)).isoformat()},
        format="json",
    )
    assert too_close.status_code == 400
    conflict = too_close.json()["conflicts"][0]
    assert (conflict["code"], conflict["other_post_id"]) == ("too_close", str(other.pk))
    assert fine.status_code == 200, fine.json()


def test_rescheduling_onto_an_empty_slot_takes_its_place(api, workspace, slot, video, make_channel):
    post = PostFactory(
        workspace=workspace,
        channel_account=slot.channel_account,
        content_item=video,
        scheduled_for=slot.scheduled_for + timedelta(hours=3),
    )
    response = api.post(
        f"{POSTS}/{post.pk}/reschedule",
        {"scheduled_for": slot.scheduled_for.isoformat()},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert not Post.objects.filter(pk=slot.pk).exists()


def test_cancelling_a_post_frees_its_content_for_that_channel(api, workspace, video, make_channel):
    channel = make_channel()
    post = PostFactory(workspace=workspace, channel_account=channel, content_item=video)
    assert api.post(f"{POSTS}/{post.pk}/cancel").json()["status"] == "cancelled"
    services.post_create(
        workspace=workspace,
        channel_id=channel.pk,
        content_item=video,
        scheduled_for=post.scheduled_for + timedelta(days=1),
    )


def test_a_published_post_cannot_be_cancelled_or_moved(api, workspace):
    post = PostFactory(workspace=workspace, status="published")
    cancel = api.post(f"{POSTS}/{post.pk}/cancel")
    move = api.post(f"{POSTS}/{post.pk}/reschedule", {"scheduled_for": "2026-02-01T00:00:00Z"})
    assert cancel.status_code == 400 and "status" in cancel.json()
    assert move.status_code == 400 and "status" in move.json()


def test_posts_filter_by_channel_status_and_range(api, workspace, make_channel, video):
    first, second = make_channel(), make_channel()
    services.topoff_slots(workspace=workspace, days=7)
    PostFactory(
        workspace=workspace,
        channel_account=first,
        content_item=video,
        scheduled_for=datetime(2026, 1, 6, 12, tzinfo=UTC),
    )

    def count(query):
        response = api.get(f"{POSTS}?{query}")
        assert response.status_code == 200, response.json()
        return response.json()["count"]

    assert count(f"channel={first.pk}") == 8
    assert count(f"channel={second.pk}&status=planned") == 7
    assert count("status=scheduled") == 1
    assert count("status=planned,scheduled") == 15
    assert count("start=2026-01-06&end=2026-01-06") == 3
    assert count(f"content={video.pk}") == 1
    assert count(f"tenant_id={workspace.slug}") == 15


@pytest.mark.parametrize(
    "query,field", [("status=lost", "status"), ("channel=abc", "channel"), ("start=soon", "start")]
)
def test_bad_filters_are_400s_naming_the_filter(api, query, field):
    response = api.get(f"{POSTS}?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_another_workspaces_posts_are_404s(api, other_workspace):
    post = PostFactory(workspace=other_workspace)
    assert api.get(f"{POSTS}/{post.pk}").status_code == 404
    assert api.post(f"{POSTS}/{post.pk}/cancel").status_code == 404
    assert api.get(POSTS).json()["count"] == 0


def test_a_viewer_reads_posts_but_cannot_change_them(viewer_api, workspace, video):
    post = PostFactory(workspace=workspace)
    assert viewer_api.get(f"{POSTS}/{post.pk}").status_code == 200
    for action in ("cancel", "pause", "clear"):
        assert viewer_api.post(f"{POSTS}/{post.pk}/{action}").status_code == 403
    channel = ChannelAccountFactory(workspace=workspace)
    create = viewer_api.post(
        f"{POSTS}?tenant_id={workspace.pk}",
        {"channel_id": str(channel.pk), "scheduled_for": "2026-01-06T11:00:00Z"},
        format="json",
    )
    assert create.status_code == 403
    post.refresh_from_db()
    assert post.status == "scheduled"

"""Pause and resume per post, wave, channel and workspace, with the missed policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from jobs.models import Job
from marketing import publisher, services
from marketing.tests.factories import PostFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
AT = NOW + timedelta(hours=1)
API = "/api/v1/marketing"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def tick() -> dict:
    return publisher.publish_due_posts()


def test_a_paused_post_is_not_published_and_is_missed_on_resume(api, clock, workspace):
    post = PostFactory(workspace=workspace, scheduled_for=AT)
    assert api.post(f"{API}/posts/{post.pk}/pause").json()["is_paused"] is True
    clock.move_to(AT + timedelta(minutes=5))
    assert tick()["published"] == 0

    response = api.post(f"{API}/posts/{post.pk}/resume")

    assert response.json() == {
        "resumed": 1,
        "missed": 1,
        "published_late": 0,
        "missed_policy": "miss",
    }
    post.refresh_from_db()
    assert post.status == "missed"
    assert "paused" in post.error_message
    assert Job.objects.count() == 0


def test_resume_before_the_time_publishes_normally(api, clock, workspace):
    post = PostFactory(workspace=workspace, scheduled_for=AT)
    api.post(f"{API}/posts/{post.pk}/pause")
    assert api.post(f"{API}/posts/{post.pk}/resume").json()["missed"] == 0
    clock.move_to(AT)
    assert tick()["published"] == 1


def test_resume_with_the_publish_policy_publishes_once_now(api, clock, workspace):
    post = PostFactory(workspace=workspace, scheduled_for=AT)
    api.post(f"{API}/posts/{post.pk}/pause")
    clock.move_to(AT + timedelta(hours=5))
    response = api.post(
        f"{API}/posts/{post.pk}/resume", {"missed_policy": "publish"}, format="json"
    )
    assert response.json()["published_late"] == 1
    post.refresh_from_db()
    assert post.status == "publishing"
    assert Job.objects.filter(pk=post.job_id).count() == 1


def test_an_unknown_missed_policy_is_a_400(api, workspace):
    post = PostFactory(workspace=workspace, is_paused=True)
    response = api.post(f"{API}/posts/{post.pk}/resume", {"missed_policy": "later"}, format="json")
    assert response.status_code == 400
    assert "missed_policy" in response.json()


def test_pausing_a_wave_holds_all_its_posts(api, clock, workspace, video, channels):
    wave = services.wave_create(
        workspace=workspace,
        content_item_id=video.pk,
        type="staggered",
        start_at=AT,
        delay_seconds=600,
        channel_ids=[c.pk for c in channels],
    )
    assert api.post(f"{API}/waves/{wave.wave_id}/pause").json()["status"] == "paused"
    clock.move_to(AT + timedelta(minutes=15))  # two of three posts are due
    assert tick()["published"] == 0

    response = api.post(f"{API}/waves/{wave.pk}/resume")

    assert response.json()["missed"] == 2
    statuses = sorted(wave.posts.values_list("status", flat=True))
    assert statuses == ["missed", "missed", "scheduled"]
    clock.move_to(AT + timedelta(minutes=20))
    assert tick()["published"] == 1


def test_pausing_a_channel_holds_its_future_posts_and_its_top_off(
    api, clock, workspace, make_channel
):
    channel = make_channel()
    held = PostFactory(workspace=workspace, channel_account=channel, scheduled_for=AT)
    other = PostFactory(workspace=workspace, scheduled_for=AT)
    assert api.post(f"{API}/channels/{channel.pk}/pause").json()["is_paused"] is True
    assert services.topoff_slots(workspace=workspace).accounts_processed == 1  # the other channel
    clock.move_to(AT + timedelta(minutes=1))
    assert tick()["published"] == 1
    other.refresh_from_db()
    assert other.status == "publishing"

    response = api.post(f"{API}/channels/{channel.pk}/resume")

    assert response.json()["missed"] == 1
    held.refresh_from_db()
    assert held.status == "missed"


def test_pausing_the_workspace_holds_everything_and_resume_reports_missed(api, clock, workspace):
    posts = [
        PostFactory(workspace=workspace, scheduled_for=AT + timedelta(minutes=n)) for n in range(3)
    ]
    later = PostFactory(workspace=workspace, scheduled_for=AT + timedelta(hours=3))
    assert api.post(f"{API}/publishing/pause?tenant_id={workspace.slug}").json() == {
        "publishing_paused": True
    }
    assert api.get(f"{API}/publishing?tenant_id={workspace.pk}").json() == {
        "publishing_paused": True
    }
    clock.move_to(AT + timedelta(hours=1))
    assert tick()["published"] == 0

    response = api.post(f"{API}/publishing/resume?tenant_id={workspace.pk}")

    assert response.json()["missed"] == 3
    assert response.json()["publishing_paused"] is False
    for post in posts:
        post.refresh_from_db()
        assert post.status == "missed"
    later.refresh_from_db()
    assert later.status == "scheduled"


def test_a_post_held_by_two_pauses_waits_for_both(api, clock, workspace, make_channel):
    channel = make_channel()
    post = PostFactory(workspace=workspace, channel_account=channel, scheduled_for=AT)
    services.channel_pause(channel=channel)
    services.workspace_publishing_pause(workspace=workspace)
    clock.move_to(AT + timedelta(minutes=2))
    assert services.channel_resume(channel=channel).missed == 0  # still held by the workspace
    assert services.workspace_publishing_resume(workspace=workspace).missed == 1
    post.refresh_from_db()
    assert post.status == "missed"


def test_resuming_what_is_not_paused_is_a_400(api, workspace, make_channel):
    channel = make_channel()
    assert api.post(f"{API}/channels/{channel.pk}/resume").status_code == 400
    assert api.post(f"{API}/publishing/resume?tenant_id={workspace.pk}").status_code == 400


def test_a_viewer_cannot_pause(viewer_api, workspace, make_channel):
    channel = make_channel()
    assert viewer_api.post(f"{API}/channels/{channel.pk}/pause").status_code == 403
    assert viewer_api.post(f"{API}/publishing/pause?tenant_id={workspace.pk}").status_code == 403
    workspace.refresh_from_db()
    assert workspace.publishing_paused is False


def test_another_workspaces_pause_is_a_404(api, other_workspace):
    assert api.post(f"{API}/publishing/pause?tenant_id={other_workspace.pk}").status_code == 404
    other_workspace.refresh_from_db()
    assert other_workspace.publishing_paused is False


def test_a_wave_whose_posts_all_passed_while_paused_is_completed_on_resume(
    api, clock, workspace, video, channels
):
    wave = services.wave_create(
        workspace=workspace,
        content_item_id=video.pk,
        type="simultaneous",
        start_at=AT,
        channel_ids=[c.pk for c in channels],
    )
    services.wave_pause(wave=wave)
    clock.move_to(AT + timedelta(minutes=1))
    body = api.post(f"{API}/waves/{wave.pk}/resume").json()
    assert body["missed"] == 3
    assert api.get(f"{API}/waves/{wave.pk}").json()["status"] == "completed"

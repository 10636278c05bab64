from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketing.models import ChannelAccount, Post

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def test_channel_list_counts_empty_slots_ahead(page_client, make_channel):
    make_channel(name="Daily X")
    page_client.post("/channels/top-off/", {"days": "7"})
    body = page_client.get("/channels/").content.decode()
    assert "Daily X" in body
    assert "◌ 7" in body


def test_top_off_reports_created_and_skipped_as_a_toast(page_client, make_channel):
    make_channel()
    first = page_client.post("/channels/top-off/", {"days": "28"}, **HX)
    assert "Created 28 new slots, skipped 0 existing" in first["HX-Trigger"]
    assert "calendar-refresh" in first["HX-Trigger"]
    again = page_client.post("/channels/top-off/", {"days": "28"}, **HX)
    assert "Created 0 new slots, skipped 28 existing" in again["HX-Trigger"]
    bad = page_client.post("/channels/top-off/", {"days": "900"}, **HX)
    assert '"level": "error"' in bad["HX-Trigger"]
    assert Post.objects.count() == 28


def test_cadence_editor_validates_inline(page_client, make_channel):
    channel = make_channel()
    response = page_client.post(
        f"/channels/{channel.pk}/",
        {
            "posts_per_week": "30",
            "schedule_times": "25:00",
            "schedule_timezone": "UTC",
            "min_gap_minutes": "1",
        },
        **HX,
    )
    assert response.status_code == 422
    assert 'id="id_schedule_times_error"' in response.content.decode()
    ok = page_client.post(
        f"/channels/{channel.pk}/",
        {
            "posts_per_week": "14",
            "schedule_times": "09:00, 17:30",
            "schedule_timezone": "UTC",
            "min_gap_minutes": "5",
        },
        **HX,
    )
    assert ok.status_code == 200
    channel.refresh_from_db()
    assert channel.schedule_times == ["09:00", "17:30"]


def test_pause_and_resume_a_channel(page_client, make_channel):
    channel = make_channel()
    paused = page_client.post(f"/channels/{channel.pk}/pause/", **HX)
    assert f'id="channelaccount-{channel.pk}"' in paused.content.decode()
    assert ChannelAccount.objects.get(pk=channel.pk).is_paused
    page_client.post(f"/channels/{channel.pk}/resume/", **HX)
    assert not ChannelAccount.objects.get(pk=channel.pk).is_paused


def test_new_post_refuses_conflicts_with_the_reason(page_client, make_channel, make_content):
    channel = make_channel(min_gap_minutes=60)
    content = make_content(title="Clip")
    when = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT10:00")
    first = page_client.post(
        "/channels/posts/new/",
        {"channel": channel.pk, "scheduled_for": when, "content_item": content.pk},
    )
    assert first.status_code == 302
    clash = page_client.post(
        "/channels/posts/new/",
        {"channel": channel.pk, "scheduled_for": when, "content_item": content.pk},
    )
    assert clash.status_code == 422
    assert "form-error" in clash.content.decode()
    assert Post.objects.count() == 1


def test_new_wave_schedules_posts_on_every_channel(page_client, channels, video):
    start = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT12:00")
    response = page_client.post(
        "/channels/waves/new/",
        {
            "content_item": video.pk,
            "type": "staggered",
            "start_at": start,
            "delay_seconds": "600",
            "channels": [c.pk for c in channels],
        },
    )
    assert response.status_code == 302
    assert Post.objects.filter(wave__isnull=False).count() == 3


def test_strangers_channels_are_not_found_and_viewers_cannot_top_off(
    page_client, viewer_client, workspace, other_workspace
):
    from marketing.tests.factories import ChannelAccountFactory

    stranger = ChannelAccountFactory(workspace=other_workspace)
    assert page_client.get(f"/channels/{stranger.pk}/").status_code == 404
    named = {"days": "7", "workspace": str(workspace.pk)}
    assert viewer_client.post("/channels/top-off/", named).status_code == 403


def test_new_content_form_refuses_an_archived_campaign_inline(page_client, workspace):
    from campaigns import lifecycle
    from campaigns.tests.factories import CampaignFactory
    from marketing.models import ContentItem

    archived = lifecycle.campaign_archive(campaign=CampaignFactory(workspace=workspace))
    response = page_client.post(
        "/channels/content/new/",
        {"workspace": workspace.pk, "title": "Teaser", "campaign": archived.pk, "status": "ready"},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_campaign_error"' in body
    assert "archived campaigns are read-only" in body
    assert not ContentItem.objects.exists()


def test_new_content_form_links_a_campaign_of_the_workspace(page_client, workspace):
    from campaigns.tests.factories import CampaignFactory
    from marketing.models import ContentItem

    campaign = CampaignFactory(workspace=workspace)
    response = page_client.post(
        "/channels/content/new/",
        {"workspace": workspace.pk, "title": "Teaser", "campaign": campaign.pk, "status": "ready"},
    )
    assert response.status_code == 302
    assert ContentItem.objects.get().campaign_id == campaign.pk

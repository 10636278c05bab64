"""Channels and content through the API; the admin actions and the demo seeder."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from marketing.models import ChannelAccount, ContentItem, Post, Wave
from marketing.tests.factories import ChannelAccountFactory, ContentItemFactory, PostFactory

pytestmark = pytest.mark.django_db
CHANNELS = "/api/v1/marketing/channels"
CONTENT = "/api/v1/marketing/content"


def channel_body(**extra):
    body = {
        "platform": "youtube",
        "name": "Acme videos",
        "handle": "@acme",
        "posts_per_week": 5,
        "schedule_times": ["17:00", "09:00", "09:00"],
        "schedule_timezone": "Europe/Paris",
    }
    body.update(extra)
    return body


def test_creating_a_channel_sorts_and_deduplicates_its_times(api, workspace):
    response = api.post(CHANNELS, channel_body(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["schedule_times"] == ["09:00", "17:00"]
    assert body["workspace"] == str(workspace.pk)
    assert body["min_gap_minutes"] == 1
    assert body["is_active"] is True and body["is_paused"] is False


def test_any_platform_name_is_accepted(api):
    assert api.post(CHANNELS, channel_body(platform="mastodon"), format="json").status_code == 201


@pytest.mark.parametrize(
    "extra,field",
    [
        ({"schedule_times": ["9am"]}, "schedule_times"),
        ({"schedule_times": "09:00"}, "schedule_times"),
        ({"schedule_timezone": "Mars/Olympus"}, "schedule_timezone"),
        ({"posts_per_week": 169}, "posts_per_week"),
        ({"posts_per_week": -1}, "posts_per_week"),
        ({"posts_per_week": 15, "schedule_times": ["09:00", "12:00"]}, "posts_per_week"),
        ({"name": ""}, "name"),
        ({"executor": "fax"}, "executor"),
        ({"executor": "webhook"}, "target_url"),
        ({"executor": "github_dispatch", "settings": {"github_token": "x"}}, "settings"),
        ({"executor": "github_dispatch", "settings": {"repository": "a/b"}}, "settings"),
        ({"min_gap_minutes": -1}, "min_gap_minutes"),
    ],
)
def test_bad_channels_are_400s_naming_the_field(api, extra, field):
    response = api.post(CHANNELS, channel_body(**extra), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert ChannelAccount.objects.count() == 0


def test_secrets_are_masked_and_survive_an_edit_that_sends_the_mask_back(api):
    created = api.post(
        CHANNELS,
        channel_body(
            executor="github_dispatch",
            settings={"repository": "acme/site", "github_token": "ghp_real"},
        ),
        format="json",
    ).json()
    assert created["settings"] == {"repository": "acme/site", "github_token": "********"}
    edited = api.patch(
        f"{CHANNELS}/{created['id']}",
        {"settings": {**created["settings"], "event_type": "publish"}},
        format="json",
    )
    assert edited.status_code == 200, edited.json()
    channel = ChannelAccount.objects.get()
    assert channel.settings == {
        "repository": "acme/site",
        "github_token": "ghp_real",
        "event_type": "publish",
    }


def test_topping_off_one_channel(api, make_channel):
    channel = make_channel(posts_per_week=2)
    make_channel()
    with time_machine.travel(datetime(2026, 1, 5, tzinfo=UTC), tick=False):
        body = api.post(f"{CHANNELS}/{channel.pk}/topoff?days=14").json()
    assert (body["accounts_processed"], body["instances_created"]) == (1, 4)
    assert Post.objects.count() == 4


def test_another_workspaces_channel_is_a_404(api, other_workspace):
    channel = ChannelAccountFactory(workspace=other_workspace)
    assert api.get(f"{CHANNELS}/{channel.pk}").status_code == 404
    assert api.patch(f"{CHANNELS}/{channel.pk}", {"name": "mine"}, format="json").status_code == 404
    assert api.get(f"{CHANNELS}?tenant_id={other_workspace.pk}").json()["count"] == 0


def test_a_viewer_cannot_create_or_edit_channels(viewer_api, workspace):
    channel = ChannelAccountFactory(workspace=workspace)
    assert (
        viewer_api.post(
            f"{CHANNELS}?tenant_id={workspace.pk}", channel_body(), format="json"
        ).status_code
        == 403
    )
    assert (
        viewer_api.patch(f"{CHANNELS}/{channel.pk}", {"name": "x"}, format="json").status_code
        == 403
    )
    assert viewer_api.get(f"{CHANNELS}?tenant_id={workspace.slug}").json()["count"] == 1


def test_content_crud_and_campaign_scoping(api, workspace, other_workspace):
    from campaigns.models import Campaign

    mine = Campaign.objects.create(workspace=workspace, name="Spring")
    theirs = Campaign.objects.create(workspace=other_workspace, name="Secret")
    created = api.post(CONTENT, {"title": "Teaser", "campaign": str(mine.pk)}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "ready"
    refused = api.post(CONTENT, {"title": "Teaser", "campaign": str(theirs.pk)}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"campaign": ["campaign not found"]}
    assert api.post(CONTENT, {"title": "  "}, format="json").json().keys() == {"title"}


def test_content_in_use_cannot_be_deleted(api, workspace):
    post = PostFactory(workspace=workspace)
    response = api.delete(f"{CONTENT}/{post.content_item_id}")
    assert response.status_code == 400
    assert "archive" in str(response.json())
    unused = ContentItemFactory(workspace=workspace)
    assert api.delete(f"{CONTENT}/{unused.pk}").status_code == 204


def test_another_workspaces_content_is_a_404(api, other_workspace):
    item = ContentItemFactory(workspace=other_workspace)
    assert api.get(f"{CONTENT}/{item.pk}").status_code == 404
    assert api.delete(f"{CONTENT}/{item.pk}").status_code == 404
    assert ContentItem.objects.filter(pk=item.pk).exists()


def test_the_admin_tops_off_and_pauses_channels(admin_client: Client, workspace):
    channel = ChannelAccountFactory(workspace=workspace)
    url = "/admin/marketing/channelaccount/"
    response = admin_client.post(url, {"action": "top_off_now", "_selected_action": [channel.pk]})
    assert response.status_code == 302
    assert Post.objects.filter(channel_account=channel).count() == 28
    admin_client.post(url, {"action": "pause", "_selected_action": [channel.pk]})
    channel.refresh_from_db()
    assert channel.is_paused
    assert admin_client.get(url).status_code == 200
    assert admin_client.get("/admin/marketing/post/?status=planned").status_code == 200


def test_the_demo_has_channels_slots_and_one_wave_of_each_type():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # idempotent
    assert ChannelAccount.objects.count() == 4
    assert set(Wave.objects.values_list("type", flat=True)) == {
        "simultaneous",
        "staggered",
        "independent",
    }
    assert Wave.objects.count() == 3
    assert Post.objects.filter(status="planned").exists()
    assert not Post.objects.filter(wave__isnull=False).exclude(status="scheduled").exists()


def test_deleting_a_workspace_takes_its_channels_content_posts_and_waves(workspace, make_channel):
    from marketing import services

    channel = make_channel()
    video = ContentItemFactory(workspace=workspace)
    with time_machine.travel(datetime(2026, 1, 5, tzinfo=UTC), tick=False):
        services.topoff_slots(workspace=workspace)
        services.wave_create(
            workspace=workspace,
            content_item_id=video.pk,
            type="independent",
            channel_ids=[channel.pk],
        )
    workspace.delete()
    assert (Post.objects.count(), Wave.objects.count(), ContentItem.objects.count()) == (0, 0, 0)


def test_deleting_a_channel_takes_its_slots_but_not_while_publishing(api, workspace, make_channel):
    channel = make_channel()
    busy = make_channel()
    PostFactory(workspace=workspace, channel_account=channel)
    PostFactory(workspace=workspace, channel_account=busy, status="publishing")
    assert api.delete(f"{CHANNELS}/{channel.pk}").status_code == 204
    refused = api.delete(f"{CHANNELS}/{busy.pk}")
    assert refused.status_code == 400
    assert "channel" in refused.json()
    assert Post.objects.count() == 1


def test_content_of_an_archived_campaign_is_read_only(api, workspace):
    from campaigns import lifecycle
    from campaigns.tests.factories import CampaignFactory

    campaign = CampaignFactory(workspace=workspace)
    linked = ContentItemFactory(workspace=workspace, campaign=campaign, title="Kept")
    archived = lifecycle.campaign_archive(campaign=campaign)
    refused = api.post(CONTENT, {"title": "Teaser", "campaign": str(archived.pk)}, format="json")
    assert refused.status_code == 400
    assert "archived campaigns are read-only" in refused.json()["campaign"][0]

    edited = api.patch(f"{CONTENT}/{linked.pk}", {"title": "Changed"}, format="json")
    assert edited.status_code == 400
    assert "archived campaigns are read-only" in edited.json()["campaign"][0]
    linked.refresh_from_db()
    assert linked.title == "Kept"

    free = ContentItemFactory(workspace=workspace)
    moved = api.patch(f"{CONTENT}/{free.pk}", {"campaign": str(archived.pk)}, format="json")
    assert moved.status_code == 400
    free.refresh_from_db()
    assert free.campaign_id is None

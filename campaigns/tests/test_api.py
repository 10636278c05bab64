"""The campaign endpoints as the seed shows them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory
from templates_lib.tests.factories import JobTemplateFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/campaigns"

SEED_CAMPAIGN = {
    "name": "Forbes Publisher Campaign",
    "description": "All Forbes content generation",
    "color": "#1E88E5",
    "tags": ["publisher:forbes", "2025-q1"],
    "target_job_count": 50,
    "target_budget_usd": 500.00,
    "start_date": "2025-11-01T00:00:00Z",
    "end_date": "2025-12-31T23:59:59Z",
}


def test_seed_create_example_answers_201_with_every_field(api, user, workspace):
    response = api.post(URL, SEED_CAMPAIGN, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Forbes Publisher Campaign"
    assert body["status"] == "active"
    assert body["tags"] == ["publisher:forbes", "2025-q1"]
    assert body["target_budget_usd"] == "500.00"
    assert body["start_date"] == "2025-11-01T00:00:00Z"
    assert body["workspace"] == str(workspace.pk)
    campaign = Campaign.objects.get(pk=body["id"])
    assert campaign.created_by == user


def test_create_in_a_named_workspace_of_mine(api, user):
    from workspaces.tests.factories import WorkspaceFactory

    team = WorkspaceFactory(owner=user)

    response = api.post(URL, {"name": "Team plan", "workspace": str(team.pk)}, format="json")

    assert response.status_code == 201
    assert response.json()["workspace"] == str(team.pk)


def test_create_in_someone_elses_workspace_is_workspace_not_found(api, other_workspace):
    response = api.post(
        URL, {"name": "Sneaky", "workspace": str(other_workspace.pk)}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"workspace": ["workspace not found"]}
    assert not Campaign.objects.exists()


def test_seed_put_example_with_a_partial_body_pauses_the_campaign(api, workspace):
    campaign = CampaignFactory(workspace=workspace, name="Forbes", description="old")

    response = api.put(
        f"{URL}/{campaign.pk}",
        {"status": "paused", "description": "Paused due to budget review"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    campaign.refresh_from_db()
    assert campaign.status == "paused"
    assert campaign.description == "Paused due to budget review"
    assert campaign.name == "Forbes"


def test_patch_changes_only_the_fields_sent(api, workspace):
    campaign = CampaignFactory(workspace=workspace, color="#000000", tags=["a"])

    response = api.patch(f"{URL}/{campaign.pk}/", {"color": "#FF5733"}, format="json")

    assert response.status_code == 200
    assert response.json()["color"] == "#FF5733"
    assert response.json()["tags"] == ["a"]


def test_an_edit_cannot_move_a_campaign_to_another_workspace(api, workspace, other_workspace):
    campaign = CampaignFactory(workspace=workspace)

    response = api.patch(
        f"{URL}/{campaign.pk}", {"workspace": str(other_workspace.pk)}, format="json"
    )

    assert response.status_code == 200
    campaign.refresh_from_db()
    assert campaign.workspace == workspace


def test_get_one_campaign(api, workspace):
    campaign = CampaignFactory(workspace=workspace, name="Read me")

    response = api.get(f"{URL}/{campaign.pk}")

    assert response.status_code == 200
    assert response.json()["name"] == "Read me"


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_unknown_or_malformed_id_is_404(api, bad_id):
    assert api.get(f"{URL}/{bad_id}").status_code == 404


def test_delete_removes_the_campaign_and_its_templates(api, workspace):
    campaign = CampaignFactory(workspace=workspace)
    JobTemplateFactory(workspace=workspace, campaign=campaign)

    response = api.delete(f"{URL}/{campaign.pk}")

    assert response.status_code == 204
    assert not Campaign.objects.filter(pk=campaign.pk).exists()
    assert not campaign.templates.exists()
    assert api.get(f"{URL}/{campaign.pk}").status_code == 404


def test_list_shows_only_my_workspaces_campaigns_newest_first(api, workspace, other_workspace):
    with time_machine.travel(datetime(2025, 1, 1, tzinfo=UTC), tick=False):
        CampaignFactory(workspace=workspace, name="Older")
    with time_machine.travel(datetime(2025, 1, 2, tzinfo=UTC), tick=False):
        CampaignFactory(workspace=workspace, name="Newer")
    CampaignFactory(workspace=other_workspace, name="Theirs")

    body = api.get(URL).json()

    assert body["count"] == 2
    assert [row["name"] for row in body["results"]] == ["Newer", "Older"]


def test_list_filters_by_status_and_tag(api, workspace):
    CampaignFactory(workspace=workspace, name="Live", tags=["publisher:forbes"])
    CampaignFactory(workspace=workspace, name="Stopped", status="paused", tags=["seo"])

    def names(query):
        return [row["name"] for row in api.get(f"{URL}?{query}").json()["results"]]

    assert names("status=active") == ["Live"]
    assert names("status=paused") == ["Stopped"]
    assert names("tag=publisher:forbes") == ["Live"]
    assert names("tag=seo&status=active") == []
    assert names("tag=nothing") == []


def test_list_searches_name_and_description(api, workspace):
    CampaignFactory(workspace=workspace, name="Forbes Q1")
    CampaignFactory(workspace=workspace, name="Other", description="mentions FORBES too")
    CampaignFactory(workspace=workspace, name="Unrelated")

    body = api.get(f"{URL}?search=forbes").json()

    assert sorted(row["name"] for row in body["results"]) == ["Forbes Q1", "Other"]


def test_list_orders_by_a_named_field_both_ways(api, workspace):
    for name in ["Bravo", "Alpha", "Charlie"]:
        CampaignFactory(workspace=workspace, name=name)

    ascending = [row["name"] for row in api.get(f"{URL}?ordering=name").json()["results"]]
    descending = [row["name"] for row in api.get(f"{URL}?ordering=-name").json()["results"]]

    assert ascending == ["Alpha", "Bravo", "Charlie"]
    assert descending == ["Charlie", "Bravo", "Alpha"]


def test_list_is_paginated_with_page_and_page_size(api, workspace):
    for n in range(5):
        CampaignFactory(workspace=workspace, name=f"C{n}")

    first = api.get(f"{URL}?ordering=name&page_size=2").json()
    third = api.get(f"{URL}?ordering=name&page_size=2&page=3").json()

    assert first["count"] == 5
    assert [row["name"] for row in first["results"]] == ["C0", "C1"]
    assert first["next"] is not None
    assert [row["name"] for row in third["results"]] == ["C4"]
    assert third["next"] is None
    assert api.get(f"{URL}?page=99").status_code == 404


def test_list_narrows_to_one_workspace_by_id_or_slug(api, user, workspace):
    from workspaces.tests.factories import WorkspaceFactory

    team = WorkspaceFactory(owner=user, name="Team")
    CampaignFactory(workspace=workspace, name="Mine")
    CampaignFactory(workspace=team, name="Team's")

    by_id = api.get(f"{URL}?workspace={team.pk}").json()["results"]
    by_slug = api.get(f"{URL}?workspace={team.slug}").json()["results"]

    assert [row["name"] for row in by_id] == ["Team's"]
    assert [row["name"] for row in by_slug] == ["Team's"]


def test_list_narrowed_to_someone_elses_workspace_is_empty(api, other_workspace):
    CampaignFactory(workspace=other_workspace)

    assert api.get(f"{URL}?workspace={other_workspace.pk}").json()["count"] == 0

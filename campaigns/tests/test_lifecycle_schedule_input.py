"""POST /campaigns/schedule names the campaign `campaign_id` like every other endpoint;
`campaign` (its original name) still works. Exactly one of the two, or a new name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/campaigns/schedule"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize("key", ["campaign_id", "campaign"])
def test_the_campaign_is_named_by_campaign_id_or_its_alias_campaign(api, workspace, key):
    campaign = CampaignFactory(workspace=workspace)

    response = api.post(
        URL, {key: str(campaign.pk), "scheduled_at": "2026-12-01T09:00:00Z"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["id"] == str(campaign.pk)
    assert response.json()["scheduled_at"] == "2026-12-01T09:00:00Z"
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PAUSED


def test_both_names_at_once_is_a_400(api, workspace):
    campaign = CampaignFactory(workspace=workspace)

    response = api.post(
        URL,
        {
            "campaign_id": str(campaign.pk),
            "campaign": str(campaign.pk),
            "scheduled_at": "2026-12-01T09:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 400
    assert "not both" in response.json()["campaign_id"][0]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE


def test_another_workspaces_campaign_id_is_a_404(api, other_workspace):
    theirs = CampaignFactory(workspace=other_workspace)

    response = api.post(
        URL, {"campaign_id": str(theirs.pk), "scheduled_at": "2026-12-01T09:00:00Z"}, format="json"
    )

    assert response.status_code == 404


def test_a_new_campaigns_fields_are_known_to_the_schedule_call(api, workspace):
    response = api.post(
        URL,
        {
            "name": "Launch",
            "description": "Made and scheduled in one call",
            "color": "#112233",
            "tags": ["launch"],
            "workspace": str(workspace.pk),
            "scheduled_at": "2026-12-01T09:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["description"] == "Made and scheduled in one call"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scheduled_at": "9999-12-31T23:00:00Z"}, "scheduled_at"),
        ({"scheduled_at": "2200-12-31T23:00:00-05:00"}, "scheduled_at"),
        (
            {
                "scheduled_at": "2026-12-01T09:00:00Z",
                "recurrence": {"type": "daily", "end_date": "2201-01-01T00:00:00Z"},
            },
            "recurrence_end_date",
        ),
    ],
)
def test_a_start_or_end_outside_1970_to_2200_is_a_400_naming_it(api, workspace, body, field):
    campaign = CampaignFactory(workspace=workspace)

    response = api.post(URL, {"campaign_id": str(campaign.pk), **body}, format="json")

    assert response.status_code == 400
    assert response.json()[field] == ["The year must be from 1970 to 2200."]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE

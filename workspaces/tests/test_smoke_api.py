from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_new_user_gets_a_personal_workspace_as_owner(api, user):
    response = api.get("/api/v1/workspaces")
    assert response.status_code == 200
    [mine] = response.json()["results"]
    assert mine["role"] == "owner"
    assert mine["name"] == "alice's workspace"


def test_seed_campaign_example_creates_a_campaign(api):
    response = api.post(
        "/api/v1/campaigns",
        {
            "name": "Forbes Publisher Campaign",
            "description": "All Forbes content generation",
            "color": "#1E88E5",
            "tags": ["publisher:forbes", "2025-q1"],
            "target_job_count": 50,
            "target_budget_usd": 500.00,
            "start_date": "2025-11-01T00:00:00Z",
            "end_date": "2025-12-31T23:59:59Z",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["target_budget_usd"] == "500.00"
    assert api.get("/api/v1/campaigns?tag=publisher:forbes").json()["count"] == 1
    assert api.get("/api/v1/campaigns?tag=other").json()["count"] == 0

"""The seed's curl examples, sent the way curl sends them, over a real token."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

CURL_FORM = "application/x-www-form-urlencoded"  # what `curl -d` sends without -H


@pytest.fixture
def curl(user):
    client = APIClient()
    tokens = client.post(
        "/api/v1/auth/token/",
        {"username": "alice", "password": "pw-for-tests-123"},
        format="json",
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client


def post_as_curl(client, url, body: dict):
    return client.generic("POST", url, json.dumps(body), content_type=CURL_FORM)


def test_use_case_one_without_a_content_type_header_creates_campaign_and_template(curl):
    campaign = post_as_curl(
        curl,
        "/api/v1/campaigns",
        {
            "name": "Forbes Q1 2025",
            "description": "Forbes content generation for Q1",
            "tags": ["publisher:forbes", "q1-2025"],
            "target_job_count": 90,
            "start_date": "2025-01-01T00:00:00Z",
            "end_date": "2025-03-31T23:59:59Z",
        },
    )
    assert campaign.status_code == 201, campaign.json()

    template = post_as_curl(
        curl,
        "/api/v1/templates",
        {
            "name": "Forbes Expert Template",
            "campaign_id": campaign.json()["id"],
            "publisher_domain": "forbes.com",
            "llm_provider": "anthropic",
            "llm_model": "claude-3-5-sonnet-20241022",
            "writing_strategy": "expert",
        },
    )
    assert template.status_code == 201, template.json()
    assert template.json()["campaign_id"] == campaign.json()["id"]

    stats = curl.get(f"/api/v1/campaigns/{campaign.json()['id']}/stats").json()
    assert stats["total_templates"] == 1
    assert stats["job_count_progress"] == 0.0


def test_use_case_two_client_campaigns_are_listed(curl):
    post_as_curl(curl, "/api/v1/campaigns", {"name": "Client A - SEO Campaign", "color": "#FF5733"})
    post_as_curl(
        curl, "/api/v1/campaigns", {"name": "Client B - Content Marketing", "color": "#33FF57"}
    )

    names = sorted(row["name"] for row in curl.get("/api/v1/campaigns").json()["results"])

    assert names == ["Client A - SEO Campaign", "Client B - Content Marketing"]


def test_a_real_form_body_is_still_read_as_a_form(curl):
    response = curl.generic(
        "POST", "/api/v1/campaigns", "name=From+a+form&color=%23FF5733", content_type=CURL_FORM
    )

    assert response.status_code == 201
    assert (response.json()["name"], response.json()["color"]) == ("From a form", "#FF5733")


def test_broken_json_in_a_form_body_is_a_400(curl):
    response = curl.generic("POST", "/api/v1/campaigns", '{"name": ', content_type=CURL_FORM)

    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]

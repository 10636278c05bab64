"""Every campaign input rule answers a 400 naming the field, and writes nothing."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/campaigns"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "   "),
        ("name", "x" * 256),
        ("name", " " + "x" * 256 + " "),
        ("color", "blue"),
        ("color", "#12345"),
        ("color", "#1234567"),
        ("color", "#GGGGGG"),
        ("color", "1E88E5"),
        ("target_job_count", -1),
        ("target_job_count", "many"),
        ("target_budget_usd", -0.01),
        ("target_budget_usd", "12.345"),
        ("target_budget_usd", "abc"),
        ("tags", "seo"),
        ("tags", [""]),
        ("tags", ["   "]),
        ("tags", [1]),
        ("tags", [None]),
        ("tags", ["x" * 65]),
        ("tags", [f"tag{n}" for n in range(51)]),
        ("tags", None),
        ("tags", ["nul\x00byte"]),
        ("name", "nul\x00byte"),
        ("status", "deleted"),
        ("status", "ACTIVE"),
        ("start_date", "yesterday"),
    ],
)
def test_bad_campaign_input_is_a_400_naming_the_field(api, field, value):
    response = api.post(URL, {"name": "Valid name", field: value}, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert not Campaign.objects.exists()


def test_end_date_before_start_date_is_refused_on_create(api):
    response = api.post(
        URL,
        {"name": "Q1", "start_date": "2025-03-01T00:00:00Z", "end_date": "2025-01-01T00:00:00Z"},
        format="json",
    )

    assert response.status_code == 400
    assert "end_date" in response.json()


def test_end_date_before_the_stored_start_date_is_refused_on_update(api, workspace):
    campaign = CampaignFactory(workspace=workspace, start_date="2025-03-01T00:00:00Z")

    response = api.patch(
        f"{URL}/{campaign.pk}", {"end_date": "2025-01-01T00:00:00Z"}, format="json"
    )

    assert response.status_code == 400
    assert "end_date" in response.json()
    campaign.refresh_from_db()
    assert campaign.end_date is None


def test_name_is_trimmed_and_255_characters_fit(api):
    response = api.post(URL, {"name": "  " + "x" * 255 + "  "}, format="json")

    assert response.status_code == 201
    assert response.json()["name"] == "x" * 255


def test_tags_are_trimmed_and_deduplicated_keeping_the_first_spelling(api):
    response = api.post(
        URL, {"name": "Tags", "tags": [" SEO ", "seo", "q1", "Q1 ", "news"]}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["tags"] == ["SEO", "q1", "news"]


def test_fifty_tags_of_64_characters_are_accepted(api):
    tags = [f"{n:02d}" + "x" * 62 for n in range(50)]

    response = api.post(URL, {"name": "Many tags", "tags": tags}, format="json")

    assert response.status_code == 201
    assert response.json()["tags"] == tags


def test_more_than_fifty_tags_counts_after_deduplication(api):
    tags = ["same"] * 60 + [f"t{n}" for n in range(49)]

    response = api.post(URL, {"name": "Dupes", "tags": tags}, format="json")

    assert response.status_code == 201
    assert len(response.json()["tags"]) == 50


def test_budget_keeps_two_decimal_places_and_zero_targets_are_allowed(api):
    response = api.post(
        URL,
        {"name": "Budget", "target_budget_usd": 0, "target_job_count": 0},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["target_budget_usd"] == "0.00"
    assert response.json()["target_job_count"] == 0


def test_the_seeds_everyday_statuses_are_accepted(api):
    # "archived" goes through the archive lifecycle (it stamps archived_at).
    for status in ["active", "paused", "completed"]:
        response = api.post(URL, {"name": status, "status": status}, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["status"] == status


def test_database_refuses_an_unknown_status_written_around_the_service(workspace):
    campaign = CampaignFactory(workspace=workspace)

    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(status="deleted")

    campaign.refresh_from_db()
    assert campaign.status == "active"


def test_unknown_status_filter_is_a_400_naming_status(api):
    response = api.get(f"{URL}?status=deleted")

    assert response.status_code == 400
    assert "status" in response.json()

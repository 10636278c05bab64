"""Every job-template input rule answers a 400 naming the field, and writes nothing."""

from __future__ import annotations

import pytest

from campaigns.tests.factories import CampaignFactory
from templates_lib.models import JobTemplate

pytestmark = pytest.mark.django_db

URL = "/api/v1/templates"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "  "),
        ("name", "x" * 256),
        ("llm_provider", "mistral"),
        ("llm_provider", "Anthropic"),
        ("writing_strategy", "casual"),
        ("country", "zz"),
        ("country", "usa"),
        ("country", "u"),
        ("country", "12"),
        ("language", "english"),
        ("language", "en_GB"),
        ("language", "e"),
        ("language", "en-"),
        ("max_retries", -1),
        ("max_retries", 11),
        ("batch_size", 0),
        ("batch_size", 101),
        ("metadata", ["not", "an", "object"]),
        ("metadata", "tone=professional"),
        ("metadata", 5),
        ("metadata", None),
        ("metadata", {"blob": "x" * (16 * 1024)}),
        ("metadata", {"nested": [{"nul": "a\x00b"}]}),
        ("metadata", {"key\x00": 1}),
        ("publisher_domain", "https://forbes.com"),
        ("publisher_domain", "forbes"),
        ("publisher_domain", "forbes .com"),
        ("publisher_domain", "-forbes.com"),
        ("publisher_domain", "forbes.com/path"),
        ("tags", [""]),
        ("tags", ["x" * 65]),
        ("tags", [f"t{n}" for n in range(51)]),
        ("tags", "forbes"),
        ("campaign_id", "not-a-uuid"),
        ("campaign_id", "00000000-0000-0000-0000-000000000000"),
    ],
)
def test_bad_template_input_is_a_400_naming_the_field(api, field, value):
    response = api.post(URL, {"name": "Valid", field: value}, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert not JobTemplate.objects.exists()


def test_a_campaign_of_another_workspace_is_campaign_not_found(api, other_workspace):
    theirs = CampaignFactory(workspace=other_workspace)

    response = api.post(URL, {"name": "Borrow", "campaign_id": str(theirs.pk)}, format="json")

    assert response.status_code == 400
    assert response.json() == {"campaign_id": ["campaign not found"]}
    assert not JobTemplate.objects.exists()


def test_moving_a_template_to_another_workspaces_campaign_is_campaign_not_found(
    api, workspace, other_workspace
):
    from templates_lib.tests.factories import JobTemplateFactory

    template = JobTemplateFactory(workspace=workspace)
    theirs = CampaignFactory(workspace=other_workspace)

    response = api.put(f"{URL}/{template.pk}", {"campaign_id": str(theirs.pk)}, format="json")

    assert response.status_code == 400
    assert response.json() == {"campaign_id": ["campaign not found"]}
    template.refresh_from_db()
    assert template.campaign is None


@pytest.mark.parametrize(
    ("given", "stored"), [("US", "us"), ("us", "us"), (" Gb ", "gb"), ("UK", "uk"), ("uk", "uk")]
)
def test_country_is_case_insensitive_and_stored_lower_case(api, given, stored):
    response = api.post(URL, {"name": "Country", "country": given}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["country"] == stored
    assert JobTemplate.objects.get().country == stored


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("en", "en"),
        ("en-GB", "en-GB"),
        ("en-gb", "en-GB"),
        ("zh-Hant-TW", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("FR", "fr"),
    ],
)
def test_language_accepts_bcp47_tags_in_canonical_case(api, given, stored):
    response = api.post(URL, {"name": "Language", "language": given}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["language"] == stored


def test_boundaries_of_retries_and_batch_size_are_accepted(api):
    low = api.post(URL, {"name": "Low", "max_retries": 0, "batch_size": 1}, format="json")
    high = api.post(URL, {"name": "High", "max_retries": 10, "batch_size": 100}, format="json")

    assert low.status_code == 201
    assert high.status_code == 201
    assert (high.json()["max_retries"], high.json()["batch_size"]) == (10, 100)


def test_metadata_just_under_16_kb_is_accepted(api):
    metadata = {"blob": "x" * (16 * 1024 - 20)}

    response = api.post(URL, {"name": "Big", "metadata": metadata}, format="json")

    assert response.status_code == 201
    assert response.json()["metadata"] == metadata


def test_publisher_domain_is_stored_lower_case_without_a_trailing_dot(api):
    response = api.post(URL, {"name": "Host", "publisher_domain": "News.BBC.co.uk."}, format="json")

    assert response.status_code == 201
    assert response.json()["publisher_domain"] == "news.bbc.co.uk"


def test_use_count_and_last_used_at_cannot_be_written(api, workspace):
    created = api.post(
        URL,
        {"name": "Counted", "use_count": 99, "last_used_at": "2025-01-01T00:00:00Z"},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["use_count"] == 0
    assert created.json()["last_used_at"] is None

    updated = api.put(
        f"{URL}/{created.json()['id']}",
        {"use_count": 5, "last_used_at": "2025-01-01T00:00:00Z"},
        format="json",
    )

    assert updated.status_code == 200
    template = JobTemplate.objects.get()
    assert template.use_count == 0
    assert template.last_used_at is None

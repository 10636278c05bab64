"""The template endpoints as the seed shows them."""

from __future__ import annotations

import pytest

from campaigns.tests.factories import CampaignFactory
from templates_lib.models import JobTemplate
from templates_lib.tests.factories import JobTemplateFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/templates"


def seed_template(campaign_id) -> dict:
    return {
        "name": "Forbes Standard Template",
        "description": "Standard configuration for Forbes content",
        "campaign_id": str(campaign_id),
        "publisher_domain": "forbes.com",
        "llm_provider": "anthropic",
        "llm_model": "claude-3-5-sonnet-20241022",
        "writing_strategy": "expert",
        "country": "us",
        "language": "en",
        "max_retries": 3,
        "batch_size": 1,
        "tags": ["forbes", "expert"],
        "metadata": {"tone": "professional", "target_audience": "business executives"},
    }


def test_seed_create_example_answers_201_linked_to_my_campaign(api, user, workspace):
    campaign = CampaignFactory(workspace=workspace)

    response = api.post(URL, seed_template(campaign.pk), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["campaign_id"] == str(campaign.pk)
    assert body["metadata"] == {"tone": "professional", "target_audience": "business executives"}
    assert body["use_count"] == 0
    assert body["is_favorite"] is False
    assert JobTemplate.objects.get(pk=body["id"]).created_by == user


def test_a_template_needs_only_a_name_and_takes_defaults(api):
    response = api.post(URL, {"name": "Bare"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["llm_provider"], body["writing_strategy"]) == ("anthropic", "standard")
    assert (body["max_retries"], body["batch_size"]) == (3, 1)
    assert body["campaign_id"] is None


def test_seed_put_example_with_a_partial_body_changes_the_strategy(api, workspace):
    template = JobTemplateFactory(workspace=workspace, name="Keep me")

    response = api.put(
        f"{URL}/{template.pk}",
        {"writing_strategy": "comprehensive", "description": "Updated to comprehensive strategy"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    template.refresh_from_db()
    assert template.writing_strategy == "comprehensive"
    assert template.description == "Updated to comprehensive strategy"
    assert template.name == "Keep me"


def test_patch_can_unlink_the_campaign(api, workspace):
    template = JobTemplateFactory(
        workspace=workspace, campaign=CampaignFactory(workspace=workspace)
    )

    response = api.patch(f"{URL}/{template.pk}", {"campaign_id": None}, format="json")

    assert response.status_code == 200
    assert response.json()["campaign_id"] is None


def test_get_and_delete_one_template(api, workspace):
    template = JobTemplateFactory(workspace=workspace, name="Short-lived")

    assert api.get(f"{URL}/{template.pk}").json()["name"] == "Short-lived"
    assert api.delete(f"{URL}/{template.pk}").status_code == 204
    assert api.get(f"{URL}/{template.pk}").status_code == 404


def test_favorite_toggles_and_returns_the_template(api, workspace):
    template = JobTemplateFactory(workspace=workspace)

    first = api.post(f"{URL}/{template.pk}/favorite")
    second = api.post(f"{URL}/{template.pk}/favorite")

    assert first.status_code == 200
    assert first.json()["id"] == str(template.pk)
    assert first.json()["is_favorite"] is True
    assert second.json()["is_favorite"] is False


def test_list_puts_favourites_first_then_by_name(api, workspace, other_workspace):
    JobTemplateFactory(workspace=workspace, name="Beta")
    JobTemplateFactory(workspace=workspace, name="Zulu", is_favorite=True)
    JobTemplateFactory(workspace=workspace, name="Alpha")
    JobTemplateFactory(workspace=other_workspace, name="Theirs")

    names = [row["name"] for row in api.get(URL).json()["results"]]

    assert names == ["Zulu", "Alpha", "Beta"]


def test_list_filters_by_campaign_favourites_tag_and_search(api, workspace):
    campaign = CampaignFactory(workspace=workspace)
    JobTemplateFactory(
        workspace=workspace,
        name="Forbes Expert",
        campaign=campaign,
        tags=["forbes"],
        is_favorite=True,
    )
    JobTemplateFactory(
        workspace=workspace, name="TechCrunch", publisher_domain="techcrunch.com", tags=["tech"]
    )

    def names(query):
        response = api.get(f"{URL}?{query}")
        assert response.status_code == 200, response.json()
        return [row["name"] for row in response.json()["results"]]

    assert names(f"campaign_id={campaign.pk}") == ["Forbes Expert"]
    assert names("favorites_only=true") == ["Forbes Expert"]
    assert names("favorites_only=false") == ["Forbes Expert", "TechCrunch"]
    assert names("tag=tech") == ["TechCrunch"]
    assert names("search=techcrunch.com") == ["TechCrunch"]
    assert names("ordering=-name") == ["TechCrunch", "Forbes Expert"]


def test_a_malformed_campaign_filter_is_a_400_naming_it(api):
    response = api.get(f"{URL}?campaign_id=abc-123")

    assert response.status_code == 400
    assert "campaign_id" in response.json()


def test_seed_use_case_three_builds_a_template_library(api):
    created = {}
    for name, domain, strategy, tags in [
        ("Forbes Expert", "forbes.com", "expert", ["forbes", "expert"]),
        ("TechCrunch Standard", "techcrunch.com", "standard", ["techcrunch", "tech"]),
        ("HuffPost Comprehensive", "huffpost.com", "comprehensive", ["huffpost", "news"]),
    ]:
        response = api.post(
            URL,
            {"name": name, "publisher_domain": domain, "writing_strategy": strategy, "tags": tags},
            format="json",
        )
        assert response.status_code == 201
        created[name] = response.json()["id"]

    api.post(f"{URL}/{created['Forbes Expert']}/favorite")
    api.post(f"{URL}/{created['TechCrunch Standard']}/favorite")
    favourites = api.get(f"{URL}?favorites_only=true").json()["results"]

    assert sorted(row["name"] for row in favourites) == ["Forbes Expert", "TechCrunch Standard"]


def test_list_narrows_to_one_of_my_workspaces(api, user, workspace, other_workspace):
    from workspaces.tests.factories import WorkspaceFactory

    team = WorkspaceFactory(owner=user)
    JobTemplateFactory(workspace=workspace, name="Personal")
    JobTemplateFactory(workspace=team, name="Team")
    JobTemplateFactory(workspace=other_workspace, name="Theirs")

    def names(query):
        return [row["name"] for row in api.get(f"{URL}?{query}").json()["results"]]

    assert names(f"workspace={team.slug}") == ["Team"]
    assert names(f"workspace={workspace.pk}") == ["Personal"]
    assert names(f"workspace={other_workspace.pk}") == []


@pytest.mark.parametrize("format", ["multipart", "form"])
def test_a_form_metadata_of_null_is_a_400_not_a_500(api, workspace, format):
    # The JSON null is refused before parsing; the form value "null" only after.
    template = JobTemplateFactory(workspace=workspace, metadata={"tone": "dry"})
    if format == "form":
        post = api.post(
            URL, "name=T&metadata=null", content_type="application/x-www-form-urlencoded"
        )
        patch = api.patch(
            f"{URL}/{template.pk}",
            "metadata=null",
            content_type="application/x-www-form-urlencoded",
        )
    else:
        post = api.post(URL, {"name": "T", "metadata": "null"}, format="multipart")
        patch = api.patch(f"{URL}/{template.pk}", {"metadata": "null"}, format="multipart")

    for response in (post, patch):
        assert response.status_code == 400, response.content
        assert response.json()["metadata"] == ["This field may not be null."]
    template.refresh_from_db()
    assert template.metadata == {"tone": "dry"}


def test_a_workspace_filter_that_cannot_be_a_slug_narrows_to_nothing(api, workspace):
    # A NUL byte reached the slug lookup and PostgreSQL refused it (a 500).
    JobTemplateFactory(workspace=workspace)

    response = api.get(URL, {"workspace": "team\x00"})

    assert response.status_code == 200
    assert response.json()["results"] == []

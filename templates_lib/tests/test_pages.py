from __future__ import annotations

import pytest

from campaigns.tests.factories import CampaignFactory
from jobs.models import Job
from templates_lib.models import JobTemplate
from templates_lib.tests.factories import JobTemplateFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def test_library_lists_favourites_first(page_client, workspace):
    JobTemplateFactory(workspace=workspace, name="Alpha")
    JobTemplateFactory(workspace=workspace, name="Zulu", is_favorite=True)
    body = page_client.get("/templates/").content.decode()
    assert body.index("Zulu") < body.index("Alpha")


def test_library_filters_by_tag_and_campaign(page_client, workspace):
    campaign = CampaignFactory(workspace=workspace)
    JobTemplateFactory(workspace=workspace, name="Tagged", tags=["seo"])
    JobTemplateFactory(workspace=workspace, name="In campaign", campaign=campaign)
    by_tag = page_client.get("/templates/?tag=seo", HTTP_HX_TARGET="template-cards", **HX)
    assert "Tagged" in by_tag.content.decode()
    assert "In campaign" not in by_tag.content.decode()
    assert "<html" not in by_tag.content.decode()
    by_campaign = page_client.get(f"/templates/?campaign={campaign.pk}").content.decode()
    assert "In campaign" in by_campaign and "Tagged" not in by_campaign
    assert page_client.get("/templates/?campaign=garbage").status_code == 200


def test_star_toggles_and_answers_htmx_with_the_card_and_a_toast(page_client, workspace):
    template = JobTemplateFactory(workspace=workspace, name="Starry")
    response = page_client.post(f"/templates/{template.pk}/favorite/", **HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.strip().startswith(
        f'<article class="card tpl-card is-favorite" id="template-{template.pk}"'
    )
    assert "Added to favourites." in response["HX-Trigger"]
    template.refresh_from_db()
    assert template.is_favorite


def test_use_creates_a_job_with_the_overrides(page_client, workspace):
    template = JobTemplateFactory(workspace=workspace, name="Brief", batch_size=1)
    response = page_client.post(
        f"/templates/{template.pk}/use/", {"batch_size": "5", "country": "DE"}
    )
    job = Job.objects.get(template=template)
    assert response.status_code == 302
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert job.config["batch_size"] == 5
    assert job.config["country"] == "de"
    template.refresh_from_db()
    assert template.use_count == 1


def test_use_with_bad_overrides_shows_inline_errors_and_creates_nothing(page_client, workspace):
    template = JobTemplateFactory(workspace=workspace)
    response = page_client.post(
        f"/templates/{template.pk}/use/", {"batch_size": "500", "country": "Narnia"}, **HX
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_batch_size_error"' in body and 'id="id_country_error"' in body
    assert not Job.objects.exists()


def test_create_and_edit_validate_inline(page_client, workspace):
    response = page_client.post(
        "/templates/new/",
        {
            "workspace": workspace.pk,
            "name": "  ",
            "llm_provider": "anthropic",
            "writing_strategy": "standard",
            "max_retries": 3,
            "batch_size": 1,
            "metadata": "[1, 2]",
            "publisher_domain": "not a host",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_name_error"' in body
    assert 'id="id_metadata_error"' in body
    assert 'id="id_publisher_domain_error"' in body
    page_client.post(
        "/templates/new/",
        {
            "workspace": workspace.pk,
            "name": "Made",
            "llm_provider": "openai",
            "writing_strategy": "expert",
            "max_retries": 2,
            "batch_size": 3,
            "metadata": '{"topic": "x"}',
            "tags": "x, y",
        },
    )
    made = JobTemplate.objects.get(name="Made")
    assert made.metadata == {"topic": "x"} and made.tags == ["x", "y"]
    page_client.post(
        f"/templates/{made.pk}/edit/",
        {
            "name": "Renamed",
            "llm_provider": "openai",
            "writing_strategy": "expert",
            "max_retries": 2,
            "batch_size": 3,
            "metadata": "{}",
        },
    )
    made.refresh_from_db()
    assert made.name == "Renamed"


def test_strangers_templates_are_not_found_and_viewers_cannot_star(
    page_client, viewer_client, workspace, other_workspace
):
    stranger = JobTemplateFactory(workspace=other_workspace)
    assert page_client.post(f"/templates/{stranger.pk}/favorite/").status_code == 404
    assert page_client.get(f"/templates/{stranger.pk}/use/").status_code == 404
    mine = JobTemplateFactory(workspace=workspace)
    assert viewer_client.post(f"/templates/{mine.pk}/favorite/").status_code == 403


@pytest.fixture
def small_pages(monkeypatch):
    from templates_lib import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)


def card_names(body: str) -> list[str]:
    import re

    return re.findall(
        r'id="template-[^"]+">\s*<header class="tpl-head">\s*<h2>([^<]+)</h2>',
        body,
    )


def test_library_pages_keep_favourites_first_across_pages(page_client, workspace, small_pages):
    for name in ["Alpha", "Bravo", "Charlie"]:
        JobTemplateFactory(workspace=workspace, name=name)
    for name in ["Yankee", "Zulu"]:
        JobTemplateFactory(workspace=workspace, name=name, is_favorite=True)

    first = page_client.get("/templates/").content.decode()
    second = page_client.get("/templates/?page=2").content.decode()
    third = page_client.get("/templates/?page=3").content.decode()

    assert card_names(first) == ["Yankee", "Zulu"]
    assert card_names(second) == ["Alpha", "Bravo"]
    assert card_names(third) == ["Charlie"]
    assert "Page 1 of 3" in first and "5 templates" in first
    # Out-of-range or garbled page numbers land on a real page, never an error.
    assert card_names(page_client.get("/templates/?page=99").content.decode()) == ["Charlie"]
    assert card_names(page_client.get("/templates/?page=x").content.decode()) == ["Yankee", "Zulu"]


def test_library_page_links_keep_the_filters(page_client, workspace, small_pages):
    for name in ["Seo one", "Seo two", "Seo three"]:
        JobTemplateFactory(workspace=workspace, name=name, tags=["seo"])
    JobTemplateFactory(workspace=workspace, name="Untagged")

    first = page_client.get("/templates/?tag=seo").content.decode()
    assert 'href="/templates/?tag=seo&amp;page=2"' in first
    assert "Untagged" not in first

    second = page_client.get("/templates/?tag=seo&page=2", HTTP_HX_TARGET="template-cards", **HX)
    body = second.content.decode()
    assert "<html" not in body
    assert card_names(body) == ["Seo two"]
    assert 'href="/templates/?tag=seo&amp;page=1"' in body
    assert "Untagged" not in body


def test_a_library_that_fits_one_page_shows_no_pager(page_client, workspace):
    JobTemplateFactory(workspace=workspace, name="Only")
    body = page_client.get("/templates/").content.decode()
    assert card_names(body) == ["Only"]
    assert 'aria-label="Template pages"' not in body

"""Templates of an archived campaign are read-only, in the API and the pages."""

from __future__ import annotations

import pytest

from campaigns import lifecycle
from campaigns.tests.factories import CampaignFactory
from templates_lib.models import JobTemplate
from templates_lib.tests.factories import JobTemplateFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/templates"
READ_ONLY = "archived campaigns are read-only"


@pytest.fixture
def archived(workspace):
    return lifecycle.campaign_archive(campaign=CampaignFactory(workspace=workspace, name="Old"))


def kept_template(workspace, archived) -> JobTemplate:
    """A template made while its campaign was live; the campaign is archived since."""
    lifecycle.campaign_unarchive(campaign=archived)
    template = JobTemplateFactory(workspace=workspace, campaign=archived, name="Kept")
    lifecycle.campaign_archive(campaign=archived)
    return template


def form_data(workspace, **fields) -> dict:
    return {
        "workspace": workspace.pk,
        "name": "Made",
        "llm_provider": "openai",
        "writing_strategy": "expert",
        "max_retries": 2,
        "batch_size": 3,
        "metadata": "{}",
        **fields,
    }


def test_creating_a_template_in_an_archived_campaign_is_a_400_on_campaign_id(api, archived):
    response = api.post(URL, {"name": "New", "campaign_id": str(archived.pk)}, format="json")

    assert response.status_code == 400
    assert response.json().keys() == {"campaign_id"}
    assert READ_ONLY in response.json()["campaign_id"][0]
    assert not JobTemplate.objects.exists()


def test_editing_a_template_of_an_archived_campaign_is_a_400(api, workspace, archived):
    template = kept_template(workspace, archived)

    for change in ({"name": "Renamed"}, {"campaign_id": None}):
        response = api.patch(f"{URL}/{template.pk}", change, format="json")
        assert response.status_code == 400, change
        assert READ_ONLY in response.json()["campaign_id"][0]
    template.refresh_from_db()
    assert (template.name, template.campaign_id) == ("Kept", archived.pk)


def test_moving_a_template_into_an_archived_campaign_is_a_400(api, workspace, archived):
    template = JobTemplateFactory(workspace=workspace, name="Free")

    response = api.patch(f"{URL}/{template.pk}", {"campaign_id": str(archived.pk)}, format="json")

    assert response.status_code == 400
    assert READ_ONLY in response.json()["campaign_id"][0]
    template.refresh_from_db()
    assert template.campaign_id is None


def test_templates_of_an_unarchived_campaign_can_be_edited_again(api, workspace, archived):
    template = kept_template(workspace, archived)
    lifecycle.campaign_unarchive(campaign=archived)

    response = api.patch(f"{URL}/{template.pk}", {"name": "Renamed"}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "Renamed"


def test_the_new_template_form_shows_the_refusal_on_the_campaign_field(
    page_client, workspace, archived
):
    response = page_client.post("/templates/new/", form_data(workspace, campaign=archived.pk))

    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_campaign_error"' in body
    assert READ_ONLY in body
    assert not JobTemplate.objects.exists()


def test_the_edit_form_refuses_changes_to_a_template_of_an_archived_campaign(
    page_client, workspace, archived
):
    template = kept_template(workspace, archived)

    response = page_client.post(
        f"/templates/{template.pk}/edit/", form_data(workspace, name="Renamed", campaign="")
    )

    assert response.status_code == 422
    assert 'id="id_campaign_error"' in response.content.decode()
    template.refresh_from_db()
    assert (template.name, template.campaign_id) == ("Kept", archived.pk)


def test_the_admin_shows_the_refusal_instead_of_failing(client, make_user, workspace, archived):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    template = kept_template(workspace, archived)
    url = f"/admin/templates_lib/jobtemplate/{template.pk}/change/"
    data = {
        "workspace": workspace.pk,
        "campaign": archived.pk,
        "name": "Renamed in admin",
        "llm_provider": template.llm_provider,
        "writing_strategy": template.writing_strategy,
        "max_retries": 3,
        "batch_size": 1,
        "metadata": "{}",
        "tags": "[]",
    }

    response = client.post(url, data)

    assert response.status_code == 200
    assert READ_ONLY in response.content.decode()
    template.refresh_from_db()
    assert template.name == "Kept"

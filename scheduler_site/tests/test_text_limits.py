"""Free-text fields have maximum lengths: beyond them, a 400 (or an inline error) on the field."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign
from marketing.models import ContentItem
from scheduler_site.lib.validators import CONTENT_BODY_MAX_LENGTH, DESCRIPTION_MAX_LENGTH
from templates_lib.models import JobTemplate

pytestmark = pytest.mark.django_db

TWO_MB = "x" * (2 * 1024 * 1024)
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize(
    ("url", "payload", "field", "model"),
    [
        ("/api/v1/marketing/content", {"title": "Huge", "body": TWO_MB}, "body", ContentItem),
        ("/api/v1/campaigns", {"name": "Huge", "description": TWO_MB}, "description", Campaign),
        ("/api/v1/templates", {"name": "Huge", "description": TWO_MB}, "description", JobTemplate),
    ],
)
def test_a_2mb_text_field_is_a_400_naming_the_field(api, workspace, url, payload, field, model):
    response = api.post(url, payload, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert "no more than" in str(response.json()[field])
    assert not model.objects.exists()


def test_text_at_the_limit_is_accepted(api, workspace):
    body = "x" * CONTENT_BODY_MAX_LENGTH
    response = api.post("/api/v1/marketing/content", {"title": "Long", "body": body}, format="json")
    assert response.status_code == 201, response.content
    description = "d" * DESCRIPTION_MAX_LENGTH
    response = api.post("/api/v1/campaigns", {"name": "Long", "description": description})
    assert response.status_code == 201, response.content


def test_a_too_long_edit_is_a_400_and_keeps_the_old_text(api, workspace):
    created = api.post("/api/v1/campaigns", {"name": "C", "description": "short"}, format="json")
    url = f"/api/v1/campaigns/{created.json()['id']}"
    response = api.patch(url, {"description": "x" * (DESCRIPTION_MAX_LENGTH + 1)}, format="json")

    assert response.status_code == 400
    assert "description" in response.json()
    assert Campaign.objects.get().description == "short"


def test_a_2mb_content_body_typed_into_the_page_form_is_an_inline_error(page_client, workspace):
    response = page_client.post(
        "/channels/content/new/",
        {"workspace": workspace.pk, "title": "Huge", "status": "ready", "body": TWO_MB},
    )

    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_body_error"' in body
    assert "at most 100000 characters" in body
    assert not ContentItem.objects.exists()


def test_a_2mb_campaign_description_typed_into_the_page_form_is_an_inline_error(
    page_client, workspace
):
    response = page_client.post(
        "/campaigns/new/",
        {
            "workspace": workspace.pk,
            "name": "Huge",
            "status": "active",
            "color": "#112233",
            "description": TWO_MB,
        },
        **HX,
    )

    assert response.status_code == 422
    assert 'id="id_description_error"' in response.content.decode()
    assert not Campaign.objects.exists()

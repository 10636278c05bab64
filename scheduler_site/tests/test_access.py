"""Tenancy: another workspace's ids are 404 everywhere; viewers are 403 on every write."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory
from templates_lib.models import JobTemplate
from templates_lib.tests.factories import JobTemplateFactory
from workspaces.models import Membership

pytestmark = pytest.mark.django_db

# (method, url pattern, body). {campaign}, {template}, {workspace} and {member}
# are filled with the ids of rows in a workspace the caller does not belong to
# (or, for the viewer matrix, one where the caller is only a viewer).
ENDPOINTS = [
    ("get", "/api/v1/campaigns/{campaign}", None),
    ("put", "/api/v1/campaigns/{campaign}", {"status": "paused"}),
    ("patch", "/api/v1/campaigns/{campaign}", {"status": "paused"}),
    ("delete", "/api/v1/campaigns/{campaign}", None),
    ("get", "/api/v1/campaigns/{campaign}/stats", None),
    ("get", "/api/v1/templates/{template}", None),
    ("put", "/api/v1/templates/{template}", {"writing_strategy": "expert"}),
    ("patch", "/api/v1/templates/{template}", {"writing_strategy": "expert"}),
    ("delete", "/api/v1/templates/{template}", None),
    ("post", "/api/v1/templates/{template}/favorite", None),
    ("get", "/api/v1/workspaces/{workspace}", None),
    ("put", "/api/v1/workspaces/{workspace}", {"name": "Taken"}),
    ("patch", "/api/v1/workspaces/{workspace}", {"name": "Taken"}),
    ("get", "/api/v1/workspaces/{workspace}/members", None),
    ("post", "/api/v1/workspaces/{workspace}/members", {"username": "alice"}),
    ("delete", "/api/v1/workspaces/{workspace}/members/{member}", None),
    ("post", "/api/v1/workspaces/{workspace}/rotate-webhook-secret", None),
]

WRITES = [endpoint for endpoint in ENDPOINTS if endpoint[0] != "get"]


@pytest.fixture
def foreign_rows(other_workspace):
    campaign = CampaignFactory(workspace=other_workspace, status="active")
    return {
        "campaign": campaign,
        "template": JobTemplateFactory(workspace=other_workspace, campaign=campaign),
        "workspace": other_workspace,
        "member": other_workspace.memberships.get(),
    }


def snapshot(rows) -> tuple:
    """What a write would change, to prove nothing changed."""
    campaign, template, workspace = rows["campaign"], rows["template"], rows["workspace"]
    return (
        tuple(Campaign.objects.filter(pk=campaign.pk).values_list("status", "updated_at")),
        tuple(
            JobTemplate.objects.filter(pk=template.pk).values_list(
                "writing_strategy", "is_favorite", "updated_at"
            )
        ),
        tuple(Membership.objects.filter(workspace=workspace).values_list("pk", "role")),
        type(workspace).objects.filter(pk=workspace.pk).values_list("name", "webhook_secret")[0],
    )


def fill(pattern: str, rows) -> str:
    return pattern.format(**{name: row.pk for name, row in rows.items()})


@pytest.mark.parametrize(("method", "pattern", "body"), ENDPOINTS)
def test_another_workspaces_id_is_404_on_every_endpoint(api, foreign_rows, method, pattern, body):
    before = snapshot(foreign_rows)

    response = getattr(api, method)(fill(pattern, foreign_rows), body, format="json")

    assert response.status_code == 404
    assert snapshot(foreign_rows) == before


@pytest.fixture
def viewer_rows(workspace):
    campaign = CampaignFactory(workspace=workspace)
    return {
        "campaign": campaign,
        "template": JobTemplateFactory(workspace=workspace, campaign=campaign),
        "workspace": workspace,
        "member": workspace.memberships.get(role="owner"),
    }


@pytest.mark.parametrize(("method", "pattern", "body"), WRITES)
def test_a_viewer_is_403_on_every_write(viewer_api, viewer_rows, method, pattern, body):
    before = snapshot(viewer_rows)

    response = getattr(viewer_api, method)(fill(pattern, viewer_rows), body, format="json")

    assert response.status_code == 403
    assert "detail" in response.json()
    assert snapshot(viewer_rows) == before


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/campaigns", {"name": "Nope"}),
        ("/api/v1/templates", {"name": "Nope"}),
    ],
)
def test_a_viewer_cannot_create_in_the_workspace(viewer_api, workspace, url, body):
    response = viewer_api.post(url, {**body, "workspace": str(workspace.pk)}, format="json")

    assert response.status_code == 403
    assert not Campaign.objects.filter(name="Nope").exists()
    assert not JobTemplate.objects.filter(name="Nope").exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/campaigns/{campaign}",
        "/api/v1/campaigns/{campaign}/stats",
        "/api/v1/templates/{template}",
        "/api/v1/workspaces/{workspace}",
    ],
)
def test_a_viewer_reads_everything(viewer_api, viewer_rows, url):
    assert viewer_api.get(fill(url, viewer_rows)).status_code == 200


def test_an_editor_writes_in_a_shared_workspace(api, user, other_workspace):
    Membership.objects.create(user=user, workspace=other_workspace, role="editor")
    campaign = CampaignFactory(workspace=other_workspace)

    response = api.patch(f"/api/v1/campaigns/{campaign.pk}", {"status": "paused"}, format="json")

    assert response.status_code == 200
    campaign.refresh_from_db()
    assert campaign.status == "paused"

"""The admin never shows a workspace's webhook signing secret; staff rotate it instead."""

from __future__ import annotations

import pytest
from django.urls import reverse

from workspaces.models import Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, make_user):
    client.force_login(make_user("staffer", is_staff=True, is_superuser=True))
    return client


def test_the_change_page_shows_the_secret_masked_with_a_rotate_button(staff_client, workspace):
    response = staff_client.get(reverse("admin:workspaces_workspace_change", args=[workspace.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert workspace.webhook_secret not in body
    assert "********" in body
    assert "Rotate webhook secret" in body


def test_rotating_from_the_change_page_changes_the_secret_and_still_hides_it(
    staff_client, workspace
):
    old = workspace.webhook_secret
    url = reverse("admin:workspaces_workspace_rotate_webhook_secret", args=[workspace.pk])

    response = staff_client.post(url, follow=True)

    new = Workspace.objects.get(pk=workspace.pk).webhook_secret
    body = response.content.decode()
    assert new and new != old
    assert response.redirect_chain[-1][0] == reverse(
        "admin:workspaces_workspace_change", args=[workspace.pk]
    )
    assert "Rotated the webhook signing secret" in body
    assert new not in body and old not in body


def test_rotating_needs_a_post(staff_client, workspace):
    url = reverse("admin:workspaces_workspace_rotate_webhook_secret", args=[workspace.pk])
    assert staff_client.get(url).status_code == 405
    assert Workspace.objects.get(pk=workspace.pk).webhook_secret == workspace.webhook_secret


def test_saving_the_change_form_keeps_the_secret(staff_client, workspace):
    url = reverse("admin:workspaces_workspace_change", args=[workspace.pk])
    form = staff_client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None
    }
    data.update(
        {
            "name": "Renamed",
            "webhook_secret": "attacker-chosen",  # not a field: ignored
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        }
    )
    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    workspace_after = Workspace.objects.get(pk=workspace.pk)
    assert workspace_after.name == "Renamed"
    assert workspace_after.webhook_secret == workspace.webhook_secret

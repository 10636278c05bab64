"""The admin is the staff tool: every registered model's list and add pages render."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from campaigns.tests.factories import CampaignFactory
from templates_lib.tests.factories import JobTemplateFactory

pytestmark = pytest.mark.django_db

REGISTERED = sorted(
    (model._meta.app_label, model._meta.model_name) for model in admin.site._registry
)


@pytest.fixture
def staff_client(client, make_user, workspace):
    CampaignFactory(workspace=workspace, name="Listed campaign")
    JobTemplateFactory(workspace=workspace, name="Listed template")
    client.force_login(make_user("staffer", is_staff=True, is_superuser=True))
    return client


def test_celery_beat_periodic_tasks_are_in_the_admin():
    assert ("django_celery_beat", "periodictask") in REGISTERED
    assert ("campaigns", "campaign") in REGISTERED
    assert ("templates_lib", "jobtemplate") in REGISTERED
    assert ("workspaces", "membership") in REGISTERED


@pytest.mark.parametrize(("app", "model"), REGISTERED)
def test_changelist_renders_for_staff(staff_client, app, model):
    response = staff_client.get(reverse(f"admin:{app}_{model}_changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize(("app", "model"), REGISTERED)
def test_add_page_renders_for_staff(staff_client, app, model):
    model_admin = next(
        ma
        for m, ma in admin.site._registry.items()
        if (m._meta.app_label, m._meta.model_name) == (app, model)
    )
    response = staff_client.get(reverse(f"admin:{app}_{model}_add"))

    # A model whose rows are only ever created by the system may forbid adding.
    expected = 200 if model_admin.has_add_permission(response.wsgi_request) else 403
    assert response.status_code == expected


def test_campaign_and_template_change_pages_render(staff_client, workspace):
    campaign = workspace.campaigns.get()
    template = workspace.job_templates.get()

    assert (
        staff_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).status_code
        == 200
    )
    assert (
        staff_client.get(
            reverse("admin:templates_lib_jobtemplate_change", args=[template.pk])
        ).status_code
        == 200
    )


def test_campaign_changelist_searches_and_filters(staff_client):
    url = reverse("admin:campaigns_campaign_changelist")

    found = staff_client.get(url, {"q": "Listed"}).content.decode()
    filtered = staff_client.get(url, {"status__exact": "paused"}).content.decode()

    assert "Listed campaign" in found
    assert "Listed campaign" not in filtered


def test_non_staff_are_sent_to_the_admin_login(client, user):
    client.force_login(user)

    response = client.get(reverse("admin:campaigns_campaign_changelist"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_staff_add_a_campaign_in_any_workspace_and_are_recorded_as_creator(
    staff_client, other_workspace
):
    url = reverse("admin:campaigns_campaign_add")
    inlines = staff_client.get(url).context["inline_admin_formsets"]
    empty_inlines = {}
    for inline in inlines:
        prefix = inline.formset.prefix
        empty_inlines.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})

    response = staff_client.post(
        url,
        {
            **empty_inlines,
            "workspace": other_workspace.pk,
            "name": "Made by staff",
            "status": "active",
            "color": "#123456",
            "tags": "[]",
            "timezone": "UTC",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    campaign = other_workspace.campaigns.get(name="Made by staff")
    assert campaign.created_by.username == "staffer"


def test_deleting_a_campaign_in_the_admin_keeps_its_jobs_history(staff_client, workspace):
    from jobs.models import Job

    campaign = workspace.campaigns.get()
    job = Job.objects.create(workspace=workspace, campaign=campaign, name="run")

    response = staff_client.post(
        reverse("admin:campaigns_campaign_delete", args=[campaign.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.campaign is None
    assert job.campaign_name == "Listed campaign"

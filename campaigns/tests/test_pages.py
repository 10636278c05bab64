from __future__ import annotations

import pytest

from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory
from jobs.tests.factories import JobFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/campaigns/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_list_shows_each_campaign_with_progress_towards_its_targets(page_client, workspace):
    campaign = CampaignFactory(workspace=workspace, name="Spring", target_job_count=4)
    JobFactory(workspace=workspace, campaign=campaign, status="succeeded")
    response = page_client.get("/campaigns/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Spring" in body
    assert 'aria-valuenow="25"' in body  # 1 of 4 jobs
    assert "<html" in body


def _campaign_with_spend(workspace, name: str, costs: list[str]) -> Campaign:
    from decimal import Decimal

    from jobs.models import Job

    campaign = CampaignFactory(
        workspace=workspace, name=name, target_job_count=4, target_budget_usd=Decimal("10")
    )
    for cost in costs:
        job = JobFactory(workspace=workspace, campaign=campaign, status="succeeded")
        Job.objects.filter(pk=job.pk).update(cost_usd=Decimal(cost))
    return campaign


def test_list_shows_jobs_and_spend_per_campaign_from_its_own_jobs(page_client, workspace):
    _campaign_with_spend(workspace, "Busy", ["1.50", "2.50"])
    _campaign_with_spend(workspace, "Quiet", [])

    body = page_client.get("/campaigns/").content.decode()

    cards = {
        name: card
        for card in body.split('<article class="card campaign-card"')[1:]
        for name in ("Busy", "Quiet")
        if name in card
    }
    assert "$4.00 / $10" in cards["Busy"]
    assert 'aria-valuenow="50"' in cards["Busy"]  # 2 of 4 jobs
    assert 'aria-valuenow="40"' in cards["Busy"]  # $4 of $10
    assert "$0.00 / $10" in cards["Quiet"]


def test_list_queries_do_not_grow_with_the_number_of_campaigns(
    page_client, workspace, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _campaign_with_spend(workspace, "First", ["1"])
    with CaptureQueriesContext(connection) as few:
        assert page_client.get("/campaigns/").status_code == 200
    for n in range(12):
        _campaign_with_spend(workspace, f"More {n}", ["1", "2"])

    with django_assert_max_num_queries(len(few.captured_queries)):
        body = page_client.get("/campaigns/").content.decode()
    assert body.count('class="progress-pair"') == 13


def test_list_filter_answers_htmx_with_only_the_cards(page_client, workspace):
    CampaignFactory(workspace=workspace, name="Tagged", tags=["seo"])
    CampaignFactory(workspace=workspace, name="Other")
    response = page_client.get("/campaigns/?tag=seo", HTTP_HX_TARGET="campaign-rows", **HX)
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="campaign-rows"' in body
    assert "Tagged" in body and "Other" not in body


def test_another_workspaces_campaign_is_not_found(page_client, other_workspace):
    stranger = CampaignFactory(workspace=other_workspace)
    assert page_client.get(f"/campaigns/{stranger.pk}/").status_code == 404
    assert page_client.get(f"/campaigns/{stranger.pk}/edit/").status_code == 404
    assert page_client.get("/campaigns/not-a-uuid/").status_code == 404


def test_dashboard_shows_stats_schedules_templates_and_runs(page_client, workspace):
    campaign = CampaignFactory(workspace=workspace, name="Dash", target_budget_usd=100)
    JobFactory(workspace=workspace, campaign=campaign, name="Run one", status="failed")
    body = page_client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Run one" in body
    assert "Budget spent vs target" in body
    assert "Days remaining" in body


def test_creating_with_bad_input_shows_errors_next_to_the_fields(page_client, workspace):
    response = page_client.post(
        "/campaigns/new/",
        {
            "workspace": workspace.pk,
            "name": "",
            "status": "active",
            "color": "red",
            "start_date": "2026-05-02T10:00",
            "end_date": "2026-05-01T10:00",
        },
        **HX,
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in body
    assert 'id="id_name_error"' in body
    assert 'id="id_color_error"' in body
    assert "The end date cannot be before the start date." in body
    assert not Campaign.objects.exists()


def test_creating_a_campaign_redirects_to_its_dashboard_with_a_message(page_client, workspace):
    response = page_client.post(
        "/campaigns/new/",
        {
            "workspace": workspace.pk,
            "name": "Fresh",
            "status": "active",
            "color": "#112233",
            "tags": "a, b",
        },
        follow=True,
    )
    campaign = Campaign.objects.get(name="Fresh")
    assert campaign.tags == ["a", "b"]
    assert response.redirect_chain[-1][0] == f"/campaigns/{campaign.pk}/"
    assert "Campaign created." in response.content.decode()


def test_editing_a_campaign_saves_through_the_service(page_client, workspace):
    campaign = CampaignFactory(workspace=workspace, name="Old")
    page_client.post(
        f"/campaigns/{campaign.pk}/edit/",
        {"name": "New name", "status": "paused", "color": "#112233"},
    )
    campaign.refresh_from_db()
    assert (campaign.name, campaign.status) == ("New name", "paused")


def test_viewers_read_but_cannot_write(viewer_client, workspace):
    campaign = CampaignFactory(workspace=workspace, name="Read only")
    assert viewer_client.get(f"/campaigns/{campaign.pk}/").status_code == 200
    response = viewer_client.post(
        f"/campaigns/{campaign.pk}/edit/", {"name": "x", "status": "active", "color": "#112233"}
    )
    assert response.status_code == 403
    assert viewer_client.post(f"/campaigns/{campaign.pk}/archive/").status_code == 403


def test_archive_and_duplicate_go_through_the_lifecycle(page_client, workspace):
    campaign = CampaignFactory(workspace=workspace, name="Cycle")
    response = page_client.post(f"/campaigns/{campaign.pk}/duplicate/", follow=True)
    assert response.status_code == 200
    assert Campaign.objects.filter(workspace=workspace).count() == 2
    page_client.post(f"/campaigns/{campaign.pk}/archive/", **HX)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ARCHIVED

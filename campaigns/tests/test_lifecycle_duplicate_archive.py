"""Duplicate, archive, unarchive, delete, and who may reach the lifecycle routes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from campaigns import lifecycle
from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.lifecycle_factories import campaign_with_parts, run_costed_job
from jobs.models import Job
from schedules.models import ScheduledJob, ScheduleEvent
from templates_lib.models import JobTemplate

pytestmark = pytest.mark.django_db

URL = "/api/v1/campaigns"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


# --- duplicate ------------------------------------------------------------------------


def test_duplicate_copies_templates_and_schedules_paused_with_dates_shifted(api, workspace):
    source = campaign_with_parts(
        workspace=workspace,
        now=NOW,
        name="Spring sale",
        start_date=NOW + timedelta(days=1),
        end_date=NOW + timedelta(days=10),
        tags=["sale"],
        target_budget_usd="80.00",
    )

    response = api.post(
        f"{URL}/{source.pk}/duplicate",
        {"name": "Autumn sale", "shift_days": 7},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Autumn sale"
    assert body["parent_campaign"] == str(source.pk)
    assert body["start_date"] == "2026-11-28T12:00:00Z"
    assert body["end_date"] == "2026-12-07T12:00:00Z"
    assert body["tags"] == ["sale"] and body["target_budget_usd"] == "80.00"
    copy = Campaign.objects.get(pk=body["id"])
    [template] = copy.templates.all()
    assert template.name == "Weekly post" and template.use_count == 0
    [schedule] = copy.scheduled_jobs.all()
    original = source.scheduled_jobs.get()
    assert schedule.status == ScheduledJob.Status.PAUSED
    assert schedule.template == template
    assert schedule.scheduled_at == original.scheduled_at + timedelta(days=7)
    assert "resume it to start" in schedule.pause_note
    assert schedule.events.filter(kind=ScheduleEvent.Kind.CREATED).exists()
    # The original is untouched.
    original.refresh_from_db()
    assert original.status == ScheduledJob.Status.ACTIVE
    assert source.templates.count() == 1


def test_duplicate_defaults_name_and_can_leave_parts_behind(api, workspace):
    source = campaign_with_parts(workspace=workspace, now=NOW, name="Evergreen")

    response = api.post(
        f"{URL}/{source.pk}/duplicate",
        {"include_templates": False, "include_schedules": False},
        format="json",
    )

    assert response.status_code == 201
    copy = Campaign.objects.get(pk=response.json()["id"])
    assert copy.name == "Evergreen (copy)"
    assert copy.templates.count() == 0
    assert copy.scheduled_jobs.count() == 0


def test_schedules_copied_without_templates_still_get_their_own_template(api, workspace):
    source = campaign_with_parts(workspace=workspace, now=NOW)

    response = api.post(f"{URL}/{source.pk}/duplicate", {"include_templates": False}, format="json")

    copy = Campaign.objects.get(pk=response.json()["id"])
    schedule = copy.scheduled_jobs.get()
    assert schedule.template.campaign == copy
    # So deleting the original never trips over the copy's schedule.
    assert api.delete(f"{URL}/{source.pk}").status_code == 204
    schedule.refresh_from_db()


def test_resuming_a_duplicate_through_its_campaign_starts_the_copied_schedules(workspace):
    from schedules.campaign_hooks import resume_campaign_schedules

    source = campaign_with_parts(workspace=workspace, now=NOW)
    copy = lifecycle.campaign_duplicate(campaign=source)

    resume_campaign_schedules(campaign=copy, note="go")

    assert copy.scheduled_jobs.get().status == ScheduledJob.Status.ACTIVE


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"shift_days": "soon"}, "shift_days"), ({"include_templates": "maybe"}, "include_templates")],
)
def test_bad_duplicate_options_are_400s(api, workspace, payload, field):
    source = CampaignFactory(workspace=workspace)

    response = api.post(f"{URL}/{source.pk}/duplicate", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Campaign.objects.count() == 1


# --- archive ----------------------------------------------------------------------------


def test_archive_hides_from_default_lists_and_pauses_schedules(api, workspace):
    campaign = campaign_with_parts(workspace=workspace, now=NOW, name="Old news")
    CampaignFactory(workspace=workspace, name="Current")

    response = api.post(f"{URL}/{campaign.pk}/archive")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "archived"
    assert response.json()["archived_at"] == "2026-11-20T12:00:00Z"
    assert response.json()["previous_status"] == "active"
    assert [c["name"] for c in api.get(URL).json()["results"]] == ["Current"]
    assert [c["name"] for c in api.get(f"{URL}/archived").json()["results"]] == ["Old news"]
    assert api.get(f"{URL}?status=archived").json()["count"] == 1
    schedule = campaign.scheduled_jobs.get()
    assert schedule.status == ScheduledJob.Status.PAUSED
    assert (
        schedule.events.get(kind=ScheduleEvent.Kind.PAUSED).note == "Campaign 'Old news' archived."
    )


def test_archiving_an_archived_campaign_is_a_400(api, workspace):
    campaign = CampaignFactory(workspace=workspace)
    api.post(f"{URL}/{campaign.pk}/archive")

    response = api.post(f"{URL}/{campaign.pk}/archive")

    assert response.status_code == 400
    assert response.json() == {"status": ["This campaign is already archived."]}


def test_archived_campaigns_are_read_only(api, workspace):
    campaign = CampaignFactory(workspace=workspace, name="Frozen")
    api.post(f"{URL}/{campaign.pk}/archive")

    patch = api.patch(f"{URL}/{campaign.pk}", {"name": "Thawed"}, format="json")
    put = api.put(f"{URL}/{campaign.pk}", {"name": "Thawed"}, format="json")
    schedule = api.post(
        f"{URL}/schedule",
        {"campaign": str(campaign.pk), "scheduled_at": "2026-12-01T00:00:00Z"},
        format="json",
    )

    for response in (patch, put, schedule):
        assert response.status_code == 400
        assert "archived campaigns are read-only" in response.json()["non_field_errors"][0]
    campaign.refresh_from_db()
    assert campaign.name == "Frozen"
    assert campaign.status == Campaign.Status.ARCHIVED


def test_status_archived_cannot_be_set_by_an_edit(api, workspace):
    campaign = CampaignFactory(workspace=workspace)

    response = api.patch(f"{URL}/{campaign.pk}", {"status": "archived"}, format="json")

    assert response.status_code == 400
    assert "archive" in response.json()["status"][0]


def test_unarchive_restores_the_previous_status_and_leaves_schedules_paused(api, workspace):
    campaign = campaign_with_parts(workspace=workspace, now=NOW)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.PAUSED)
    api.post(f"{URL}/{campaign.pk}/archive")

    response = api.post(f"{URL}/{campaign.pk}/unarchive")

    assert response.status_code == 200
    assert response.json()["status"] == "paused"
    assert response.json()["archived_at"] is None
    assert campaign.scheduled_jobs.get().status == ScheduledJob.Status.PAUSED
    assert api.get(URL).json()["count"] == 1
    again = api.post(f"{URL}/{campaign.pk}/unarchive")
    assert again.status_code == 400
    assert again.json() == {"status": ["This campaign is not archived."]}


def test_an_archived_campaign_is_skipped_by_the_lifecycle(workspace, frozen):
    campaign = CampaignFactory(workspace=workspace, end_date=NOW + timedelta(hours=1))
    lifecycle.campaign_archive(campaign=campaign)

    frozen.move_to(NOW + timedelta(hours=2))
    lifecycle.campaign_lifecycle_run()

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ARCHIVED


def test_an_archived_campaign_can_be_deleted(api, workspace):
    campaign = CampaignFactory(workspace=workspace)
    api.post(f"{URL}/{campaign.pk}/archive")

    assert api.delete(f"{URL}/{campaign.pk}").status_code == 204
    assert not Campaign.objects.filter(pk=campaign.pk).exists()


# --- delete -----------------------------------------------------------------------------


def test_delete_cascades_templates_and_schedules_but_keeps_job_history(api, workspace):
    campaign = campaign_with_parts(workspace=workspace, now=NOW, name="Gone soon")
    job = run_costed_job(campaign, cost_usd="3.25")
    child = lifecycle.campaign_duplicate(campaign=campaign, name="Survivor")

    response = api.delete(f"{URL}/{campaign.pk}")

    assert response.status_code == 204
    assert not JobTemplate.objects.filter(campaign_id=campaign.pk).exists()
    assert not ScheduledJob.objects.filter(campaign_id=campaign.pk).exists()
    job.refresh_from_db()
    assert job.campaign is None
    assert job.campaign_name == "Gone soon"
    assert job.cost_usd == Decimal("3.25")
    assert Job.objects.filter(pk=job.pk, status=Job.Status.SUCCEEDED).exists()
    # A duplicate outlives its parent; it only forgets where it came from.
    child.refresh_from_db()
    assert child.parent_campaign is None
    assert child.scheduled_jobs.count() == 1


# --- access ------------------------------------------------------------------------------


def _someone_elses_campaign(other_workspace) -> Campaign:
    campaign = CampaignFactory(workspace=other_workspace, name="Theirs")
    lifecycle.campaign_schedule(campaign=campaign, scheduled_at=NOW + timedelta(days=3))
    return campaign


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "duplicate"),
        ("post", "archive"),
        ("post", "unarchive"),
        ("get", "children"),
    ],
)
def test_another_workspaces_campaign_is_a_404_on_every_route(api, other_workspace, method, path):
    theirs = _someone_elses_campaign(other_workspace)

    response = getattr(api, method)(f"{URL}/{theirs.pk}/{path}", {}, format="json")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Campaign.Status.PAUSED
    assert Campaign.objects.count() == 1


def test_scheduling_another_workspaces_campaign_is_a_404(api, other_workspace):
    theirs = _someone_elses_campaign(other_workspace)

    response = api.post(
        f"{URL}/schedule",
        {"campaign": str(theirs.pk), "scheduled_at": "2026-12-24T00:00:00Z"},
        format="json",
    )

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.scheduled_at == NOW + timedelta(days=3)


def test_lists_never_show_another_workspaces_campaigns(api, workspace, other_workspace):
    theirs = _someone_elses_campaign(other_workspace)
    archived = CampaignFactory(workspace=other_workspace)
    lifecycle.campaign_archive(campaign=archived)

    assert api.get(f"{URL}/scheduled").json()["count"] == 0
    assert api.get(f"{URL}/archived").json()["count"] == 0
    assert api.get(f"{URL}/scheduled?workspace={other_workspace.pk}").json()["count"] == 0
    assert theirs.pk


@pytest.mark.parametrize("path", ["duplicate", "archive", "unarchive"])
def test_viewers_cannot_change_campaigns(viewer_api, workspace, path):
    campaign = CampaignFactory(workspace=workspace)

    response = viewer_api.post(f"{URL}/{campaign.pk}/{path}", {}, format="json")

    assert response.status_code == 403
    assert Campaign.objects.count() == 1


def test_viewers_cannot_schedule_but_can_read_the_lists(viewer_api, workspace):
    campaign = CampaignFactory(workspace=workspace)
    lifecycle.campaign_archive(campaign=CampaignFactory(workspace=workspace))

    schedule = viewer_api.post(
        f"{URL}/schedule",
        {"campaign": str(campaign.pk), "scheduled_at": "2026-12-24T00:00:00Z"},
        format="json",
    )

    assert schedule.status_code == 403
    assert viewer_api.get(f"{URL}/archived").json()["count"] == 1
    assert viewer_api.get(f"{URL}/{campaign.pk}/children").status_code == 200
    campaign.refresh_from_db()
    assert campaign.scheduled_at is None


def test_shift_days_keeps_the_local_time_across_a_dst_change(api, workspace):
    source = CampaignFactory(
        workspace=workspace,
        timezone="America/New_York",
        # 09:00 EDT on the Friday before clocks fall back.
        start_date=datetime(2026, 10, 30, 13, 0, tzinfo=UTC),
    )

    response = api.post(f"{URL}/{source.pk}/duplicate", {"shift_days": 7}, format="json")

    # 09:00 EST a week later is 14:00 UTC, not 13:00.
    assert response.json()["start_date"] == "2026-11-06T14:00:00Z"

"""The one periodic lifecycle task (django-celery-beat, a real worker) and the admin."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from campaigns import lifecycle
from campaigns.models import Campaign
from campaigns.tasks import run_campaign_lifecycle
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.lifecycle_factories import campaign_with_parts
from scheduler_site.celery import app
from scheduler_site.testing import wait_until
from schedules.models import ScheduledJob


@pytest.mark.django_db
def test_the_lifecycle_is_one_periodic_task_stored_in_the_database(settings):
    call_command("setup_periodic_tasks", stdout=io.StringIO())

    task = PeriodicTask.objects.get(name="campaigns.run-lifecycle")
    assert task.task == "campaigns.run_lifecycle"
    assert task.enabled
    assert task.interval.every == settings.CAMPAIGN_LIFECYCLE_INTERVAL_SECONDS
    assert "campaigns.run_lifecycle" in app.tasks
    lifecycle_tasks = [t for t in PeriodicTask.objects.all() if t.task.startswith("campaigns.")]
    assert len(lifecycle_tasks) == 1


def _campaign_due_to_start(workspace) -> Campaign:
    campaign = campaign_with_parts(workspace=workspace, now=timezone.now(), name="Launch")
    lifecycle.campaign_schedule(campaign=campaign, scheduled_at=timezone.now() + timedelta(hours=1))
    # An hour passes (the worker runs on the real clock, so the row moves instead).
    past = timezone.now() - timedelta(seconds=1)
    Campaign.objects.filter(pk=campaign.pk).update(scheduled_at=past, next_run_at=past)
    return campaign


@pytest.mark.django_db
def test_the_task_runs_the_lifecycle_and_reports_what_it_did(workspace):
    campaign = _campaign_due_to_start(workspace)

    report = run_campaign_lifecycle.apply().get()

    assert report["started"] == 1
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_starts_a_due_campaign_and_resumes_its_schedules(workspace, celery_worker):
    campaign = _campaign_due_to_start(workspace)
    schedule = campaign.scheduled_jobs.get()
    assert schedule.status == ScheduledJob.Status.PAUSED

    run_campaign_lifecycle.delay()

    wait_until(
        lambda: Campaign.objects.filter(pk=campaign.pk, status="active").exists(),
        timeout=30,
        message="the worker never started the campaign",
    )
    schedule.refresh_from_db()
    assert schedule.status == ScheduledJob.Status.ACTIVE


# --- admin ---------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, make_user):
    staff = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client


ADMIN = "/admin/campaigns/campaign/"


@pytest.mark.django_db
def test_admin_actions_duplicate_archive_and_unarchive(admin_client, workspace):
    campaign = campaign_with_parts(workspace=workspace, now=timezone.now(), name="Admin made")

    def act(action):
        return admin_client.post(
            ADMIN, {"action": action, "_selected_action": [str(campaign.pk)]}, follow=True
        )

    response = act("duplicate_campaigns")
    assert "1 campaign(s) duplicated." in response.content.decode()
    copy = Campaign.objects.get(parent_campaign=campaign)
    assert copy.scheduled_jobs.get().status == ScheduledJob.Status.PAUSED

    act("archive_campaigns")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ARCHIVED
    again = act("archive_campaigns")
    assert "already archived" in again.content.decode()

    act("unarchive_campaigns")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE


@pytest.mark.django_db
def test_admin_shows_children_on_the_parent_and_the_parent_on_the_child(admin_client, workspace):
    parent = CampaignFactory(workspace=workspace, name="Parent plan")
    child = lifecycle.campaign_duplicate(campaign=parent, name="Child plan")

    page = admin_client.get(f"{ADMIN}{parent.pk}/change/").content.decode()
    listing = admin_client.get(ADMIN).content.decode()

    assert "Child plan" in page
    assert "children (duplicates and occurrences)" in page.lower()
    assert "Parent plan" in listing  # the child's parent column
    assert child.parent_campaign == parent


@pytest.mark.django_db
def test_an_archived_campaign_is_read_only_in_the_admin(admin_client, workspace):
    campaign = CampaignFactory(workspace=workspace, name="Archived one")
    lifecycle.campaign_archive(campaign=campaign)

    response = admin_client.post(
        f"{ADMIN}{campaign.pk}/change/",
        {"name": "Renamed", "workspace": str(workspace.pk), "status": "active"},
    )

    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.name == "Archived one"
    assert admin_client.get(f"{ADMIN}{campaign.pk}/change/").status_code == 200

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.models import Job
from schedules.models import ScheduledJob
from schedules.tests.factories import ScheduledJobFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, make_user):
    admin_user = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    return client


def test_the_admin_list_shows_status_next_run_description_and_run_count(staff_client, workspace):
    ScheduledJobFactory(
        workspace=workspace,
        name="Weekly digest",
        schedule_type="weekly",
        recurrence_pattern="weekly:monday",
        timezone="America/New_York",
    )
    page = staff_client.get("/admin/schedules/scheduledjob/").content.decode()
    assert "Weekly digest" in page
    assert "Every Monday at" in page
    assert "America/New_York" in page


def test_admin_actions_pause_resume_and_run_now_go_through_the_services(staff_client, workspace):
    schedule = ScheduledJobFactory(workspace=workspace)
    url = "/admin/schedules/scheduledjob/"
    for action in ["pause_schedules", "resume_schedules", "run_now"]:
        response = staff_client.post(
            url, {"action": action, "_selected_action": [str(schedule.pk)]}, follow=True
        )
        assert response.status_code == 200
    schedule.refresh_from_db()
    assert schedule.status == ScheduledJob.Status.ACTIVE
    assert [e.kind for e in schedule.events.order_by("created_at", "pk")] == [
        "created",
        "paused",
        "resumed",
        "manual_run",
    ]
    assert Job.objects.get(scheduled_job=schedule).trigger == Job.Trigger.MANUAL


def test_the_admin_change_page_shows_events_and_recent_runs(staff_client, workspace):
    schedule = ScheduledJobFactory(workspace=workspace)
    page = staff_client.get(f"/admin/schedules/scheduledjob/{schedule.pk}/change/").content
    assert b"No runs yet." in page
    assert b"created" in page.lower()


def test_adding_a_schedule_in_the_past_in_the_admin_shows_the_error_on_the_form(
    staff_client, workspace
):
    past = timezone.now() - timedelta(days=1)
    response = staff_client.post(
        "/admin/schedules/scheduledjob/add/",
        {
            "workspace": str(workspace.pk),
            "name": "Too late",
            "schedule_type": "once",
            "scheduled_at_0": past.strftime("%Y-%m-%d"),
            "scheduled_at_1": past.strftime("%H:%M:%S"),
            "timezone": "UTC",
            "job_config": "{}",
            "misfire_policy": "run_once",
            "misfire_grace_seconds": "300",
            "catch_up_max_runs": "10",
            "overlap_policy": "skip",
            "jitter_seconds": "0",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert b"in the past" in response.content
    assert not ScheduledJob.objects.exists()

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from schedules.models import ScheduledJob
from schedules.tests.factories import ScheduledJobFactory
from templates_lib.tests.factories import JobTemplateFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _future_local(days: int = 3) -> str:
    return (timezone.now() + timedelta(days=days)).strftime("%Y-%m-%dT09:00")


def test_list_and_detail_show_the_human_description(page_client, workspace):
    schedule = ScheduledJobFactory(
        workspace=workspace,
        name="Mondays",
        schedule_type="weekly",
        recurrence_pattern="weekly:monday",
        timezone="America/New_York",
    )
    assert "Every Monday at" in page_client.get("/schedules/").content.decode()
    body = page_client.get(f"/schedules/{schedule.pk}/").content.decode()
    assert "Every Monday at" in body
    assert "Next 5 runs" in body
    assert "Audit trail" in body and "Created" in body


def test_preview_lists_the_next_five_runs_in_the_chosen_zone(page_client):
    response = page_client.get(
        "/schedules/preview/",
        {
            "schedule_type": "daily",
            "timezone": "Asia/Tokyo",
            "scheduled_at": _future_local(),
        },
        **HX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert body.count("<li>") == 5
    assert "09:00" in body and "JST" in body


def test_preview_shows_the_schedules_zone_whatever_the_display_zone(page_client):
    response = page_client.get(
        "/schedules/preview/",
        {
            "schedule_type": "daily",
            "timezone": "Asia/Tokyo",
            "scheduled_at": _future_local(),
            "tz": "America/New_York",  # the page's display zone
        },
        **HX,
    )
    body = response.content.decode()
    assert body.count('· 09:00 <span class="muted">JST</span>') == 5
    assert "EST" not in body and "EDT" not in body


def test_preview_explains_bad_input_instead_of_failing(page_client):
    for params in (
        {
            "schedule_type": "weekly",
            "timezone": "UTC",
            "scheduled_at": _future_local(),
            "recurrence_pattern": "weekly:funday",
        },
        {"schedule_type": "daily", "timezone": "Mars/Base", "scheduled_at": _future_local()},
        {"schedule_type": "cron", "timezone": "UTC", "scheduled_at": "yesterday-ish"},
        {},
    ):
        response = page_client.get("/schedules/preview/", params, **HX)
        assert response.status_code == 200
        assert "field-error" in response.content.decode()


def test_create_prefills_from_a_template_and_saves(page_client, workspace):
    template = JobTemplateFactory(workspace=workspace, name="Brief")
    form = page_client.get(f"/schedules/new/?template={template.pk}").content.decode()
    assert 'value="Brief"' in form
    response = page_client.post(
        f"/schedules/new/?template={template.pk}",
        {
            "workspace": workspace.pk,
            "name": "Brief daily",
            "template": template.pk,
            "schedule_type": "daily",
            "scheduled_at": _future_local(),
            "timezone": "Europe/Paris",
            "misfire_policy": "run_once",
            "overlap_policy": "skip",
        },
    )
    schedule = ScheduledJob.objects.get(name="Brief daily")
    assert response["Location"] == f"/schedules/{schedule.pk}/"
    # The typed time is wall-clock in the schedule's zone.
    local = schedule.scheduled_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    assert (local.hour, local.minute) == (9, 0)


def test_create_shows_field_errors_inline(page_client, workspace):
    response = page_client.post(
        "/schedules/new/",
        {
            "workspace": workspace.pk,
            "name": "Bad",
            "schedule_type": "monthly",
            "recurrence_pattern": "monthly:32",
            "scheduled_at": "2001-01-01T09:00",
            "timezone": "UTC",
            "misfire_policy": "run_once",
            "overlap_policy": "skip",
        },
        HTTP_HX_TARGET="schedule-form",
        **HX,
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="id_recurrence_pattern_error"' in body or 'id="id_scheduled_at_error"' in body
    assert not ScheduledJob.objects.exists()


def test_pause_resume_and_run_now_answer_with_the_summary_and_a_toast(page_client, workspace):
    schedule = ScheduledJobFactory(workspace=workspace)
    paused = page_client.post(f"/schedules/{schedule.pk}/pause/", **HX)
    assert f'id="scheduledjob-{schedule.pk}"' in paused.content.decode()
    assert "Schedule paused" in paused["HX-Trigger"]
    schedule.refresh_from_db()
    assert schedule.status == "paused"
    resumed = page_client.post(f"/schedules/{schedule.pk}/resume/", **HX)
    assert "Schedule resumed" in resumed["HX-Trigger"]
    run = page_client.post(f"/schedules/{schedule.pk}/run-now/", **HX)
    assert "A run was started now." in run["HX-Trigger"]
    assert schedule.jobs.count() == 1


def test_edit_saves_and_strangers_get_404_viewers_403(
    page_client, viewer_client, workspace, other_workspace
):
    schedule = ScheduledJobFactory(workspace=workspace, name="Before")
    edit = page_client.get(f"/schedules/{schedule.pk}/edit/")
    assert edit.status_code == 200
    stranger = ScheduledJobFactory(workspace=other_workspace)
    assert page_client.get(f"/schedules/{stranger.pk}/").status_code == 404
    assert page_client.post(f"/schedules/{stranger.pk}/pause/").status_code == 404
    assert viewer_client.post(f"/schedules/{schedule.pk}/pause/").status_code == 403


def test_run_history_lists_each_run_by_its_nominal_time(page_client, workspace):
    from datetime import UTC, datetime

    from jobs.tests.factories import JobFactory

    schedule = ScheduledJobFactory(workspace=workspace)
    JobFactory(
        workspace=workspace,
        scheduled_job=schedule,
        trigger="scheduled",
        status="succeeded",
        scheduled_for=datetime(2026, 3, 4, 9, 30, tzinfo=UTC),
    )
    body = page_client.get(f"/schedules/{schedule.pk}/?tz=UTC").content.decode()
    assert "Wed Mar 4, 09:30" in body

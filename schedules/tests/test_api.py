from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from campaigns.tests.factories import CampaignFactory
from jobs.models import Job
from schedules import dispatcher
from schedules.models import ScheduledJob
from schedules.tests.factories import ScheduledJobFactory
from templates_lib.tests.factories import JobTemplateFactory

pytestmark = pytest.mark.django_db

# The seed's examples are dated mid-November 2025; the API is used just before.
NOW = datetime(2025, 11, 9, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def create(api, **body):
    payload = {
        "name": "Forbes Article - Monday Morning",
        "schedule_type": "once",
        "scheduled_at": "2025-11-15T09:00:00Z",
        "job_config": {"executor": "noop", "publisher_domain": "forbes.com", "country": "us"},
        **body,
    }
    return api.post("/api/v1/schedule", payload, format="json")


def make(workspace, **fields) -> ScheduledJob:
    fields.setdefault("scheduled_at", NOW + timedelta(hours=1))
    fields.setdefault("now", NOW)
    return ScheduledJobFactory(workspace=workspace, **fields)


# --- create ------------------------------------------------------------------------------


def test_creating_the_seeds_one_time_job_answers_with_its_next_run_and_a_preview(api):
    response = create(
        api,
        description="Generate Forbes content every Monday at 9am",
        timezone="America/New_York",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "active"
    assert body["next_run_at"] == "2025-11-15T09:00:00Z"
    assert body["next_runs"] == ["2025-11-15T09:00:00Z"]
    assert body["description"] == "Generate Forbes content every Monday at 9am"
    assert body["schedule_description"].startswith("Once on 2025-11-15 04:00")
    assert body["version"] == 1


def test_creating_a_daily_job_previews_the_next_five_days(api):
    response = create(
        api,
        name="Daily Forbes Content",
        schedule_type="daily",
        scheduled_at="2025-11-10T09:00:00Z",
        recurrence_end_date="2025-12-31T23:59:59Z",
        max_runs=50,
    )
    assert response.status_code == 201, response.json()
    assert response.json()["next_runs"] == [f"2025-11-{d}T09:00:00Z" for d in range(10, 15)]
    assert response.json()["schedule_description"] == "Every day at 09:00 UTC"


def test_a_weekly_monday_schedule_starting_on_a_tuesday_first_runs_the_next_monday(api):
    response = create(
        api,
        schedule_type="weekly",
        recurrence_pattern="weekly:monday",
        scheduled_at="2025-11-11T09:00:00Z",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["next_run_at"] == "2025-11-17T09:00:00Z"


def test_a_scheduled_at_without_offset_is_wall_time_in_the_schedules_timezone(api):
    response = create(
        api,
        schedule_type="daily",
        scheduled_at="2025-11-10T09:00:00",
        timezone="America/New_York",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["scheduled_at"] == "2025-11-10T14:00:00Z"
    assert response.json()["schedule_description"] == "Every day at 09:00 America/New_York"


def test_a_scheduled_at_a_few_seconds_in_the_past_is_accepted_as_clock_skew(api):
    response = create(api, scheduled_at=iso(NOW - timedelta(seconds=20)))
    assert response.status_code == 201, response.json()


def test_creating_records_a_created_event_with_the_actor(api, user):
    schedule_id = create(api).json()["id"]
    [event] = api.get(f"/api/v1/schedule/{schedule_id}/events").json()["results"]
    assert (event["kind"], event["actor"]) == ("created", user.username)


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "not a known IANA timezone"),
        (
            {"schedule_type": "weekly", "recurrence_pattern": "weekly:funday"},
            "recurrence_pattern",
            "funday",
        ),
        (
            {"schedule_type": "monthly", "recurrence_pattern": "monthly:32"},
            "recurrence_pattern",
            "32",
        ),
        (
            {"schedule_type": "cron", "recurrence_pattern": "61 * * * *"},
            "recurrence_pattern",
            "",
        ),
        (
            {"schedule_type": "rrule", "recurrence_pattern": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"},
            "recurrence_pattern",
            "never",
        ),
        ({"scheduled_at": "2025-11-01T09:00:00Z"}, "scheduled_at", "in the past"),
        ({"scheduled_at": "next tuesday"}, "scheduled_at", ""),
        (
            {"schedule_type": "daily", "recurrence_end_date": "2025-11-14T09:00:00Z"},
            "recurrence_end_date",
            "before",
        ),
        ({"schedule_type": "daily", "max_runs": -1}, "max_runs", ""),
        ({"recurrence_pattern": "weekly:monday"}, "recurrence_pattern", "once"),
        ({"schedule_type": "hourly"}, "schedule_type", ""),
        ({"job_config": {"executor": "teleport"}}, "job_config", "teleport"),
        ({"misfire_policy": "sometimes"}, "misfire_policy", ""),
        ({"name": "  "}, "name", "blank"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, body, field, words):
    response = create(api, **body)
    assert response.status_code == 400, response.json()
    assert field in response.json(), response.json()
    assert words.lower() in " ".join(map(str, response.json()[field])).lower()
    assert not ScheduledJob.objects.exists()


def test_a_template_or_campaign_of_another_workspace_is_not_found(api, other_workspace):
    template = JobTemplateFactory(workspace=other_workspace)
    campaign = CampaignFactory(workspace=other_workspace)
    response = create(api, template_id=str(template.pk), campaign_id=str(campaign.pk))
    assert response.status_code == 400
    assert response.json()["template_id"] == ["template not found"]
    assert response.json()["campaign_id"] == ["campaign not found"]


def test_a_schedule_runs_its_templates_config_with_its_own_job_config_on_top(api, workspace):
    template = JobTemplateFactory(workspace=workspace, publisher_domain="forbes.com")
    response = create(api, template_id=str(template.pk), scheduled_at=iso(NOW))
    assert response.status_code == 201, response.json()
    dispatcher.dispatch_due(now=NOW + timedelta(seconds=1))
    [run] = api.get(f"/api/v1/schedule/{response.json()['id']}/runs").json()["results"]
    job = Job.objects.get(pk=run["id"])
    assert job.config["publisher_domain"] == "forbes.com"
    assert job.config["country"] == "us"


# --- list, filters, upcoming ----------------------------------------------------------------


def test_the_list_filters_by_campaign_status_template_upcoming_and_search(api, workspace):
    campaign = CampaignFactory(workspace=workspace)
    template = JobTemplateFactory(workspace=workspace)
    in_campaign = make(workspace, name="Forbes daily", campaign=campaign)
    with_template = make(workspace, name="TechCrunch weekly", template=template)
    paused = make(workspace, name="Paused one")
    api.post(f"/api/v1/schedule/{paused.pk}/pause")

    def names(query: str) -> list[str]:
        response = api.get(f"/api/v1/schedule?{query}")
        assert response.status_code == 200, response.json()
        return sorted(item["name"] for item in response.json()["results"])

    assert names(f"campaign_id={campaign.pk}") == [in_campaign.name]
    assert names(f"template_id={template.pk}") == [with_template.name]
    assert names("status_filter=paused") == ["Paused one"]
    assert names("upcoming_only=true") == ["Forbes daily", "TechCrunch weekly"]
    assert names("search=forbes") == ["Forbes daily"]
    page = api.get("/api/v1/schedule?page_size=2").json()
    assert (page["count"], len(page["results"])) == (3, 2)


def test_the_list_shows_only_my_workspaces_schedules(api, workspace, other_workspace):
    make(workspace, name="mine")
    make(other_workspace, name="theirs")
    assert [s["name"] for s in api.get("/api/v1/schedule").json()["results"]] == ["mine"]


def test_upcoming_lists_every_occurrence_of_recurring_schedules_in_the_window(api, workspace):
    make(workspace, name="daily", scheduled_at=NOW + timedelta(hours=1))
    make(
        workspace,
        name="hourly",
        schedule_type="cron",
        recurrence_pattern="30 * * * *",
        scheduled_at=NOW,
    )
    make(workspace, name="once later", schedule_type="once", scheduled_at=NOW + timedelta(days=3))
    response = api.get("/api/v1/schedule/upcoming?hours=24")
    assert response.status_code == 200
    body = response.json()
    assert body["time_window_hours"] == 24
    assert body["cutoff_time"] == "2025-11-10T12:00:00Z"
    names = [job["name"] for job in body["jobs"]]
    assert names.count("hourly") == 24
    assert names.count("daily") == 1
    assert "once later" not in names
    assert body["upcoming_count"] == 25
    run_times = [job["run_at"] for job in body["jobs"]]
    assert run_times == sorted(run_times)


def test_upcoming_respects_max_runs_left(api, workspace):
    make(
        workspace,
        name="three left",
        schedule_type="cron",
        recurrence_pattern="0 * * * *",
        max_runs=3,
    )
    body = api.get("/api/v1/schedule/upcoming?hours=24").json()
    assert body["upcoming_count"] == 3


@pytest.mark.parametrize("hours", ["0", "721", "soon"])
def test_upcoming_refuses_a_window_outside_1_to_720_hours(api, hours):
    response = api.get(f"/api/v1/schedule/upcoming?hours={hours}")
    assert response.status_code == 400
    assert "hours" in response.json()


# --- read, edit, delete -------------------------------------------------------------------


def test_the_seeds_partial_put_changes_the_pattern_bumps_the_version_and_records_changes(
    api, workspace, user
):
    schedule = make(
        workspace,
        schedule_type="weekly",
        recurrence_pattern="weekly:monday",
        scheduled_at=datetime(2025, 11, 10, 9, tzinfo=UTC),
    )
    response = api.put(
        f"/api/v1/schedule/{schedule.pk}",
        {"scheduled_at": "2025-11-15T10:00:00Z", "recurrence_pattern": "weekly:friday"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["next_run_at"] == "2025-11-21T10:00:00Z"
    assert body["version"] == 2
    assert body["name"] == schedule.name
    [edited, _created] = api.get(f"/api/v1/schedule/{schedule.pk}/events").json()["results"]
    assert edited["kind"] == "edited"
    assert edited["actor"] == user.username
    assert edited["changes"]["recurrence_pattern"] == {
        "from": "weekly:monday",
        "to": "weekly:friday",
    }


def test_patch_with_a_bad_pattern_is_a_400_and_changes_nothing(api, workspace):
    schedule = make(workspace, schedule_type="weekly", recurrence_pattern="weekly:monday")
    response = api.patch(
        f"/api/v1/schedule/{schedule.pk}", {"recurrence_pattern": "weekly:funday"}, format="json"
    )
    assert response.status_code == 400
    assert "recurrence_pattern" in response.json()
    schedule.refresh_from_db()
    assert (schedule.recurrence_pattern, schedule.version) == ("weekly:monday", 1)


def test_get_shows_one_schedule_and_delete_removes_it_but_keeps_its_runs(api, workspace):
    schedule = make(workspace, scheduled_at=NOW)
    dispatcher.dispatch_due(now=NOW + timedelta(seconds=1))
    assert api.get(f"/api/v1/schedule/{schedule.pk}").json()["run_count"] == 1
    assert api.delete(f"/api/v1/schedule/{schedule.pk}").status_code == 204
    assert api.get(f"/api/v1/schedule/{schedule.pk}").status_code == 404
    job = Job.objects.get()
    assert job.scheduled_job_id is None
    assert job.status == Job.Status.CANCELLED  # it had not started yet


# --- pause, resume, run now, runs, events ---------------------------------------------------


def test_pause_with_a_note_then_resume_three_days_later_skips_and_counts_missed_runs(
    api, workspace, frozen_clock
):
    schedule = make(workspace, scheduled_at=NOW + timedelta(hours=1))
    response = api.post(
        f"/api/v1/schedule/{schedule.pk}/pause", {"note": "client on holiday"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["pause_note"]) == (
        "paused",
        "client on holiday",
    )
    assert response.json()["next_runs"] == []

    frozen_clock.move_to(NOW + timedelta(days=3))
    response = api.post(f"/api/v1/schedule/{schedule.pk}/resume")
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert response.json()["next_run_at"] == "2025-11-12T13:00:00Z"
    events = api.get(f"/api/v1/schedule/{schedule.pk}/events").json()["results"]
    assert [e["kind"] for e in events] == ["resumed", "paused", "created"]
    assert events[0]["skipped_runs"] == 3
    assert events[1]["note"] == "client on holiday"
    dispatcher.dispatch_due(now=NOW + timedelta(days=3, seconds=1))
    assert Job.objects.count() == 0  # no flood of missed runs


def test_resuming_a_completed_schedule_is_a_400(api, workspace):
    schedule = make(workspace, scheduled_at=NOW, schedule_type="once")
    dispatcher.dispatch_due(now=NOW + timedelta(seconds=1))
    response = api.post(f"/api/v1/schedule/{schedule.pk}/resume")
    assert response.status_code == 400
    assert "completed" in response.json()["status"][0]


def test_run_now_creates_a_manual_run_that_does_not_count_toward_max_runs(api, workspace):
    schedule = make(workspace, max_runs=1)
    response = api.post(f"/api/v1/schedule/{schedule.pk}/run-now")
    assert response.status_code == 201, response.json()
    assert response.json()["trigger"] == "manual"
    runs = api.get(f"/api/v1/schedule/{schedule.pk}/runs").json()["results"]
    assert [r["id"] for r in runs] == [response.json()["id"]]
    body = api.get(f"/api/v1/schedule/{schedule.pk}").json()
    assert (body["run_count"], body["status"], len(body["next_runs"])) == (0, "active", 1)
    assert api.get(f"/api/v1/schedule/{schedule.pk}/events").json()["results"][0]["kind"] == (
        "manual_run"
    )


# --- campaigns -------------------------------------------------------------------------------


def test_pausing_a_campaign_pauses_its_schedules_and_resuming_restores_only_those(api, workspace):
    campaign = CampaignFactory(workspace=workspace)
    running = make(workspace, campaign=campaign, name="running")
    held_by_owner = make(workspace, campaign=campaign, name="held")
    elsewhere = make(workspace, name="elsewhere")
    api.post(f"/api/v1/schedule/{held_by_owner.pk}/pause", {"note": "mine"}, format="json")

    response = api.post(f"/api/v1/campaigns/{campaign.pk}/pause")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["schedules_paused"]) == ("paused", 1)
    running.refresh_from_db()
    assert running.status == "paused"

    response = api.post(f"/api/v1/campaigns/{campaign.pk}/resume")
    assert (response.json()["status"], response.json()["schedules_resumed"]) == ("active", 1)
    statuses = dict(ScheduledJob.objects.values_list("name", "status"))
    assert statuses == {"running": "active", "held": "paused", "elsewhere": "active"}
    assert elsewhere.events.count() == 1


def test_campaign_stats_count_its_scheduled_jobs(api, workspace):
    campaign = CampaignFactory(workspace=workspace)
    make(workspace, campaign=campaign)
    make(workspace, campaign=campaign)
    make(workspace)
    stats = api.get(f"/api/v1/campaigns/{campaign.pk}/stats").json()
    assert stats["total_scheduled_jobs"] == 2


# --- tenancy and roles --------------------------------------------------------------------------


DETAIL_CALLS = [
    ("get", ""),
    ("put", ""),
    ("patch", ""),
    ("delete", ""),
    ("post", "/pause"),
    ("post", "/resume"),
    ("post", "/run-now"),
    ("get", "/runs"),
    ("get", "/events"),
]


@pytest.mark.parametrize(("method", "suffix"), DETAIL_CALLS)
def test_another_workspaces_schedule_is_a_404_on_every_endpoint(
    api, other_workspace, method, suffix
):
    theirs = make(other_workspace)
    response = getattr(api, method)(
        f"/api/v1/schedule/{theirs.pk}{suffix}", {"name": "x"}, format="json"
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert (theirs.name, theirs.status, theirs.jobs.count()) != ("x", "paused", 1)


@pytest.mark.parametrize("action", ["pause", "resume"])
def test_another_workspaces_campaign_cannot_be_paused_or_resumed(api, other_workspace, action):
    campaign = CampaignFactory(workspace=other_workspace)
    assert api.post(f"/api/v1/campaigns/{campaign.pk}/{action}").status_code == 404


@pytest.mark.parametrize(("method", "suffix"), [c for c in DETAIL_CALLS if c[0] != "get"])
def test_a_viewer_cannot_change_a_schedule(viewer_api, workspace, method, suffix):
    schedule = make(workspace)
    response = getattr(viewer_api, method)(
        f"/api/v1/schedule/{schedule.pk}{suffix}", {"name": "x"}, format="json"
    )
    assert response.status_code == 403


def test_a_viewer_can_read_but_not_create_or_pause_a_campaign(viewer_api, workspace):
    schedule = make(workspace)
    assert viewer_api.get(f"/api/v1/schedule/{schedule.pk}/runs").status_code == 200
    response = create(viewer_api, workspace=str(workspace.pk))
    assert response.status_code == 403
    campaign = CampaignFactory(workspace=workspace)
    assert viewer_api.post(f"/api/v1/campaigns/{campaign.pk}/pause").status_code == 403


def test_anonymous_requests_are_refused(client):
    assert client.get("/api/v1/schedule").status_code == 401


# --- health ---------------------------------------------------------------------------------------


def test_status_is_503_until_the_dispatcher_has_run(api):
    response = api.get("/api/v1/schedule/status")
    assert response.status_code == 503
    assert response.json()["last_heartbeat"] is None


def test_status_is_healthy_right_after_a_dispatch_and_reports_the_backlog(
    api, workspace, frozen_clock
):
    make(workspace, scheduled_at=NOW + timedelta(seconds=30))
    dispatcher.dispatch_due(now=NOW)
    response = api.get("/api/v1/schedule/status")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["healthy"] is True
    assert body["due_backlog"] == 0
    assert set(body["last_heartbeat"]) == {"ran_at"}  # no host, pid or global counts

    frozen_clock.move_to(NOW + timedelta(seconds=40))
    response = api.get("/api/v1/schedule/status")
    assert response.status_code == 503
    assert response.json()["due_backlog"] == 1
    assert response.json()["lag_seconds"] == pytest.approx(10)

"""Scheduled campaigns: paused with schedules held until their start, then active."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from campaigns import lifecycle
from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.lifecycle_factories import schedule_for
from schedules.models import ScheduledJob, ScheduleEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/campaigns"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_scheduling_a_campaign_pauses_it_and_holds_its_schedules(api, workspace, frozen):
    campaign = CampaignFactory(workspace=workspace, name="Black Friday")
    schedule = schedule_for(campaign, now=NOW)

    response = api.post(
        f"{URL}/schedule",
        {
            "campaign": str(campaign.pk),
            "scheduled_at": "2026-11-27T09:00:00",
            "timezone": "America/New_York",
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "paused"
    # 09:00 in New York in November is 14:00 UTC.
    assert body["scheduled_at"] == "2026-11-27T14:00:00Z"
    assert body["next_run_at"] == "2026-11-27T14:00:00Z"
    assert body["timezone"] == "America/New_York"
    schedule.refresh_from_db()
    assert schedule.status == ScheduledJob.Status.PAUSED
    assert "Held until campaign 'Black Friday' starts at 2026-11-27 09:00 EST" in (
        schedule.pause_note
    )
    assert schedule.events.filter(kind=ScheduleEvent.Kind.PAUSED).exists()


def test_a_scheduled_campaign_starts_at_its_time_and_its_schedules_resume(api, workspace, frozen):
    campaign = CampaignFactory(workspace=workspace, name="Black Friday")
    schedule = schedule_for(campaign, now=NOW)
    lifecycle.campaign_schedule(
        campaign=campaign,
        scheduled_at=datetime(2026, 11, 27, 14, 0, tzinfo=UTC),
        timezone_name="America/New_York",
    )

    frozen.move_to(datetime(2026, 11, 27, 13, 59, tzinfo=UTC))
    assert lifecycle.campaign_lifecycle_run().started == 0
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PAUSED

    frozen.move_to(datetime(2026, 11, 27, 14, 0, 5, tzinfo=UTC))
    report = lifecycle.campaign_lifecycle_run()

    assert report.started == 1
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE
    assert campaign.started_at == datetime(2026, 11, 27, 14, 0, 5, tzinfo=UTC)
    assert campaign.next_run_at is None
    schedule.refresh_from_db()
    assert schedule.status == ScheduledJob.Status.ACTIVE
    assert schedule.next_run_at > datetime(2026, 11, 27, 14, 0, 5, tzinfo=UTC)
    assert schedule.events.filter(kind=ScheduleEvent.Kind.RESUMED).count() == 1
    # A second run has nothing left to do.
    assert lifecycle.campaign_lifecycle_run().started == 0
    assert schedule.events.filter(kind=ScheduleEvent.Kind.RESUMED).count() == 1


def test_a_schedule_its_owner_paused_stays_paused_when_the_campaign_starts(workspace, frozen):
    from schedules import services as schedule_services

    campaign = CampaignFactory(workspace=workspace)
    mine = schedule_for(campaign, now=NOW)
    schedule_services.schedule_pause(schedule=mine, note="on hold by me")
    lifecycle.campaign_schedule(campaign=campaign, scheduled_at=NOW + timedelta(days=1))

    frozen.move_to(NOW + timedelta(days=1, seconds=1))
    lifecycle.campaign_lifecycle_run()

    mine.refresh_from_db()
    assert mine.status == ScheduledJob.Status.PAUSED
    assert mine.pause_note == "on hold by me"


def test_scheduling_in_the_past_is_a_400_naming_scheduled_at(api, workspace, frozen):
    campaign = CampaignFactory(workspace=workspace)

    response = api.post(
        f"{URL}/schedule",
        {"campaign": str(campaign.pk), "scheduled_at": "2026-11-20T11:59:00Z"},
        format="json",
    )

    assert response.status_code == 400
    assert "in the past" in response.json()["scheduled_at"][0]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ACTIVE
    assert campaign.scheduled_at is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"scheduled_at": "next tuesday"}, "scheduled_at"),
        ({"scheduled_at": "2026-12-01T09:00:00", "timezone": "Mars/Olympus"}, "timezone"),
        (
            {"scheduled_at": "2026-12-01T09:00:00", "recurrence": {"type": "monthly"}},
            "recurrence",
        ),
        (
            {
                "scheduled_at": "2026-12-01T09:00:00",
                "recurrence": {"type": "weekly", "pattern": "weekly:funday", "count": 3},
            },
            "recurrence_pattern",
        ),
    ],
)
def test_bad_schedule_requests_are_400s_naming_the_field(api, workspace, frozen, payload, field):
    campaign = CampaignFactory(workspace=workspace)

    response = api.post(f"{URL}/schedule", {"campaign": str(campaign.pk), **payload}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    campaign.refresh_from_db()
    assert campaign.next_run_at is None


def test_a_start_after_the_campaigns_end_date_is_refused(api, workspace, frozen):
    campaign = CampaignFactory(workspace=workspace, end_date=NOW + timedelta(days=2))

    response = api.post(
        f"{URL}/schedule",
        {"campaign": str(campaign.pk), "scheduled_at": "2026-12-01T00:00:00Z"},
        format="json",
    )

    assert response.status_code == 400
    assert "before it starts" in response.json()["scheduled_at"][0]


def test_schedule_can_create_the_campaign_paused_in_one_call(api, workspace, frozen):
    response = api.post(
        f"{URL}/schedule",
        {
            "name": "Holiday launch",
            "scheduled_at": "2026-12-01T09:00:00",
            "timezone": "Europe/Paris",
            "tags": ["holiday"],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Holiday launch"
    assert body["status"] == "paused"
    assert body["scheduled_at"] == "2026-12-01T08:00:00Z"
    assert body["workspace"] == str(workspace.pk)


def test_scheduled_lists_waiting_campaigns_soonest_first(api, workspace, frozen):
    later = CampaignFactory(workspace=workspace, name="Later")
    sooner = CampaignFactory(workspace=workspace, name="Sooner")
    CampaignFactory(workspace=workspace, name="Not scheduled")
    lifecycle.campaign_schedule(campaign=later, scheduled_at=NOW + timedelta(days=9))
    lifecycle.campaign_schedule(campaign=sooner, scheduled_at=NOW + timedelta(days=2))

    response = api.get(f"{URL}/scheduled")

    assert response.status_code == 200
    assert [c["name"] for c in response.json()["results"]] == ["Sooner", "Later"]


def test_a_naive_start_in_a_dst_gap_moves_forward_by_the_gap(api, workspace):
    with time_machine.travel(datetime(2027, 3, 1, tzinfo=UTC), tick=False):
        campaign = CampaignFactory(workspace=workspace)
        # 02:30 does not exist in New York on 2027-03-14 (clocks jump 02:00 -> 03:00).
        response = api.post(
            f"{URL}/schedule",
            {
                "campaign": str(campaign.pk),
                "scheduled_at": "2027-03-14T02:30:00",
                "timezone": "America/New_York",
            },
            format="json",
        )

    assert response.status_code == 200, response.json()
    # 03:30 EDT.
    assert response.json()["scheduled_at"] == "2027-03-14T07:30:00Z"


def test_a_schedule_added_while_the_campaign_waits_is_held_at_the_next_run(workspace, frozen):
    campaign = CampaignFactory(workspace=workspace, name="Soon")
    lifecycle.campaign_schedule(campaign=campaign, scheduled_at=NOW + timedelta(days=2))
    late = schedule_for(campaign, now=NOW)
    assert late.status == ScheduledJob.Status.ACTIVE

    frozen.shift(timedelta(seconds=30))
    assert lifecycle.campaign_lifecycle_run().held == 1

    late.refresh_from_db()
    assert late.status == ScheduledJob.Status.PAUSED
    assert late.pause_note.startswith("Held until campaign 'Soon' starts")
    assert lifecycle.campaign_lifecycle_run().held == 0
    frozen.move_to(NOW + timedelta(days=2, seconds=1))
    lifecycle.campaign_lifecycle_run()
    late.refresh_from_db()
    assert late.status == ScheduledJob.Status.ACTIVE


def test_schedule_without_a_campaign_or_a_name_is_a_400(api, workspace, frozen):
    response = api.post(f"{URL}/schedule", {"scheduled_at": "2026-12-01T09:00:00Z"}, format="json")

    assert response.status_code == 400
    assert "name to create one" in response.json()["campaign_id"][0]
    assert Campaign.objects.count() == 0

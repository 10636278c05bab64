"""Automatic end at end_date, and the budget guard on real job costs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from campaigns import lifecycle
from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.lifecycle_factories import run_costed_job, schedule_for
from schedules import services as schedule_services
from schedules.models import ScheduledJob, ScheduleEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/campaigns"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_a_campaign_completes_when_its_end_date_passes_and_its_schedules_expire(workspace, frozen):
    campaign = CampaignFactory(
        workspace=workspace,
        name="Q4 push",
        start_date=NOW - timedelta(days=30),
        end_date=NOW + timedelta(days=1),
    )
    running = schedule_for(campaign, now=NOW, name="running")
    held = schedule_for(campaign, now=NOW, name="held")
    schedule_services.schedule_pause(schedule=held, note="later")

    frozen.move_to(NOW + timedelta(days=1) - timedelta(seconds=1))
    assert lifecycle.campaign_lifecycle_run().ended == 0
    frozen.move_to(NOW + timedelta(days=1, seconds=5))
    assert lifecycle.campaign_lifecycle_run().ended == 1

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.COMPLETED
    for schedule in (running, held):
        schedule.refresh_from_db()
        assert schedule.status == ScheduledJob.Status.EXPIRED
        assert schedule.next_run_at is None
        event = schedule.events.get(kind=ScheduleEvent.Kind.EXPIRED)
        assert "Q4 push" in event.note and "ended at its end date" in event.note
        assert event.actor is None
    # Idempotent: nothing more happens on the next run.
    assert lifecycle.campaign_lifecycle_run().ended == 0
    assert ScheduleEvent.objects.filter(kind=ScheduleEvent.Kind.EXPIRED).count() == 2


def test_a_schedule_that_already_finished_is_left_as_it_was(workspace, frozen):
    campaign = CampaignFactory(workspace=workspace, end_date=NOW + timedelta(hours=1))
    done = schedule_for(campaign, now=NOW)
    ScheduledJob.objects.filter(pk=done.pk).update(status=ScheduledJob.Status.COMPLETED)

    frozen.move_to(NOW + timedelta(hours=2))
    lifecycle.campaign_lifecycle_run()

    done.refresh_from_db()
    assert done.status == ScheduledJob.Status.COMPLETED
    assert not done.events.filter(kind=ScheduleEvent.Kind.EXPIRED).exists()


def test_reaching_the_budget_pauses_the_campaigns_schedules_with_a_note(workspace, frozen):
    campaign = CampaignFactory(workspace=workspace, name="Paid", target_budget_usd="50.00")
    schedule = schedule_for(campaign, now=NOW)
    other = CampaignFactory(workspace=workspace, target_budget_usd="50.00")
    other_schedule = schedule_for(other, now=NOW)
    run_costed_job(campaign, cost_usd="20.00")
    run_costed_job(other, cost_usd="49.99")

    assert lifecycle.campaign_lifecycle_run().budget_reached == 0
    run_costed_job(campaign, cost_usd="30.00")
    assert lifecycle.campaign_lifecycle_run().budget_reached == 1

    schedule.refresh_from_db()
    assert schedule.status == ScheduledJob.Status.PAUSED
    assert schedule.pause_note.startswith("budget reached")
    event = schedule.events.get(kind=ScheduleEvent.Kind.PAUSED)
    assert "spent $50.00 of its $50.00 budget" in event.note
    campaign.refresh_from_db()
    assert campaign.budget_reached_at == NOW
    other_schedule.refresh_from_db()
    assert other_schedule.status == ScheduledJob.Status.ACTIVE
    # Idempotent: no second pause event.
    lifecycle.campaign_lifecycle_run()
    assert schedule.events.filter(kind=ScheduleEvent.Kind.PAUSED).count() == 1


def test_stats_report_the_spent_cost_the_guard_acted_on(api, workspace, frozen):
    campaign = CampaignFactory(workspace=workspace, target_budget_usd="10.00")
    run_costed_job(campaign, cost_usd="12.50")
    lifecycle.campaign_lifecycle_run()

    body = api.get(f"{URL}/{campaign.pk}").json()
    stats = api.get(f"{URL}/{campaign.pk}/stats").json()

    assert body["budget_reached_at"] == "2026-11-20T12:00:00Z"
    assert stats["spent_usd"] == "12.50"
    assert stats["budget_progress"] == 1.25


def test_resuming_while_still_over_budget_is_paused_again(workspace, frozen):
    campaign = CampaignFactory(workspace=workspace, target_budget_usd="10.00")
    schedule = schedule_for(campaign, now=NOW)
    run_costed_job(campaign, cost_usd="10.00")
    lifecycle.campaign_lifecycle_run()
    schedule_services.schedule_resume(schedule=schedule)

    frozen.shift(timedelta(seconds=30))
    lifecycle.campaign_lifecycle_run()

    schedule.refresh_from_db()
    assert schedule.status == ScheduledJob.Status.PAUSED
    assert schedule.pause_note.startswith("budget reached")


def test_raising_the_budget_lets_the_user_resume(api, workspace, frozen):
    campaign = CampaignFactory(workspace=workspace, target_budget_usd="10.00")
    schedule = schedule_for(campaign, now=NOW)
    run_costed_job(campaign, cost_usd="10.00")
    lifecycle.campaign_lifecycle_run()

    response = api.patch(f"{URL}/{campaign.pk}", {"target_budget_usd": "25.00"}, format="json")
    assert response.status_code == 200
    frozen.shift(timedelta(seconds=30))
    report = lifecycle.campaign_lifecycle_run()
    assert report.budget_released == 1
    schedule.refresh_from_db()
    # Raising the budget does not restart anything by itself ...
    assert schedule.status == ScheduledJob.Status.PAUSED
    schedule_services.schedule_resume(schedule=schedule)
    frozen.shift(timedelta(seconds=30))
    lifecycle.campaign_lifecycle_run()

    # ... and once the user resumes, it stays running.
    schedule.refresh_from_db()
    assert schedule.status == ScheduledJob.Status.ACTIVE
    campaign.refresh_from_db()
    assert campaign.budget_reached_at is None
    assert not lifecycle.campaign_budget_exceeded(campaign)


def test_a_campaign_without_budget_is_never_paused_for_cost(workspace, frozen):
    campaign = CampaignFactory(workspace=workspace)
    schedule = schedule_for(campaign, now=NOW)
    run_costed_job(campaign, cost_usd="9999.00")

    assert lifecycle.campaign_lifecycle_run().budget_reached == 0
    schedule.refresh_from_db()
    assert schedule.status == ScheduledJob.Status.ACTIVE

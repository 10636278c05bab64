"""Recurring campaigns: one child per occurrence, dates, templates and schedules shifted."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from campaigns import lifecycle
from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory
from schedules.models import ScheduledJob, ScheduleEvent
from schedules.tests.factories import ScheduledJobFactory
from templates_lib.models import JobTemplate
from templates_lib.tests.factories import JobTemplateFactory

URL = "/api/v1/campaigns"
NY = ZoneInfo("America/New_York")
CREATED = datetime(2026, 9, 20, 12, 0, tzinfo=UTC)


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY).astimezone(UTC)


def monthly_newsletter(workspace, *, count: int = 7) -> Campaign:
    """Oct 2026 .. Apr 2027 in New York: crosses the year end and both DST changes."""
    campaign = CampaignFactory(
        workspace=workspace,
        name="Newsletter",
        start_date=ny(2026, 10, 1, 9, 0),
        end_date=ny(2026, 10, 31, 18, 0),
        target_budget_usd="100.00",
        tags=["newsletter"],
    )
    template = JobTemplateFactory(workspace=workspace, campaign=campaign, name="Issue")
    ScheduledJobFactory(
        workspace=workspace,
        campaign=campaign,
        template=template,
        name="Send issue",
        schedule_type=ScheduledJob.ScheduleType.DAILY,
        scheduled_at=ny(2026, 10, 2, 10, 0),
        recurrence_end_date=ny(2026, 10, 30, 23, 0),
        timezone="America/New_York",
        now=CREATED,
    )
    return lifecycle.campaign_schedule(
        campaign=campaign,
        scheduled_at=ny(2026, 10, 1, 9, 0),
        timezone_name="America/New_York",
        recurrence_type="monthly",
        recurrence_pattern="monthly:1",
        recurrence_count=count,
        now=CREATED,
    )


@pytest.mark.django_db
def test_a_monthly_campaign_makes_one_child_per_month_across_year_end_and_dst(workspace):
    parent = monthly_newsletter(workspace)
    months = [(2026, 10), (2026, 11), (2026, 12), (2027, 1), (2027, 2), (2027, 3), (2027, 4)]

    for year, month in months:
        occurrence = ny(year, month, 1, 9, 0)
        with time_machine.travel(occurrence - timedelta(seconds=30), tick=False):
            assert lifecycle.campaign_lifecycle_run().occurrences_created == 0
        with time_machine.travel(occurrence + timedelta(seconds=30), tick=False):
            assert lifecycle.campaign_lifecycle_run().occurrences_created == 1
            assert lifecycle.campaign_lifecycle_run().occurrences_created == 0

    children = list(parent.children.order_by("occurrence_at"))
    assert [c.name for c in children] == [
        "Newsletter - 2026-10",
        "Newsletter - 2026-11",
        "Newsletter - 2026-12",
        "Newsletter - 2027-01",
        "Newsletter - 2027-02",
        "Newsletter - 2027-03",
        "Newsletter - 2027-04",
    ]
    # 09:00 New York every time: 13:00 UTC in summer time, 14:00 UTC in winter.
    assert [c.occurrence_at.astimezone(UTC).hour for c in children] == [13, 14, 14, 14, 14, 14, 13]
    assert all(c.start_date.astimezone(NY).hour == 9 for c in children)
    # The end date moves by whole months: Oct 31 -> Nov 30 -> Dec 31 -> ... 18:00 local.
    assert [c.end_date.astimezone(NY).date().isoformat() for c in children[:4]] == [
        "2026-10-31",
        "2026-11-30",
        "2026-12-31",
        "2027-01-31",
    ]
    assert all(c.end_date.astimezone(NY).hour == 18 for c in children)
    # Each month's child ended automatically when its end date passed.
    assert [c.status for c in children] == ["completed"] * 6 + ["active"]
    assert all(c.tags == ["newsletter"] and str(c.target_budget_usd) == "100.00" for c in children)
    parent.refresh_from_db()
    # The count (7) is used up: the recurrence is over.
    assert parent.status == Campaign.Status.COMPLETED
    assert parent.next_run_at is None


@pytest.mark.django_db
def test_a_child_gets_its_own_templates_and_schedules_shifted_by_the_period(workspace):
    parent = monthly_newsletter(workspace)
    january = ny(2027, 1, 1, 9, 0)
    with time_machine.travel(ny(2026, 12, 31, 12, 0), tick=False):
        lifecycle.campaign_lifecycle_run()  # starts the parent; December's child is stale
    with time_machine.travel(january + timedelta(minutes=1), tick=False):
        lifecycle.campaign_lifecycle_run()

    child = parent.children.get(occurrence_at=january)
    [template] = child.templates.all()
    assert template.name == "Issue"
    assert template.pk != parent.templates.get().pk
    [schedule] = child.scheduled_jobs.all()
    assert schedule.template == template
    assert schedule.status == ScheduledJob.Status.ACTIVE
    # Oct 2 10:00 EDT + 3 months = Jan 2 10:00 EST; the series ends Jan 30 23:00 EST.
    assert schedule.scheduled_at == ny(2027, 1, 2, 10, 0)
    assert schedule.recurrence_end_date == ny(2027, 1, 30, 23, 0)
    assert schedule.next_run_at == ny(2027, 1, 2, 10, 0)
    assert schedule.version == 1 and schedule.run_count == 0
    created = schedule.events.get(kind=ScheduleEvent.Kind.CREATED)
    assert "Copied from 'Send issue' of campaign 'Newsletter'" in created.note
    # The blueprint's own schedule stays held: only the children's copies run.
    blueprint = parent.scheduled_jobs.get()
    assert blueprint.status == ScheduledJob.Status.PAUSED
    assert "recurring" in blueprint.pause_note


@pytest.mark.django_db
def test_missed_occurrences_after_downtime_make_only_the_latest_child(workspace):
    parent = monthly_newsletter(workspace)

    with time_machine.travel(ny(2027, 1, 15, 12, 0), tick=False):
        report = lifecycle.campaign_lifecycle_run()

    assert report.occurrences_created == 1
    assert report.occurrences_skipped == 3
    assert [c.name for c in parent.children.all()] == ["Newsletter - 2027-01"]
    parent.refresh_from_db()
    assert parent.next_run_at == ny(2027, 2, 1, 9, 0)


@pytest.mark.django_db
def test_a_recurrence_ends_at_its_end_date(workspace):
    campaign = CampaignFactory(workspace=workspace, name="Standup notes")
    lifecycle.campaign_schedule(
        campaign=campaign,
        scheduled_at=datetime(2026, 10, 5, 8, 0, tzinfo=UTC),
        recurrence_type="weekly",
        recurrence_pattern="weekly:monday",
        recurrence_end_date=datetime(2026, 10, 19, 23, 0, tzinfo=UTC),
        now=CREATED,
    )

    for day in (5, 12, 19):
        with time_machine.travel(datetime(2026, 10, day, 8, 1, tzinfo=UTC), tick=False):
            lifecycle.campaign_lifecycle_run()

    assert [c.name for c in campaign.children.order_by("occurrence_at")] == [
        "Standup notes - 2026-10-05",
        "Standup notes - 2026-10-12",
        "Standup notes - 2026-10-19",
    ]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.COMPLETED


@pytest.mark.django_db
def test_a_recurrence_needs_an_end_date_or_a_count(api, workspace):
    campaign = CampaignFactory(workspace=workspace)
    with time_machine.travel(CREATED, tick=False):
        response = api.post(
            f"{URL}/schedule",
            {
                "campaign": str(campaign.pk),
                "scheduled_at": "2026-10-01T09:00:00",
                "recurrence": {"type": "daily"},
            },
            format="json",
        )

    assert response.status_code == 400
    assert "end_date or a count" in str(response.json()["recurrence"])


@pytest.mark.django_db
def test_scheduling_a_recurring_campaign_through_the_api(api, workspace):
    campaign = CampaignFactory(workspace=workspace, name="Newsletter")
    with time_machine.travel(CREATED, tick=False):
        response = api.post(
            f"{URL}/schedule",
            {
                "campaign": str(campaign.pk),
                "scheduled_at": "2026-10-01T09:00:00",
                "timezone": "America/New_York",
                "recurrence": {"type": "monthly", "pattern": "monthly:1", "count": 12},
            },
            format="json",
        )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["is_recurring"] is True
    assert body["recurrence_type"] == "monthly"
    assert body["recurrence_count"] == 12
    assert body["next_run_at"] == "2026-10-01T13:00:00Z"


@pytest.mark.django_db
def test_children_endpoint_lists_the_occurrences(api, workspace):
    parent = monthly_newsletter(workspace)
    for month in (10, 11):
        with time_machine.travel(ny(2026, month, 1, 9, 1), tick=False):
            lifecycle.campaign_lifecycle_run()

    response = api.get(f"{URL}/{parent.pk}/children")

    assert response.status_code == 200
    names = [c["name"] for c in response.json()["results"]]
    assert names == ["Newsletter - 2026-10", "Newsletter - 2026-11"]
    assert all(c["parent_campaign"] == str(parent.pk) for c in response.json()["results"])


@pytest.mark.django_db
def test_a_second_child_for_the_same_occurrence_is_impossible(workspace):
    parent = monthly_newsletter(workspace)
    occurrence = ny(2026, 10, 1, 9, 0)

    first = lifecycle.campaign_create_occurrence(parent=parent, occurrence_at=occurrence)
    second = lifecycle.campaign_create_occurrence(parent=parent, occurrence_at=occurrence)

    assert first is not None
    assert second is None
    assert parent.children.count() == 1
    assert JobTemplate.objects.filter(campaign__parent_campaign=parent).count() == 1


def _in_threads(target, count: int) -> list:
    barrier = threading.Barrier(count)
    results: list = []
    errors: list = []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(target())
        except Exception as error:  # surfaced below, never swallowed
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(results) == count
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_lifecycle_runs_create_each_child_once(requires_postgres, workspace):
    parent = monthly_newsletter(workspace)

    for month in (10, 11, 12):
        with time_machine.travel(ny(2026, month, 1, 9, 0, 10), tick=False):
            reports = _in_threads(lifecycle.campaign_lifecycle_run, 4)
        assert sum(r.occurrences_created for r in reports) == 1

    assert parent.children.count() == 3
    assert JobTemplate.objects.filter(campaign__parent_campaign=parent).count() == 3
    assert ScheduledJob.objects.filter(campaign__parent_campaign=parent).count() == 3


@pytest.mark.django_db(transaction=True)
def test_racing_inserts_of_one_occurrence_leave_exactly_one_child(requires_postgres, workspace):
    parent = monthly_newsletter(workspace)
    occurrence = ny(2026, 10, 1, 9, 0)

    # Straight at the insert, past the row lock: the unique constraint decides.
    results = _in_threads(
        lambda: lifecycle.campaign_create_occurrence(parent=parent, occurrence_at=occurrence), 4
    )

    assert sum(1 for child in results if child is not None) == 1
    assert parent.children.count() == 1
    assert ScheduledJob.objects.filter(campaign__parent_campaign=parent).count() == 1

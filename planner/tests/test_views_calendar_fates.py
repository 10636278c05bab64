"""The calendar marks a schedule's past run times with their fate (the run ledger):
ran, failed, withdrawn, missed, skipped, moved. History is made by the real
dispatcher and worker on a virtual clock."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.tests.factories import CampaignFactory
from schedules import services
from schedules.models import ScheduledJob
from schedules.tests.ledger.world import World

pytestmark = pytest.mark.django_db(transaction=True)
NY = ZoneInfo("America/New_York")
HX = {"HTTP_HX_REQUEST": "true"}


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NY)


@pytest.fixture
def world(db):
    with World(ny(2027, 3, 1, 0, 0)) as world:
        yield world


@pytest.fixture
def ny_workspace(workspace):
    workspace.timezone = "America/New_York"
    workspace.save(update_fields=["timezone"])
    return workspace


def _daily(workspace, world, name="Morning digest", **fields) -> ScheduledJob:
    """Every day at 09:00 New York time from tomorrow."""
    tomorrow = world.now.astimezone(NY).date() + timedelta(days=1)
    fields.setdefault("scheduled_at", ny(tomorrow.year, tomorrow.month, tomorrow.day, 9))
    return services.schedule_create(
        workspace=workspace,
        now=world.now,
        name=name,
        schedule_type="daily",
        timezone="America/New_York",
        job_config={"executor": "noop"},
        **fields,
    )


def _fresh(schedule) -> ScheduledJob:
    return ScheduledJob.objects.get(pk=schedule.pk)


def _week_of_history(world, workspace, user) -> ScheduledJob:
    """Mar 2-4 run, Mar 5 falls in a pause, Mar 6 runs; an outage over Mar 7-8
    leaves Mar 7 missed (run_once runs Mar 8 late for both)."""
    schedule = _daily(workspace, world, campaign=CampaignFactory(workspace=workspace))
    world.advance_to(ny(2027, 3, 4, 12))
    services.schedule_pause(schedule=schedule, actor=user, note="Launch moved")
    world.advance_to(ny(2027, 3, 5, 12))
    services.schedule_resume(schedule=_fresh(schedule), actor=user)
    world.advance_to(ny(2027, 3, 6, 12))
    world.down = True
    world.advance_to(ny(2027, 3, 8, 12))
    world.down = False
    world.step()
    world.advance_to(ny(2027, 3, 9, 12))
    return _fresh(schedule)


def _chip(body: str, schedule, at: datetime) -> str:
    """The calendar chip of one run time: its opening tag and its text."""
    key = f"occ-{schedule.pk}-{int(at.timestamp())}"
    found = re.findall(rf'<a class="[^"]*" id="{key}".*?</a>', body, flags=re.S)
    assert len(found) == 1, (key, len(found))
    return re.sub(r"\s+", " ", found[0])


def test_the_week_marks_each_past_run_time_with_its_fate(world, page_client, ny_workspace, user):
    schedule = _week_of_history(world, ny_workspace, user)
    body = page_client.get("/calendar/?view=week&date=2027-03-03").content.decode()

    withdrawn = _chip(body, schedule, ny(2027, 3, 5, 9))
    assert 'class="ev ev-occurrence ev-withdrawn"' in withdrawn
    assert (
        'title="09:00 Morning digest — Withdrawn · The schedule was paused. By alice. Launch moved'
        in withdrawn
    )
    assert '<span class="ev-icon" aria-hidden="true">⊘</span>' in withdrawn
    assert "Withdrawn: The schedule was paused." in withdrawn  # said to screen readers too
    assert 'draggable="true"' not in withdrawn  # a past run time cannot be moved

    missed = _chip(body, schedule, ny(2027, 3, 7, 9))
    assert "ev-occurrence ev-missed" in missed and "⚠" in missed
    assert "past the grace window when seen" in missed

    ran = _chip(body, schedule, ny(2027, 3, 2, 9))
    assert "ev-occurrence ev-succeeded" in ran and "✓" in ran

    # Each run time once: the schedule's Jobs are not drawn a second time as runs.
    assert body.count("Morning digest — ") == 6  # Mar 2..7 (the series starts on Mar 2)
    assert "ev-run" not in body.split('class="cal-body"', 1)[1]


def test_the_month_shows_the_withdrawn_run_time_in_its_cell(world, page_client, ny_workspace, user):
    schedule = _week_of_history(world, ny_workspace, user)
    body = page_client.get("/calendar/?view=month&date=2027-03-01").content.decode()
    cell = body.split('data-date="2027-03-05"', 1)[1].split('role="gridcell"', 1)[0]
    assert "ev-occurrence ev-withdrawn" in cell and "Launch moved" in cell
    # The days ahead are still drawn from the recurrence, as before.
    ahead = body.split('data-date="2027-03-10"', 1)[1].split('role="gridcell"', 1)[0]
    assert "Morning digest — Scheduled · Active" in ahead
    assert _chip(body, schedule, ny(2027, 3, 9, 9)).count("ev-succeeded") == 1


def test_the_side_panel_of_a_past_run_time_gives_its_fate_and_reason(
    world, page_client, ny_workspace, user
):
    schedule = _week_of_history(world, ny_workspace, user)
    url = f"/calendar/event/occurrence/{schedule.pk}/"
    withdrawn = page_client.get(url, {"at": ny(2027, 3, 5, 9).isoformat()}, **HX)
    body = re.sub(r"\s+", " ", withdrawn.content.decode())
    assert withdrawn.status_code == 200
    assert (
        '<span class="badge badge-withdrawn"><span aria-hidden="true">⊘</span> Withdrawn</span>'
        in body
    )
    assert "Withdrawn: the schedule was paused. By alice. Launch moved" in body
    assert "move-form" not in body

    late = re.sub(
        r"\s+",
        " ",
        page_client.get(url, {"at": ny(2027, 3, 8, 9).isoformat()}, **HX).content.decode(),
    )
    assert "✓</span> Succeeded" in late and "started 3 h late" in late
    assert "Open this run's job" in late

    ahead = page_client.get(url, {"at": ny(2027, 3, 10, 9).isoformat()}, **HX).content.decode()
    assert "panel-fate" not in ahead and "move-form" in ahead  # still ahead: it can move


def test_skipped_and_moved_run_times_are_marked_after_their_time(
    world, page_client, ny_workspace, user
):
    schedule = _daily(ny_workspace, world)
    world.advance_to(ny(2027, 3, 2, 12))
    services.schedule_occurrence_skip(
        scheduled_job=schedule, occurrence_at=ny(2027, 3, 3, 9), actor=user, note="Holiday"
    )
    services.schedule_occurrence_move(
        scheduled_job=_fresh(schedule),
        occurrence_at=ny(2027, 3, 4, 9),
        new_time=ny(2027, 3, 4, 15, 30),
        actor=user,
    )
    world.advance_to(ny(2027, 3, 5, 12))
    body = page_client.get("/calendar/?view=week&date=2027-03-03").content.decode()
    skipped = _chip(body, schedule, ny(2027, 3, 3, 9))
    assert "ev-occurrence ev-skipped" in skipped and "↷" in skipped and "Holiday" in skipped
    moved = _chip(body, schedule, ny(2027, 3, 4, 9))
    assert "ev-occurrence ev-moved" in moved and "⇢" in moved
    assert "Moved to Mar 4, 15:30" in moved
    # The one-off that ran it instead has its own run time, which succeeded.
    replacement = ScheduledJob.objects.get(name__contains="moved from")
    assert "ev-succeeded" in _chip(body, replacement, ny(2027, 3, 4, 15, 30))


def test_the_status_and_kind_filters_see_fates(world, page_client, ny_workspace, user):
    schedule = _week_of_history(world, ny_workspace, user)
    services.schedule_run_now(schedule=schedule, actor=user)
    week = "/calendar/?view=week&date=2027-03-03"
    withdrawn = page_client.get(week + "&status=withdrawn").content.decode()
    assert withdrawn.count("Morning digest — ") == 1
    assert "ev-withdrawn" in _chip(withdrawn, schedule, ny(2027, 3, 5, 9))
    # "Past runs": the run times that have a Job, and runs outside the series.
    runs = page_client.get(week + "&kind=run").content.decode()
    assert runs.count("Morning digest — Succeeded") == 4  # Mar 2, 3, 4, 6
    assert "Withdrawn ·" not in runs and "Missed ·" not in runs
    world.advance(timedelta(minutes=1))
    runs = page_client.get("/calendar/?view=day&date=2027-03-09&kind=run").content.decode()
    assert "Morning digest — Run · Succeeded" in runs  # the manual run


def test_a_month_of_fates_costs_the_same_queries_for_one_schedule_or_twelve(
    world, page_client, ny_workspace, user, django_assert_num_queries
):
    url = "/calendar/?view=month&date=2027-03-01"
    first = _daily(ny_workspace, world, name="Digest 0")
    world.advance_to(ny(2027, 3, 3, 12))
    with CaptureQueriesContext(connection) as small:
        assert page_client.get(url).status_code == 200
    campaign = CampaignFactory(workspace=ny_workspace)
    schedules = [
        _daily(ny_workspace, world, name=f"Digest {n}", campaign=campaign) for n in range(1, 12)
    ]
    services.schedule_occurrence_skip(scheduled_job=schedules[0], occurrence_at=ny(2027, 3, 5, 9))
    services.schedule_occurrence_move(
        scheduled_job=_fresh(schedules[1]),
        occurrence_at=ny(2027, 3, 5, 9),
        new_time=ny(2027, 3, 5, 11),
    )
    world.advance_to(ny(2027, 3, 4, 12))
    for schedule in schedules[2:6]:
        services.schedule_pause(schedule=_fresh(schedule), actor=user)
    world.advance_to(ny(2027, 3, 6, 12))
    for schedule in schedules[2:4]:
        services.schedule_resume(schedule=_fresh(schedule), actor=user)
    world.advance_to(ny(2027, 3, 8, 12))
    with django_assert_num_queries(len(small.captured_queries)):
        body = page_client.get(url).content.decode()
    assert "ev-withdrawn" in body and "ev-skipped" in body and "ev-moved" in body
    assert "ev-succeeded" in _chip(body, first, ny(2027, 3, 7, 9))

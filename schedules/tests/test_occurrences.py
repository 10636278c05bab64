"""One run of a series skipped or moved: services, dispatcher, previews and the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jobs.models import Job
from schedules import dispatcher, services
from schedules.models import ScheduledJob, ScheduleEvent, ScheduleException
from schedules.tests.factories import ScheduledJobFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 11, 9, 12, 0, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def daily(workspace, **fields) -> ScheduledJob:
    """Every day at 09:00 UTC from Nov 10."""
    fields.setdefault("scheduled_at", utc(2025, 11, 10, 9))
    fields.setdefault("now", NOW)
    return ScheduledJobFactory(workspace=workspace, **fields)


def dispatch(now: datetime) -> None:
    dispatcher.dispatch_due(now=now, lookahead=timedelta(0))
    Job.objects.filter(status__in=[Job.Status.PENDING, Job.Status.QUEUED]).update(
        status=Job.Status.SUCCEEDED
    )


def nominal_runs(schedule: ScheduledJob) -> list[datetime]:
    return list(
        Job.objects.filter(scheduled_job=schedule)
        .order_by("scheduled_for")
        .values_list("scheduled_for", flat=True)
    )


# --- services ------------------------------------------------------------------------


def test_skipping_a_run_records_who_skipped_it_and_hides_it_from_the_preview(workspace, user):
    schedule = daily(workspace)
    services.schedule_occurrence_skip(
        scheduled_job=schedule,
        occurrence_at=utc(2025, 11, 11, 9),
        actor=user,
        note="Holiday",
        now=NOW,
    )
    schedule.refresh_from_db()
    assert schedule.upcoming_runs(count=3) == [
        utc(2025, 11, 10, 9),
        utc(2025, 11, 12, 9),
        utc(2025, 11, 13, 9),
    ]
    event = schedule.events.get(kind=ScheduleEvent.Kind.RUN_SKIPPED)
    assert event.actor == user
    assert "Holiday" in event.note and "2025-11-11 09:00" in event.note


def test_skipping_the_next_run_moves_next_run_at_past_it(workspace, user):
    schedule = daily(workspace)
    services.schedule_occurrence_skip(
        scheduled_job=schedule, occurrence_at=utc(2025, 11, 10, 9), actor=user, now=NOW
    )
    schedule.refresh_from_db()
    assert schedule.next_run_at == utc(2025, 11, 11, 9)


def test_moving_a_run_creates_a_one_off_copy_at_the_new_time(workspace, user):
    schedule = daily(
        workspace, name="Digest", timezone="Europe/Paris", jitter_seconds=5, misfire_policy="skip"
    )
    exception = services.schedule_occurrence_move(
        scheduled_job=schedule,
        occurrence_at=utc(2025, 11, 12, 9),
        new_time=utc(2025, 11, 12, 15),
        actor=user,
        now=NOW,
    )
    one_off = exception.replacement
    assert one_off.schedule_type == "once"
    assert one_off.name == "Digest (moved from 2025-11-12)"
    assert one_off.next_run_at == utc(2025, 11, 12, 15)
    assert (one_off.timezone, one_off.jitter_seconds, one_off.misfire_policy) == (
        "Europe/Paris",
        5,
        "skip",
    )
    assert one_off.job_config == schedule.job_config
    assert one_off.created_by == user
    assert exception.moved_to == utc(2025, 11, 12, 15)
    assert schedule.events.filter(kind=ScheduleEvent.Kind.RUN_MOVED, actor=user).exists()


@pytest.mark.parametrize(
    ("occurrence_at", "new_time", "field", "words"),
    [
        (utc(2025, 11, 8, 9), utc(2025, 11, 12, 15), "occurrence_at", "in the past"),
        (utc(2025, 11, 11, 10), utc(2025, 11, 12, 15), "occurrence_at", "not a run"),
        (utc(2025, 11, 11, 9), utc(2025, 11, 9, 11), "new_time", "in the past"),
    ],
)
def test_a_move_that_makes_no_sense_is_refused_naming_the_field(
    workspace, user, occurrence_at, new_time, field, words
):
    schedule = daily(workspace)
    with pytest.raises(ValidationError) as caught:
        services.schedule_occurrence_move(
            scheduled_job=schedule,
            occurrence_at=occurrence_at,
            new_time=new_time,
            actor=user,
            now=NOW,
        )
    assert words in " ".join(caught.value.message_dict[field])
    assert not ScheduleException.objects.exists()
    assert ScheduledJob.objects.count() == 1


def test_the_same_run_cannot_be_moved_twice(workspace, user):
    schedule = daily(workspace)
    move = {"scheduled_job": schedule, "occurrence_at": utc(2025, 11, 11, 9), "actor": user}
    services.schedule_occurrence_move(**move, new_time=utc(2025, 11, 11, 15), now=NOW)
    with pytest.raises(ValidationError) as caught:
        services.schedule_occurrence_move(**move, new_time=utc(2025, 11, 11, 18), now=NOW)
    assert "already skipped or moved" in caught.value.message_dict["occurrence_at"][0]
    assert ScheduledJob.objects.filter(schedule_type="once").count() == 1


def test_a_one_off_schedule_has_no_single_run_to_skip(workspace, user):
    schedule = daily(workspace, schedule_type="once")
    with pytest.raises(ValidationError) as caught:
        services.schedule_occurrence_skip(
            scheduled_job=schedule, occurrence_at=schedule.next_run_at, actor=user, now=NOW
        )
    assert "one-off" in caught.value.message_dict["occurrence_at"][0]


def test_a_run_already_dispatched_ahead_of_time_cannot_be_skipped(workspace, user):
    schedule = daily(workspace)
    # The dispatcher claims runs a little ahead: the 10th is sent, next_run_at is the 11th.
    dispatcher.dispatch_due(now=utc(2025, 11, 10, 8, 59, 59), lookahead=timedelta(seconds=2))
    with pytest.raises(ValidationError) as caught:
        services.schedule_occurrence_skip(
            scheduled_job=schedule,
            occurrence_at=utc(2025, 11, 10, 9),
            actor=user,
            now=utc(2025, 11, 10, 8, 59, 59),
        )
    assert "already been dispatched" in caught.value.message_dict["occurrence_at"][0]


# --- dispatcher --------------------------------------------------------------------------


def test_the_dispatcher_skips_exactly_the_skipped_run_and_runs_the_next(workspace, user):
    schedule = daily(workspace)
    services.schedule_occurrence_skip(
        scheduled_job=schedule, occurrence_at=utc(2025, 11, 11, 9), actor=user, now=NOW
    )
    for day in (10, 11, 12):
        with time_machine.travel(utc(2025, 11, day, 9, 0, 1), tick=False):
            dispatch(utc(2025, 11, day, 9, 0, 1))
    assert nominal_runs(schedule) == [utc(2025, 11, 10, 9), utc(2025, 11, 12, 9)]
    schedule.refresh_from_db()
    assert schedule.next_run_at == utc(2025, 11, 13, 9)
    assert schedule.run_count == 2


def test_a_skipped_run_inside_one_dispatch_is_not_run_nor_counted_as_missed(workspace, user):
    schedule = daily(workspace, misfire_policy="catch_up")
    services.schedule_occurrence_skip(
        scheduled_job=schedule, occurrence_at=utc(2025, 11, 11, 9), actor=user, now=NOW
    )
    # Nothing dispatched for three days: catch-up runs the 10th and 12th, never the 11th.
    dispatch(utc(2025, 11, 12, 12))
    assert nominal_runs(schedule) == [utc(2025, 11, 10, 9), utc(2025, 11, 12, 9)]


def test_a_skipped_run_does_not_use_up_max_runs(workspace, user):
    schedule = daily(workspace, max_runs=3)
    services.schedule_occurrence_skip(
        scheduled_job=schedule, occurrence_at=utc(2025, 11, 11, 9), actor=user, now=NOW
    )
    for day in range(10, 16):
        dispatch(utc(2025, 11, day, 9, 0, 1))
    assert nominal_runs(schedule) == [
        utc(2025, 11, 10, 9),
        utc(2025, 11, 12, 9),
        utc(2025, 11, 13, 9),
    ]
    schedule.refresh_from_db()
    assert schedule.status == ScheduledJob.Status.COMPLETED


def test_a_moved_run_runs_once_at_its_new_time_and_not_at_the_old_one(workspace, user):
    schedule = daily(workspace)
    exception = services.schedule_occurrence_move(
        scheduled_job=schedule,
        occurrence_at=utc(2025, 11, 11, 9),
        new_time=utc(2025, 11, 11, 16, 30),
        actor=user,
        now=NOW,
    )
    for moment in (
        utc(2025, 11, 10, 9, 0, 1),
        utc(2025, 11, 11, 9, 0, 1),
        utc(2025, 11, 11, 16, 30, 1),
        utc(2025, 11, 11, 16, 30, 2),
        utc(2025, 11, 12, 9, 0, 1),
    ):
        dispatch(moment)
    assert nominal_runs(schedule) == [utc(2025, 11, 10, 9), utc(2025, 11, 12, 9)]
    assert nominal_runs(exception.replacement) == [utc(2025, 11, 11, 16, 30)]
    exception.replacement.refresh_from_db()
    assert exception.replacement.status == ScheduledJob.Status.COMPLETED


def test_the_dispatcher_reads_exceptions_once_per_batch_not_once_per_schedule(workspace, user):
    schedules = [daily(workspace) for _ in range(5)]
    for schedule in schedules:
        services.schedule_occurrence_skip(
            scheduled_job=schedule, occurrence_at=utc(2025, 11, 11, 9), actor=user, now=NOW
        )
    with CaptureQueriesContext(connection) as captured:
        dispatcher.dispatch_batch(
            now=utc(2025, 11, 11, 9, 0, 1), batch_size=10, lookahead=timedelta(0)
        )
    lookups = [q for q in captured.captured_queries if "scheduleexception" in q["sql"].lower()]
    assert len(lookups) == 1
    assert all(nominal_runs(s) == [utc(2025, 11, 10, 9)] for s in schedules)


# --- API ---------------------------------------------------------------------------------


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_api_skips_a_run_and_the_preview_and_upcoming_leave_it_out(api, workspace, frozen):
    schedule = daily(workspace)
    response = api.post(
        f"/api/v1/schedule/{schedule.pk}/occurrences/skip",
        {"occurrence_at": "2025-11-11T09:00:00Z", "note": "Holiday"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["occurrence_at"] == "2025-11-11T09:00:00Z"
    detail = api.get(f"/api/v1/schedule/{schedule.pk}").json()
    assert "2025-11-11T09:00:00Z" not in detail["next_runs"]
    assert detail["next_runs"][:2] == ["2025-11-10T09:00:00Z", "2025-11-12T09:00:00Z"]
    listed = api.get("/api/v1/schedule").json()["results"][0]
    assert listed["next_runs"] == detail["next_runs"]
    upcoming = api.get("/api/v1/schedule/upcoming", {"hours": 72}).json()
    assert [job["run_at"] for job in upcoming["jobs"]] == [
        "2025-11-10T09:00:00Z",
        "2025-11-12T09:00:00Z",
    ]


def test_the_api_moves_a_run_given_in_the_schedules_wall_clock_time(api, workspace, frozen):
    schedule = daily(workspace, timezone="America/New_York", scheduled_at=utc(2025, 11, 10, 14))
    response = api.post(
        f"/api/v1/schedule/{schedule.pk}/occurrences/move",
        {"occurrence_at": "2025-11-11T09:00", "new_time": "2025-11-11T17:00"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["moved_to"] == "2025-11-11T22:00:00Z"
    one_off = api.get(f"/api/v1/schedule/{body['replacement_id']}").json()
    assert one_off["next_run_at"] == "2025-11-11T22:00:00Z"
    assert one_off["schedule_type"] == "once"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "occurrence_at"),
        ({"occurrence_at": "soon", "new_time": "2025-11-11T17:00Z"}, "occurrence_at"),
        ({"occurrence_at": "2025-11-11T09:00Z"}, "new_time"),
        ({"occurrence_at": "2025-11-11T09:30Z", "new_time": "2025-11-11T17:00Z"}, "occurrence_at"),
        ({"occurrence_at": "2025-11-11T09:00Z", "new_time": "2025-11-01T17:00Z"}, "new_time"),
    ],
)
def test_a_bad_move_is_a_400_naming_the_field(api, workspace, frozen, body, field):
    schedule = daily(workspace)
    response = api.post(f"/api/v1/schedule/{schedule.pk}/occurrences/move", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not ScheduleException.objects.exists()


def test_a_second_move_of_the_same_run_is_a_400(api, workspace, frozen):
    schedule = daily(workspace)
    body = {"occurrence_at": "2025-11-11T09:00Z", "new_time": "2025-11-11T17:00Z"}
    url = f"/api/v1/schedule/{schedule.pk}/occurrences/move"
    assert api.post(url, body, format="json").status_code == 201
    again = api.post(url, body, format="json")
    assert again.status_code == 400
    assert "already" in str(again.json())


@pytest.mark.parametrize("action", ["skip", "move"])
def test_another_workspaces_series_is_a_404_and_a_viewer_gets_a_403(
    api, viewer_api, workspace, other_workspace, frozen, action
):
    body = {"occurrence_at": "2025-11-11T09:00Z", "new_time": "2025-11-11T17:00Z"}
    theirs = daily(other_workspace)
    mine = daily(workspace)
    url = "/api/v1/schedule/{}/occurrences/" + action
    assert api.post(url.format(theirs.pk), body, format="json").status_code == 404
    assert viewer_api.post(url.format(mine.pk), body, format="json").status_code == 403
    assert not ScheduleException.objects.exists()

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jobs.models import Job
from jobs.services import withdrawal_reason
from schedules import dispatcher, services
from schedules.models import DispatcherHeartbeat, ScheduledJob, ScheduleEvent
from schedules.tests.factories import ScheduledJobFactory
from templates_lib.tests.factories import JobTemplateFactory

pytestmark = pytest.mark.django_db


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def dispatch(now: datetime, **kwargs) -> dispatcher.DispatchReport:
    kwargs.setdefault("lookahead", timedelta(0))
    return dispatcher.dispatch_due(now=now, **kwargs)


def runs_of(schedule: ScheduledJob, **filters) -> list[Job]:
    return list(Job.objects.filter(scheduled_job=schedule, **filters).order_by("scheduled_for"))


def finish_runs() -> None:
    """What the worker would do between ticks (so the overlap policy sees no run going)."""
    Job.objects.filter(status__in=[Job.Status.PENDING, Job.Status.QUEUED]).update(
        status=Job.Status.SUCCEEDED
    )


def dispatch_every_day(schedule: ScheduledJob, *, days: int, at_offset=timedelta(seconds=1)):
    """Run the dispatcher once just after each due time, like a healthy tick would."""
    for _ in range(days):
        schedule.refresh_from_db()
        if schedule.next_run_at is None:
            return
        dispatch(schedule.next_run_at + at_offset)
        finish_runs()


# --- one run per nominal time ----------------------------------------------------------


def test_a_due_daily_schedule_gets_one_job_with_the_merged_config_and_moves_to_tomorrow(
    workspace,
):
    template = JobTemplateFactory(workspace=workspace, publisher_domain="forbes.com", country="us")
    schedule = ScheduledJobFactory(
        workspace=workspace,
        template=template,
        scheduled_at=utc(2025, 11, 10, 9),
        job_config={"executor": "noop", "country": "se"},
    )

    report = dispatch(utc(2025, 11, 10, 9, 0, 1))

    [job] = runs_of(schedule)
    assert report.jobs_created == 1
    assert job.scheduled_for == utc(2025, 11, 10, 9)
    assert job.trigger == Job.Trigger.SCHEDULED
    assert job.schedule_version == schedule.version
    assert job.config["publisher_domain"] == "forbes.com"
    assert job.config["country"] == "se"  # the schedule's job_config wins over the template
    schedule.refresh_from_db()
    assert schedule.next_run_at == utc(2025, 11, 11, 9)
    assert schedule.run_count == 1
    assert schedule.last_run_at == utc(2025, 11, 10, 9)


def test_dispatching_twice_at_the_same_moment_creates_no_second_job(workspace):
    schedule = ScheduledJobFactory(workspace=workspace, scheduled_at=utc(2025, 11, 10, 9))
    dispatch(utc(2025, 11, 10, 9, 0, 1))
    dispatch(utc(2025, 11, 10, 9, 0, 1))
    assert len(runs_of(schedule)) == 1


def test_the_database_refuses_a_second_job_for_the_same_nominal_run(workspace):
    schedule = ScheduledJobFactory(workspace=workspace, scheduled_at=utc(2025, 11, 10, 9))
    dispatch(utc(2025, 11, 10, 9, 0, 1))
    duplicate = services.build_run_job(
        schedule, scheduled_for=utc(2025, 11, 10, 9), trigger=Job.Trigger.SCHEDULED
    )
    assert dispatcher._insert_jobs([duplicate]) == []
    assert len(runs_of(schedule)) == 1


def test_a_run_due_within_the_lookahead_is_dispatched_early_with_its_nominal_start(workspace):
    schedule = ScheduledJobFactory(workspace=workspace, scheduled_at=utc(2025, 11, 10, 9))
    dispatch(utc(2025, 11, 10, 8, 59, 59), lookahead=timedelta(seconds=2))
    [job] = runs_of(schedule)
    assert job.not_before == utc(2025, 11, 10, 9)


def test_nothing_is_dispatched_before_it_is_due(workspace):
    schedule = ScheduledJobFactory(workspace=workspace, scheduled_at=utc(2025, 11, 10, 9))
    dispatch(utc(2025, 11, 10, 8, 59, 50), lookahead=timedelta(seconds=2))
    assert runs_of(schedule) == []


def test_jitter_delays_the_start_but_keeps_the_nominal_time(workspace):
    schedule = ScheduledJobFactory(
        workspace=workspace, scheduled_at=utc(2025, 11, 10, 9), jitter_seconds=30
    )
    dispatch(utc(2025, 11, 10, 9, 0, 1))
    [job] = runs_of(schedule)
    assert job.scheduled_for == utc(2025, 11, 10, 9)
    assert utc(2025, 11, 10, 9) <= job.not_before <= utc(2025, 11, 10, 9, 0, 30)


def test_paused_schedules_are_not_dispatched(workspace):
    schedule = ScheduledJobFactory(workspace=workspace, scheduled_at=utc(2025, 11, 10, 9))
    services.schedule_pause(schedule=schedule)
    dispatch(utc(2025, 11, 10, 9, 0, 1))
    assert runs_of(schedule) == []


# --- the end of a series ---------------------------------------------------------------


def test_max_runs_completes_the_schedule_after_the_last_run(workspace):
    schedule = ScheduledJobFactory(
        workspace=workspace, scheduled_at=utc(2025, 11, 10, 9), max_runs=3
    )
    dispatch_every_day(schedule, days=10)
    schedule.refresh_from_db()
    assert [j.scheduled_for.day for j in runs_of(schedule)] == [10, 11, 12]
    assert schedule.status == ScheduledJob.Status.COMPLETED
    assert schedule.next_run_at is None
    assert schedule.events.filter(kind=ScheduleEvent.Kind.COMPLETED).count() == 1


def test_the_end_date_expires_the_schedule(workspace):
    schedule = ScheduledJobFactory(
        workspace=workspace,
        scheduled_at=utc(2025, 11, 10, 9),
        recurrence_end_date=utc(2025, 11, 12, 12),
    )
    dispatch_every_day(schedule, days=10)
    schedule.refresh_from_db()
    assert len(runs_of(schedule)) == 3
    assert schedule.status == ScheduledJob.Status.EXPIRED
    assert schedule.events.filter(kind=ScheduleEvent.Kind.EXPIRED).exists()


def test_a_once_schedule_runs_once_and_completes(workspace):
    schedule = ScheduledJobFactory(
        workspace=workspace, schedule_type="once", scheduled_at=utc(2025, 11, 15, 9)
    )
    dispatch(utc(2025, 11, 15, 9, 0, 2))
    dispatch(utc(2025, 11, 16, 9, 0, 2))
    schedule.refresh_from_db()
    assert len(runs_of(schedule)) == 1
    assert schedule.status == ScheduledJob.Status.COMPLETED


def test_a_once_run_seen_past_its_grace_window_is_recorded_as_missed_not_run(workspace):
    schedule = ScheduledJobFactory(
        workspace=workspace,
        schedule_type="once",
        scheduled_at=utc(2025, 11, 15, 9),
        misfire_grace_seconds=300,
    )
    dispatch(utc(2025, 11, 15, 11))
    [job] = runs_of(schedule)
    assert job.status == Job.Status.MISSED
    assert "grace" in job.last_error
    schedule.refresh_from_db()
    assert schedule.status == ScheduledJob.Status.EXPIRED
    assert schedule.run_count == 0


def test_a_once_run_seen_late_but_within_its_grace_window_still_runs(workspace):
    schedule = ScheduledJobFactory(
        workspace=workspace,
        schedule_type="once",
        scheduled_at=utc(2025, 11, 15, 9),
        misfire_grace_seconds=300,
    )
    dispatch(utc(2025, 11, 15, 9, 4))
    [job] = runs_of(schedule)
    assert job.status == Job.Status.PENDING


# --- downtime: misfire policies --------------------------------------------------------


def _after_three_days_down(workspace, **policy) -> ScheduledJob:
    """A daily 09:00 schedule whose dispatcher was down from before the first run
    until an hour after the fourth: runs on the 1st, 2nd, 3rd and 4th were missed."""
    schedule = ScheduledJobFactory(workspace=workspace, scheduled_at=utc(2025, 1, 1, 9), **policy)
    dispatch(utc(2025, 1, 4, 10))
    schedule.refresh_from_db()
    return schedule


def test_after_downtime_run_once_makes_one_run_for_all_missed_ones(workspace):
    schedule = _after_three_days_down(workspace, misfire_policy="run_once")
    [job] = runs_of(schedule)
    assert job.scheduled_for == utc(2025, 1, 4, 9)
    assert job.trigger == Job.Trigger.CATCH_UP
    assert schedule.next_run_at == utc(2025, 1, 5, 9)
    assert schedule.events.get(kind=ScheduleEvent.Kind.MISSED).skipped_runs == 3


def test_after_downtime_skip_runs_nothing_and_waits_for_the_next_time(workspace):
    schedule = _after_three_days_down(workspace, misfire_policy="skip")
    assert runs_of(schedule) == []
    assert schedule.next_run_at == utc(2025, 1, 5, 9)
    assert schedule.run_count == 0
    assert schedule.events.get(kind=ScheduleEvent.Kind.MISSED).skipped_runs == 4


def test_after_downtime_catch_up_runs_the_most_recent_missed_ones_up_to_its_cap(workspace):
    schedule = _after_three_days_down(workspace, misfire_policy="catch_up", catch_up_max_runs=2)
    assert [j.scheduled_for for j in runs_of(schedule)] == [utc(2025, 1, 3, 9), utc(2025, 1, 4, 9)]
    assert {j.trigger for j in runs_of(schedule)} == {Job.Trigger.CATCH_UP}
    assert schedule.run_count == 2
    assert schedule.events.get(kind=ScheduleEvent.Kind.MISSED).skipped_runs == 2


def test_catch_up_with_a_cap_above_the_missed_count_runs_every_missed_time(workspace):
    schedule = _after_three_days_down(workspace, misfire_policy="catch_up", catch_up_max_runs=10)
    assert len(runs_of(schedule)) == 4
    assert not schedule.events.filter(kind=ScheduleEvent.Kind.MISSED).exists()


def test_a_run_seen_within_the_grace_window_is_on_time_not_missed(workspace):
    schedule = ScheduledJobFactory(
        workspace=workspace,
        scheduled_at=utc(2025, 1, 1, 9),
        misfire_policy="skip",
        misfire_grace_seconds=600,
    )
    dispatch(utc(2025, 1, 1, 9, 9))
    [job] = runs_of(schedule)
    assert job.trigger == Job.Trigger.SCHEDULED


# --- overlap ---------------------------------------------------------------------------


def _with_a_run_going(workspace, policy: str) -> ScheduledJob:
    schedule = ScheduledJobFactory(
        workspace=workspace,
        schedule_type="cron",
        recurrence_pattern="*/5 * * * *",
        scheduled_at=utc(2025, 1, 1, 9),
        overlap_policy=policy,
    )
    dispatch(utc(2025, 1, 1, 9, 0, 1))
    Job.objects.filter(scheduled_job=schedule).update(status=Job.Status.RUNNING)
    dispatch(utc(2025, 1, 1, 9, 5, 1))
    return schedule


def test_overlap_skip_records_a_skipped_run_while_the_previous_one_is_going(workspace):
    schedule = _with_a_run_going(workspace, "skip")
    second = runs_of(schedule)[1]
    assert second.status == Job.Status.SKIPPED
    assert "still going" in second.last_error
    schedule.refresh_from_db()
    assert schedule.run_count == 1


def test_overlap_allow_starts_the_next_run_anyway(workspace):
    schedule = _with_a_run_going(workspace, "allow")
    assert runs_of(schedule)[1].status == Job.Status.PENDING


def test_overlap_queue_one_holds_one_run_and_sends_it_when_the_previous_finishes(workspace):
    schedule = _with_a_run_going(workspace, "queue_one")
    held = runs_of(schedule)[1]
    assert held.status == Job.Status.PENDING
    assert held.not_before > utc(2025, 1, 1, 9, 10)  # the sweeper leaves it alone
    dispatch(utc(2025, 1, 1, 9, 10, 1))
    assert runs_of(schedule)[2].status == Job.Status.SKIPPED  # only one waits

    released = services.schedule_release_held_run(schedule_id=schedule.pk)
    assert released.pk == held.pk
    held.refresh_from_db()
    assert held.not_before <= datetime.now(UTC)


# --- edits and pauses after dispatch ---------------------------------------------------


def test_an_edit_after_dispatch_makes_the_worker_cancel_the_old_run(workspace):
    schedule = ScheduledJobFactory(workspace=workspace, scheduled_at=utc(2025, 11, 10, 9))
    dispatch(utc(2025, 11, 10, 9, 0, 1))
    [job] = runs_of(schedule)
    assert withdrawal_reason(Job.objects.get(pk=job.pk)) == ""
    services.schedule_update(
        schedule=schedule,
        now=utc(2025, 11, 10, 9, 0, 2),
        job_config={"executor": "noop", "country": "de"},
    )
    assert "edited" in withdrawal_reason(Job.objects.get(pk=job.pk))


def test_an_edit_within_the_lookahead_replaces_the_early_dispatched_run(workspace):
    schedule = ScheduledJobFactory(workspace=workspace, scheduled_at=utc(2025, 11, 10, 9))
    dispatch(utc(2025, 11, 10, 8, 59, 59), lookahead=timedelta(seconds=2))
    services.schedule_update(
        schedule=schedule,
        now=utc(2025, 11, 10, 8, 59, 59, 500000),
        job_config={"executor": "noop", "country": "de"},
    )
    dispatch(utc(2025, 11, 10, 8, 59, 59, 600000), lookahead=timedelta(seconds=2))
    [job] = runs_of(schedule)
    assert job.config["country"] == "de"
    assert withdrawal_reason(job) == ""


def test_a_pause_after_dispatch_makes_the_worker_cancel_the_run_even_after_resume(workspace):
    schedule = ScheduledJobFactory(workspace=workspace, scheduled_at=utc(2025, 11, 10, 9))
    dispatch(utc(2025, 11, 10, 9, 0, 1))
    [job] = runs_of(schedule)
    services.schedule_pause(schedule=schedule, now=utc(2025, 11, 10, 9, 0, 2))
    assert "paused" in withdrawal_reason(Job.objects.get(pk=job.pk))
    services.schedule_resume(schedule=schedule, now=utc(2025, 11, 10, 9, 0, 3))
    assert "edited" in withdrawal_reason(Job.objects.get(pk=job.pk))


def test_an_edit_moving_the_time_means_the_old_time_never_fires(workspace):
    schedule = ScheduledJobFactory(workspace=workspace, scheduled_at=utc(2025, 11, 10, 9))
    dispatch_every_day(schedule, days=1)  # ran on the 10th
    services.schedule_update(
        schedule=schedule,
        now=utc(2025, 11, 11, 8, 0),
        scheduled_at=utc(2025, 11, 11, 10),
    )
    schedule.refresh_from_db()
    assert schedule.next_run_at == utc(2025, 11, 11, 10)
    dispatch(utc(2025, 11, 11, 9, 0, 1))
    assert len(runs_of(schedule)) == 1
    dispatch(utc(2025, 11, 11, 10, 0, 1))
    assert [j.scheduled_for for j in runs_of(schedule)][-1] == utc(2025, 11, 11, 10)


def test_a_rename_does_not_cancel_a_run_in_flight(workspace):
    schedule = ScheduledJobFactory(workspace=workspace, scheduled_at=utc(2025, 11, 10, 9))
    dispatch(utc(2025, 11, 10, 8, 59, 59), lookahead=timedelta(seconds=2))
    [job] = runs_of(schedule)
    services.schedule_update(schedule=schedule, name="Renamed")
    assert withdrawal_reason(Job.objects.get(pk=job.pk)) == ""


# --- wall-clock time across DST ----------------------------------------------------------


def test_a_daily_new_york_schedule_keeps_9am_local_across_the_autumn_change(workspace):
    schedule = ScheduledJobFactory(
        workspace=workspace,
        scheduled_at=utc(2026, 10, 30, 13),  # 09:00 EDT
        timezone="America/New_York",
    )
    dispatch_every_day(schedule, days=4)
    assert [j.scheduled_for for j in runs_of(schedule)] == [
        utc(2026, 10, 30, 13),
        utc(2026, 10, 31, 13),
        utc(2026, 11, 1, 14),  # 09:00 EST after the clocks went back
        utc(2026, 11, 2, 14),
    ]


def test_a_daily_new_york_schedule_keeps_9am_local_across_the_spring_change(workspace):
    schedule = ScheduledJobFactory(
        workspace=workspace,
        scheduled_at=utc(2026, 3, 7, 14),  # 09:00 EST
        timezone="America/New_York",
    )
    dispatch_every_day(schedule, days=3)
    assert [j.scheduled_for for j in runs_of(schedule)] == [
        utc(2026, 3, 7, 14),
        utc(2026, 3, 8, 13),
        utc(2026, 3, 9, 13),
    ]


def test_a_230_am_run_on_the_spring_forward_night_runs_at_330_not_never(workspace):
    schedule = ScheduledJobFactory(
        workspace=workspace,
        scheduled_at=utc(2026, 3, 7, 7, 30),  # 02:30 EST
        timezone="America/New_York",
    )
    dispatch_every_day(schedule, days=3)
    assert [j.scheduled_for for j in runs_of(schedule)] == [
        utc(2026, 3, 7, 7, 30),
        utc(2026, 3, 8, 7, 30),  # 03:30 EDT: the gap shifted forward
        utc(2026, 3, 9, 6, 30),  # 02:30 EDT
    ]


# --- the seed's scenarios ------------------------------------------------------------------


def test_use_case_1_daily_for_90_days_with_max_runs_90_then_ends(workspace):
    schedule = ScheduledJobFactory(
        workspace=workspace,
        name="Daily Forbes Content",
        scheduled_at=utc(2025, 1, 1, 9),
        recurrence_end_date=utc(2025, 3, 31, 23, 59, 59),
        max_runs=90,
    )
    dispatch_every_day(schedule, days=100)
    runs = runs_of(schedule)
    schedule.refresh_from_db()
    assert len(runs) == 90
    assert runs[0].scheduled_for == utc(2025, 1, 1, 9)
    assert runs[-1].scheduled_for == utc(2025, 3, 31, 9)
    assert schedule.status == ScheduledJob.Status.COMPLETED
    assert schedule.run_count == 90


def test_use_case_2_weekly_monday_from_a_tuesday_and_daily(workspace):
    weekly = ScheduledJobFactory(
        workspace=workspace,
        name="Client A Weekly",
        schedule_type="weekly",
        recurrence_pattern="weekly:monday",
        scheduled_at=utc(2025, 11, 11, 10),  # a Tuesday
    )
    daily = ScheduledJobFactory(
        workspace=workspace, name="Client B Daily", scheduled_at=utc(2025, 11, 10, 14)
    )
    now = utc(2025, 11, 10, 0)
    while now < utc(2025, 11, 25):
        now += timedelta(minutes=30)
        dispatch(now)
        finish_runs()
    assert [j.scheduled_for for j in runs_of(weekly)] == [
        utc(2025, 11, 17, 10),
        utc(2025, 11, 24, 10),
    ]
    assert len(runs_of(daily)) == 15
    assert all(j.scheduled_for.hour == 14 for j in runs_of(daily))


def test_monthly_on_the_31st_runs_on_the_last_day_of_shorter_months(workspace):
    schedule = ScheduledJobFactory(
        workspace=workspace,
        schedule_type="monthly",
        recurrence_pattern="monthly:31",
        scheduled_at=utc(2027, 12, 31, 8),
    )
    for _ in range(5):
        schedule.refresh_from_db()
        dispatch(schedule.next_run_at + timedelta(seconds=1))
        finish_runs()
    assert [j.scheduled_for.date().isoformat() for j in runs_of(schedule)] == [
        "2027-12-31",
        "2028-01-31",
        "2028-02-29",  # leap year
        "2028-03-31",
        "2028-04-30",
    ]


# --- the heartbeat -------------------------------------------------------------------------


def test_each_dispatcher_run_records_a_heartbeat_with_what_it_claimed(workspace):
    ScheduledJobFactory(workspace=workspace, scheduled_at=utc(2025, 11, 10, 9))
    ScheduledJobFactory(workspace=workspace, scheduled_at=utc(2025, 11, 10, 9))
    dispatch(utc(2025, 11, 10, 9, 0, 1))
    dispatch(utc(2025, 11, 10, 9, 0, 2))
    first, second = DispatcherHeartbeat.objects.order_by("ran_at")
    assert (first.claimed, first.jobs_created) == (2, 2)
    assert second.claimed == 0
    assert second.oldest_due_age_seconds is None


def test_a_heartbeat_reports_the_oldest_run_left_due_when_batches_ran_out_of_time(workspace):
    for _ in range(3):
        ScheduledJobFactory(workspace=workspace, scheduled_at=utc(2025, 11, 10, 9))
    report = dispatch(utc(2025, 11, 10, 9, 0, 10), batch_size=1, time_budget=0.000001)
    assert report.claimed == 1
    heartbeat = DispatcherHeartbeat.objects.get()
    assert heartbeat.oldest_due_age_seconds == pytest.approx(10)


def test_batches_continue_until_nothing_is_due(workspace):
    for _ in range(5):
        ScheduledJobFactory(workspace=workspace, scheduled_at=utc(2025, 11, 10, 9))
    report = dispatch(utc(2025, 11, 10, 9, 0, 1), batch_size=2)
    assert (report.claimed, report.batches) == (5, 3)
    assert Job.objects.count() == 5


def test_the_database_refuses_a_second_job_for_one_occurrence_whatever_its_trigger(workspace):
    from django.db import IntegrityError, transaction

    schedule = ScheduledJobFactory(workspace=workspace, scheduled_at=utc(2025, 11, 10, 9))
    dispatch(utc(2025, 11, 10, 9, 0, 1))
    for trigger in (Job.Trigger.SCHEDULED, Job.Trigger.CATCH_UP):
        again = services.build_run_job(
            schedule, scheduled_for=utc(2025, 11, 10, 9), trigger=trigger
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            again.save()
    # A manual run at the same instant is not an occurrence of the series.
    services.build_run_job(
        schedule, scheduled_for=utc(2025, 11, 10, 9), trigger=Job.Trigger.MANUAL
    ).save()
    assert len(runs_of(schedule)) == 2


# --- herds: claimed early enough to be at the broker by their time ---------------------


@pytest.fixture
def herd_settings(settings):
    """A dispatcher that takes one second per two runs: a herd of 12 needs 6 s."""
    settings.DISPATCH_LOOKAHEAD_SECONDS = 2
    settings.DISPATCH_MAX_LOOKAHEAD_SECONDS = 60
    settings.DISPATCH_RUNS_PER_SECOND = 2
    return settings


def _herd(workspace, size: int, at: datetime, **fields) -> list[ScheduledJob]:
    return [
        ScheduledJobFactory(
            workspace=workspace,
            schedule_type="cron",
            recurrence_pattern="* * * * *",
            scheduled_at=at,
            **fields,
        )
        for _ in range(size)
    ]


def test_a_herd_is_claimed_as_early_as_dispatching_it_takes(workspace, herd_settings):
    at = utc(2025, 11, 10, 9)
    herd = _herd(workspace, 12, at)
    # 2 s + 12 runs at 2 a second = 8 s ahead: not yet at 9 s before...
    assert dispatcher.dispatch_due(now=at - timedelta(seconds=9), batch_size=5).claimed == 0
    # ...all of them at 7 s before, each for its 09:00 run only (the 09:01 run of
    # a per-minute series is not decided a minute early).
    report = dispatcher.dispatch_due(now=at - timedelta(seconds=7), batch_size=5)
    assert (report.claimed, report.jobs_created) == (12, 12)
    assert {job.scheduled_for for job in Job.objects.all()} == {at}
    assert {job.not_before for job in Job.objects.all()} == {at}
    for schedule in herd:
        schedule.refresh_from_db()
        assert schedule.next_run_at == at + timedelta(minutes=1)


def test_fewer_runs_than_one_batch_are_claimed_only_within_the_ordinary_lookahead(
    workspace, herd_settings
):
    at = utc(2025, 11, 10, 9)
    _herd(workspace, 4, at)
    assert dispatcher.dispatch_due(now=at - timedelta(seconds=7), batch_size=5).claimed == 0
    assert dispatcher.dispatch_due(now=at - timedelta(seconds=2), batch_size=5).claimed == 4


def test_a_herd_member_with_a_run_still_going_keeps_its_skip_decision_for_its_time(
    workspace, herd_settings
):
    at = utc(2025, 11, 10, 9)
    first, *_others = _herd(workspace, 12, at - timedelta(minutes=1))
    dispatcher.dispatch_due(now=at - timedelta(minutes=1), lookahead=timedelta(0))
    Job.objects.filter(scheduled_job=first).update(status=Job.Status.RUNNING)
    Job.objects.exclude(scheduled_job=first).update(status=Job.Status.SUCCEEDED)

    dispatcher.dispatch_due(now=at - timedelta(seconds=7), batch_size=5)
    assert Job.objects.filter(scheduled_for=at).count() == 11
    assert not Job.objects.filter(scheduled_job=first, scheduled_for=at).exists()

    # The run going at 7 s before finishes; at its time the 09:00 run starts.
    Job.objects.filter(scheduled_job=first).update(status=Job.Status.SUCCEEDED)
    dispatcher.dispatch_due(now=at - timedelta(seconds=1), batch_size=5)
    [run] = runs_of(first, scheduled_for=at)
    assert run.status == Job.Status.PENDING

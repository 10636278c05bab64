"""A start typed inside a clock change keeps what the user typed.

Hand-worked cases (the zone data is checked first, so a wrong expectation
cannot hide behind a changed tz database):

  America/New_York  gap 2027-03-14 02:00 -> 03:00 (EST -05 to EDT -04),
                    fold 2026-11-01 01:00-02:00 (EDT -04, then EST -05),
                    fold 2027-11-07 01:00-02:00
  America/Nuuk      gap 2027-03-27 23:00 (Saturday, -02) -> 2027-03-28 00:00 (Sunday, -01):
                    the gap swallows midnight, so Saturday 23:30 does not exist
  Australia/Lord_Howe gap 2026-10-04 02:00 -> 02:30 (30 minutes)

(a) a naive start in a gap runs that day shifted, every other day at the typed time;
(b) the typed local date decides the weekday and the day of the month;
(c) a start given as the second pass of a repeated hour is the first run, for every
    schedule type, when the rule names its wall time; later runs follow the usual rules.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from schedules import dispatcher, recurrence, services, views
from schedules.models import ScheduledJob
from schedules.recurrence import (
    Recurrence,
    RecurrenceError,
    build,
    count_runs_between,
    describe,
    iter_runs,
    next_run,
    next_runs,
    runs_between,
    typed_local_start,
    typed_wall_time,
)
from schedules.tests.test_recurrence_properties import (
    PROPERTY_SETTINGS,
    SAMPLE,
    ZONES,
    cron_lines,
    date_patterns,
    rrules,
    starts_in,
)

NY = "America/New_York"
NUUK = "America/Nuuk"
LORD_HOWE = "Australia/Lord_Howe"

GAP_NY = datetime(2027, 3, 14, 2, 30)  # does not exist: 03:30 EDT
GAP_NUUK = datetime(2027, 3, 27, 23, 30)  # Saturday; does not exist: Sunday 00:30 -01
SECOND_PASS = "2026-11-01T01:30:00-05:00"  # 01:30 EST, the second 01:30 of the night


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def wall(instants: list[datetime], zone: str) -> list[str]:
    tz = ZoneInfo(zone)
    return [i.astimezone(tz).isoformat(timespec="minutes") for i in instants]


def typed(schedule_type, local, zone, pattern="", **limits):
    """The schedule as a user typing ``local`` (naive) creates it."""
    return build(schedule_type, local, zone, pattern, local_start=local, **limits)


def runs(rec, count=4, after=None):
    return wall(next_runs(rec, after, count), rec.timezone)


# --- the zone data these cases are worked out from -----------------------------------


def _offset_change(zone: str, near: datetime) -> tuple[datetime, datetime]:
    """The local wall time just before and just after the first offset change after ``near``."""
    tz = ZoneInfo(zone)
    moment = near.replace(tzinfo=UTC)
    step = timedelta(minutes=1)
    while moment.astimezone(tz).utcoffset() == (moment + step).astimezone(tz).utcoffset():
        moment += step
    return moment.astimezone(tz), (moment + step).astimezone(tz)


def test_the_zone_data_has_the_transitions_these_cases_are_worked_out_from():
    before, after = _offset_change(NY, datetime(2027, 3, 13))
    assert before.isoformat() == "2027-03-14T01:59:00-05:00"
    assert after.isoformat() == "2027-03-14T03:00:00-04:00"
    before, after = _offset_change(NUUK, datetime(2027, 3, 26))
    assert before.isoformat() == "2027-03-27T22:59:00-02:00"
    assert after.isoformat() == "2027-03-28T00:00:00-01:00"
    assert date(2027, 3, 27).strftime("%A") == "Saturday"
    before, after = _offset_change(NY, datetime(2026, 10, 31))
    assert before.isoformat() == "2026-11-01T01:59:00-04:00"
    assert after.isoformat() == "2026-11-01T01:00:00-05:00"
    before, after = _offset_change(NY, datetime(2027, 11, 1))
    assert after.isoformat() == "2027-11-07T01:00:00-05:00"
    before, after = _offset_change(LORD_HOWE, datetime(2026, 10, 3))
    assert (before.strftime("%H:%M"), after.strftime("%H:%M")) == ("01:59", "02:30")


# --- (a) a start typed inside a gap keeps its wall time -------------------------------


def test_daily_typed_in_a_gap_runs_shifted_that_day_then_at_the_typed_time():
    rec = typed("daily", GAP_NY, NY)
    assert rec.start == utc(2027, 3, 14, 7, 30)  # the first run: 03:30 EDT
    assert runs(rec) == [
        "2027-03-14T03:30-04:00",
        "2027-03-15T02:30-04:00",
        "2027-03-16T02:30-04:00",
        "2027-03-17T02:30-04:00",
    ]
    assert describe(rec) == "Every day at 02:30 America/New_York"


def test_the_same_instant_given_with_an_offset_is_a_0330_series():
    # 03:30-04:00 names the instant, and 03:30 is what the user asked for.
    start = "2027-03-14T03:30:00-04:00"
    rec = build("daily", start, NY, local_start=typed_wall_time(start, NY))
    assert runs(rec, 2) == ["2027-03-14T03:30-04:00", "2027-03-15T03:30-04:00"]
    # Without a typed wall time the engine knows only the instant: the same.
    assert runs(build("daily", start, NY), 2) == runs(rec, 2)


@pytest.mark.parametrize(
    ("schedule_type", "pattern", "expected"),
    [
        # 2027-03-14 is a Sunday.
        ("weekly", "", ["2027-03-14T03:30-04:00", "2027-03-21T02:30-04:00"]),
        ("weekly", "weekly:sunday,monday", ["2027-03-14T03:30-04:00", "2027-03-15T02:30-04:00"]),
        ("monthly", "", ["2027-03-14T03:30-04:00", "2027-04-14T02:30-04:00"]),
        ("monthly", "monthly:14", ["2027-03-14T03:30-04:00", "2027-04-14T02:30-04:00"]),
        ("cron", "30 2 * * *", ["2027-03-14T03:30-04:00", "2027-03-15T02:30-04:00"]),
        ("rrule", "FREQ=DAILY", ["2027-03-14T03:30-04:00", "2027-03-15T02:30-04:00"]),
        ("rrule", "FREQ=WEEKLY", ["2027-03-14T03:30-04:00", "2027-03-21T02:30-04:00"]),
        ("once", "", ["2027-03-14T03:30-04:00"]),
    ],
)
def test_every_type_typed_in_a_gap_runs_shifted_once_then_at_the_typed_time(
    schedule_type, pattern, expected
):
    assert runs(typed(schedule_type, GAP_NY, NY, pattern), 2) == expected


def test_a_30_minute_gap_shifts_the_first_run_by_30_minutes_only():
    rec = typed("daily", datetime(2026, 10, 4, 2, 15), LORD_HOWE)
    assert runs(rec, 3) == [
        "2026-10-04T02:45+11:00",
        "2026-10-05T02:15+11:00",
        "2026-10-06T02:15+11:00",
    ]


def test_jumping_far_ahead_lands_on_the_typed_wall_time():
    rec = typed("daily", GAP_NY, NY)
    after = utc(2027, 7, 1, 12)
    assert runs(rec, 2, after=after) == ["2027-07-02T02:30-04:00", "2027-07-03T02:30-04:00"]
    # Next spring's gap shifts that one day again, and max_runs still counts from the start.
    counted = typed("daily", GAP_NY, NY, max_runs=367)
    assert runs(counted, 3, after=utc(2028, 3, 11, 12)) == [
        "2028-03-12T03:30-04:00",  # 2028's gap day
        "2028-03-13T02:30-04:00",
        "2028-03-14T02:30-04:00",  # the 367th run
    ]


# --- (b) the typed local date decides the weekday and the day of the month ----------


@pytest.mark.parametrize("pattern", ["weekly:saturday", ""])
def test_weekly_saturday_typed_where_the_gap_swallows_midnight_stays_on_saturdays(pattern):
    rec = typed("weekly", GAP_NUUK, NUUK, pattern)
    assert rec.start == utc(2027, 3, 28, 1, 30)  # Sunday 00:30 -01
    assert runs(rec) == [
        "2027-03-28T00:30-01:00",  # that Saturday's 23:30, moved on by the gap
        "2027-04-03T23:30-01:00",
        "2027-04-10T23:30-01:00",
        "2027-04-17T23:30-01:00",
    ]
    assert describe(rec) == "Every Saturday at 23:30 America/Nuuk"


@pytest.mark.parametrize("pattern", ["monthly:27", ""])
def test_monthly_27_typed_where_the_gap_swallows_midnight_stays_on_the_27th(pattern):
    rec = typed("monthly", GAP_NUUK, NUUK, pattern)
    assert runs(rec) == [
        "2027-03-28T00:30-01:00",  # the 27th's 23:30, moved on by the gap
        "2027-04-27T23:30-01:00",
        "2027-05-27T23:30-01:00",
        "2027-06-27T23:30-01:00",
    ]
    assert describe(rec) == "On the 27th of every month at 23:30 America/Nuuk"


def test_only_the_instant_would_move_the_series_to_sundays_at_0030():
    """What the engine makes of the instant alone: why the typed wall time is stored."""
    rec = build("weekly", GAP_NUUK, NUUK, "weekly:saturday")
    assert runs(rec, 2) == ["2027-04-03T00:30-01:00", "2027-04-10T00:30-01:00"]


def test_a_rule_for_another_day_takes_its_first_run_from_the_typed_date_on():
    # Typed on Saturday: Sunday 28th is the next Sunday, at the typed 23:30.
    rec = typed("weekly", GAP_NUUK, NUUK, "weekly:sunday")
    assert runs(rec, 2) == ["2027-03-28T23:30-01:00", "2027-04-04T23:30-01:00"]
    rec = typed("monthly", GAP_NUUK, NUUK, "monthly:28")
    assert runs(rec, 2) == ["2027-03-28T23:30-01:00", "2027-04-28T23:30-01:00"]


@pytest.mark.parametrize(
    ("schedule_type", "pattern", "expected"),
    [
        ("daily", "", ["2027-03-28T00:30-01:00", "2027-03-28T23:30-01:00"]),
        ("cron", "30 23 * * 6", ["2027-03-28T00:30-01:00", "2027-04-03T23:30-01:00"]),
        ("rrule", "FREQ=WEEKLY", ["2027-03-28T00:30-01:00", "2027-04-03T23:30-01:00"]),
        ("rrule", "FREQ=MONTHLY", ["2027-03-28T00:30-01:00", "2027-04-27T23:30-01:00"]),
    ],
)
def test_other_types_typed_where_the_gap_swallows_midnight(schedule_type, pattern, expected):
    assert runs(typed(schedule_type, GAP_NUUK, NUUK, pattern), 2) == expected


def test_jumps_and_counts_use_the_typed_date():
    rec = typed("weekly", GAP_NUUK, NUUK, "weekly:saturday", max_runs=3)
    assert runs(rec, 5, after=utc(2027, 4, 5)) == ["2027-04-10T23:30-01:00"]
    assert runs(typed("monthly", GAP_NUUK, NUUK, "monthly:27"), 1, after=utc(2028, 1, 1)) == [
        "2028-01-27T23:30-02:00"
    ]


# --- (c) a start given as the second pass of a repeated hour -------------------------


def second_pass(schedule_type, pattern="", *, with_typed_wall_time=True, **limits):
    local = typed_wall_time(SECOND_PASS, NY) if with_typed_wall_time else None
    return build(schedule_type, SECOND_PASS, NY, pattern, local_start=local, **limits)


def test_the_second_pass_reads_as_its_wall_time_and_keeps_its_instant():
    assert typed_wall_time(SECOND_PASS, NY) == datetime(2026, 11, 1, 1, 30)
    assert second_pass("once").start == utc(2026, 11, 1, 6, 30)  # not 05:30, the first pass


@pytest.mark.parametrize("with_typed_wall_time", [True, False])
@pytest.mark.parametrize(
    ("schedule_type", "pattern", "expected"),
    [
        ("once", "", ["2026-11-01T01:30-05:00"]),
        ("daily", "", ["2026-11-01T01:30-05:00", "2026-11-02T01:30-05:00"]),
        ("weekly", "weekly:sunday", ["2026-11-01T01:30-05:00", "2026-11-08T01:30-05:00"]),
        ("monthly", "monthly:1", ["2026-11-01T01:30-05:00", "2026-12-01T01:30-05:00"]),
        ("cron", "30 1 * * *", ["2026-11-01T01:30-05:00", "2026-11-02T01:30-05:00"]),
        ("rrule", "FREQ=DAILY", ["2026-11-01T01:30-05:00", "2026-11-02T01:30-05:00"]),
    ],
)
def test_a_second_pass_start_is_the_first_run_for_every_type(
    schedule_type, pattern, expected, with_typed_wall_time
):
    rec = second_pass(schedule_type, pattern, with_typed_wall_time=with_typed_wall_time)
    assert runs(rec, 2) == expected
    assert next_run(rec) == utc(2026, 11, 1, 6, 30)
    # Asking from just before the start finds it too (the dispatcher's question).
    assert next_run(rec, after=rec.start - timedelta(microseconds=1)) == rec.start
    assert runs_between(rec, rec.start, rec.start + timedelta(minutes=1)) == [rec.start]
    assert count_runs_between(rec, rec.start - timedelta(hours=2), rec.start, 10) == 1


@pytest.mark.parametrize(
    ("schedule_type", "pattern"),
    [
        ("daily", ""),
        ("weekly", "weekly:sunday"),
        ("cron", "30 1 * * 0"),
        ("rrule", "FREQ=WEEKLY"),
    ],
)
def test_later_runs_in_a_repeated_hour_run_at_the_first_pass(schedule_type, pattern):
    # 2027-11-07 is the next fall-back Sunday: a fixed 01:30 runs once, in EDT.
    rec = second_pass(schedule_type, pattern)
    assert runs(rec, 1, after=utc(2027, 11, 6, 12)) == ["2027-11-07T01:30-04:00"]


def test_a_rule_with_a_single_run_at_the_second_pass_is_valid():
    rec = second_pass("rrule", "FREQ=DAILY;COUNT=1")
    assert runs(rec, 3) == ["2026-11-01T01:30-05:00"]
    rec = second_pass("rrule", "FREQ=DAILY;BYHOUR=1;BYMINUTE=30;BYSECOND=0")
    assert runs(rec, 2) == ["2026-11-01T01:30-05:00", "2026-11-02T01:30-05:00"]


def test_a_wildcard_cron_line_from_the_second_pass_goes_on_in_real_time():
    assert runs(second_pass("cron", "*/30 * * * *"), 3) == [
        "2026-11-01T01:30-05:00",
        "2026-11-01T02:00-05:00",
        "2026-11-01T02:30-05:00",
    ]
    # From the first pass it runs in both passes: the second 01:00 comes after the start.
    first_pass = build("cron", "2026-11-01T01:30:00-04:00", NY, "*/30 * * * *")
    assert runs(first_pass, 4) == [
        "2026-11-01T01:30-04:00",
        "2026-11-01T01:00-05:00",
        "2026-11-01T01:30-05:00",
        "2026-11-01T02:00-05:00",
    ]
    assert next_run(first_pass, after=first_pass.start) == utc(2026, 11, 1, 6, 0)


def test_only_the_starts_own_wall_time_runs_in_the_second_pass():
    # 01:45 is a fixed time: its run is the first pass, which is before the start.
    assert runs(second_pass("cron", "45 1 * * *"), 1) == ["2026-11-02T01:45-05:00"]
    assert runs(second_pass("rrule", "FREQ=DAILY;BYMINUTE=45"), 1) == ["2026-11-02T01:45-05:00"]
    assert runs(second_pass("cron", "0 9 * * *"), 1) == ["2026-11-01T09:00-05:00"]


def test_a_first_pass_start_is_unchanged():
    start = "2026-11-01T01:30:00-04:00"
    for schedule_type, pattern in (("daily", ""), ("cron", "30 1 * * *"), ("rrule", "FREQ=DAILY")):
        rec = build(schedule_type, start, NY, pattern, local_start=typed_wall_time(start, NY))
        assert runs(rec, 2) == ["2026-11-01T01:30-04:00", "2026-11-02T01:30-05:00"]


# --- the engine's contract for local_start ----------------------------------------------


def test_a_typed_wall_time_must_name_the_start():
    with pytest.raises(RecurrenceError) as error:
        Recurrence("daily", utc(2027, 3, 14, 7, 30), NY, local_start=datetime(2027, 3, 14, 2, 0))
    assert error.value.field == "scheduled_at"
    with pytest.raises(RecurrenceError):
        Recurrence(
            "daily",
            utc(2027, 3, 14, 7, 30),
            NY,
            local_start=datetime(2027, 3, 14, 2, 30, tzinfo=UTC),
        )
    # Both ways of writing the instant are accepted.
    assert Recurrence("daily", GAP_NY, NY, local_start=GAP_NY).local_time.hour == 2
    shifted = datetime(2027, 3, 14, 3, 30)
    assert Recurrence("daily", GAP_NY, NY, local_start=shifted).local_time.hour == 3


def test_typed_local_start_keeps_a_wall_time_only_while_it_names_the_start():
    start = utc(2027, 3, 14, 7, 30)
    assert typed_local_start("2027-03-14T02:30:00", start, NY) == GAP_NY
    assert typed_local_start(GAP_NY, start, NY) == GAP_NY
    assert typed_local_start("2027-03-14T02:30:00", start + timedelta(days=1), NY) is None
    assert typed_local_start("2027-03-14T02:30:00", start, "America/Chicago") is None
    assert typed_local_start("", start, NY) is None
    assert typed_local_start("not a time", start, NY) is None
    assert typed_local_start("2027-03-14T02:30:00+00:00", start, NY) is None
    assert typed_local_start("2027-03-14T02:30:00", start, "Mars/Base") is None


def test_typed_wall_time_reads_naive_input_as_typed_and_instants_in_the_zone():
    assert typed_wall_time("2027-03-14T02:30", NY) == GAP_NY
    assert typed_wall_time(GAP_NY, NY) == GAP_NY
    assert typed_wall_time("2027-03-14T07:30:00Z", NY) == datetime(2027, 3, 14, 3, 30)
    with pytest.raises(RecurrenceError):
        typed_wall_time("soon", NY)


# --- properties with a typed wall time ---------------------------------------------------


@st.composite
def typed_schedules(draw):
    kind = draw(st.sampled_from(["date", "cron", "rrule"]))
    if kind == "date":
        schedule_type, pattern = draw(date_patterns())
    elif kind == "cron":
        schedule_type, pattern = "cron", draw(cron_lines)
    else:
        schedule_type, pattern = "rrule", draw(rrules)
    zone = draw(st.sampled_from(ZONES))
    local = draw(starts_in(zone))
    max_runs = draw(st.one_of(st.none(), st.integers(1, SAMPLE + 10)))
    return build(schedule_type, local, zone, pattern, max_runs=max_runs, local_start=local)


@PROPERTY_SETTINGS
@given(typed_schedules(), st.integers(0, 24 * 400), st.integers(0, 59))
def test_typed_series_jump_exactly_as_they_walk(rec, hours, minutes):
    after = rec.start + timedelta(hours=hours, minutes=minutes)
    if rec.schedule_type in ("cron", "rrule"):
        after = rec.start + timedelta(minutes=hours * 3 + minutes)
    walked = []
    for run in iter_runs(rec):
        assert run >= rec.start
        if run > after:
            walked.append(run)
            if len(walked) == 5:
                break
    assert next_runs(rec, after, 5) == walked


def _matches_typed(rec, day: date) -> bool:
    local = rec.local_start
    if rec.schedule_type == "daily":
        return True
    if rec.schedule_type == "weekly":
        names = rec.pattern.partition(":")[2].split(",") if rec.pattern else []
        wanted = {recurrence.WEEKDAYS.index(n) for n in names} or {local.weekday()}
        return day.weekday() in wanted
    wanted = int(rec.pattern.partition(":")[2]) if rec.pattern else local.day
    last = (date(day.year + day.month // 12, day.month % 12 + 1, 1) - timedelta(days=1)).day
    return day.day == (last if wanted == -1 else min(wanted, last))


@PROPERTY_SETTINGS
@given(typed_schedules())
def test_typed_date_series_run_at_the_typed_wall_time_on_typed_dates(rec):
    """Every run is the typed wall time on a matching date, or that moved by a gap."""
    if rec.schedule_type not in ("daily", "weekly", "monthly"):
        return
    tz = ZoneInfo(rec.timezone)
    wanted = rec.local_start.time()
    for run in next_runs(rec, None, SAMPLE):
        local = run.astimezone(tz).replace(tzinfo=None)
        for day in (local.date(), local.date() - timedelta(days=1)):
            nominal = datetime.combine(day, wanted)
            if recurrence._resolve(nominal, tz) == run or (
                run == rec.start and nominal == rec.local_start
            ):
                assert _matches_typed(rec, day), (run, day)
                break
        else:
            raise AssertionError(f"{local} is not {wanted} on a matching date, even moved by a gap")


# --- the product: services, dispatcher, pages, stored rows (the API: test_api_local_start) --

BEFORE_SPRING = datetime(2027, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def before_spring():
    """Frozen a fortnight before the New York and Nuuk gaps (ask for it before a client
    fixture, so the client signs in at the frozen time)."""
    with time_machine.travel(BEFORE_SPRING, tick=False):
        yield


@pytest.mark.django_db
def test_the_dispatcher_runs_the_shifted_first_day_then_the_typed_time(workspace):
    schedule = services.schedule_create(
        workspace=workspace,
        name="Night batch",
        schedule_type="daily",
        scheduled_at=recurrence.parse_local_start(GAP_NY, NY),
        scheduled_local="2027-03-14T02:30:00",
        timezone=NY,
        job_config={"executor": "noop"},
        now=BEFORE_SPRING,
    )
    dispatcher.dispatch_due(now=utc(2027, 3, 14, 7, 30, 1))
    schedule.refresh_from_db()
    assert list(schedule.jobs.values_list("scheduled_for", flat=True)) == [utc(2027, 3, 14, 7, 30)]
    assert schedule.next_run_at == utc(2027, 3, 15, 6, 30)


@pytest.mark.django_db
def test_a_stale_typed_wall_time_gives_way_to_the_new_start(workspace):
    schedule = services.schedule_create(
        workspace=workspace,
        name="Night batch",
        schedule_type="daily",
        scheduled_at=recurrence.parse_local_start(GAP_NY, NY),
        scheduled_local="2027-03-14T02:30:00",
        timezone=NY,
        job_config={"executor": "noop"},
        now=BEFORE_SPRING,
    )
    # A caller that moves only the instant (the planner does): its wall time wins.
    moved = services.schedule_update(
        schedule=schedule, scheduled_at=utc(2027, 3, 20, 8, 0), now=BEFORE_SPRING
    )
    assert moved.scheduled_local == "2027-03-20T04:00:00"
    assert moved.recurrence().local_time.hour == 4
    # A row whose stored value no longer names its start is read the same way.
    ScheduledJob.objects.filter(pk=schedule.pk).update(scheduled_local="2027-03-14T02:30:00")
    assert ScheduledJob.objects.get(pk=schedule.pk).local_start() == datetime(2027, 3, 20, 4, 0)


@pytest.mark.django_db
def test_scheduled_local_must_be_a_wall_time(workspace):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.schedule_create(
            workspace=workspace,
            name="Bad",
            schedule_type="daily",
            scheduled_at=utc(2027, 3, 20, 8, 0),
            scheduled_local="tomorrow",
            timezone=NY,
            job_config={"executor": "noop"},
            now=BEFORE_SPRING,
        )
    assert "scheduled_local" in error.value.message_dict


@pytest.mark.django_db
def test_the_page_form_keeps_the_typed_wall_time_and_shows_it_again(
    before_spring, page_client, workspace
):
    response = page_client.post(
        "/schedules/new/",
        {
            "workspace": workspace.pk,
            "name": "Night batch",
            "schedule_type": "daily",
            "scheduled_at": "2027-03-14T02:30",
            "timezone": NY,
            "misfire_policy": "run_once",
            "overlap_policy": "skip",
        },
    )
    assert response.status_code == 302
    schedule = ScheduledJob.objects.get(name="Night batch")
    assert schedule.scheduled_local == "2027-03-14T02:30:00"
    assert schedule.upcoming_runs(count=2) == [utc(2027, 3, 14, 7, 30), utc(2027, 3, 15, 6, 30)]
    edit = page_client.get(f"/schedules/{schedule.pk}/edit/").content.decode()
    assert 'value="2027-03-14T02:30"' in edit
    # The live preview as the user types: the same series.
    preview = page_client.get(
        "/schedules/preview/",
        {"schedule_type": "daily", "timezone": NY, "scheduled_at": "2027-03-14T02:30"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Every day at 02:30 America/New_York" in preview
    shown = views.preview_runs(
        {"schedule_type": "daily", "timezone": NY, "scheduled_at": "2027-03-14T02:30"}
    )["runs"]
    assert [run.isoformat(timespec="minutes") for run in shown[:2]] == [
        "2027-03-14T03:30-04:00",
        "2027-03-15T02:30-04:00",
    ]


@pytest.mark.django_db
def test_the_migration_fills_existing_rows_from_scheduled_at_in_their_zone(workspace):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("schedules.migrations.0004_scheduled_local")
    schedule = services.schedule_create(
        workspace=workspace,
        name="Old row",
        schedule_type="daily",
        scheduled_at=utc(2027, 3, 20, 8, 0),
        timezone=NY,
        job_config={"executor": "noop"},
        now=BEFORE_SPRING,
    )
    ScheduledJob.objects.update(scheduled_local="")
    migration.fill_scheduled_local(apps, None)
    schedule.refresh_from_db()
    assert schedule.scheduled_local == "2027-03-20T04:00:00"

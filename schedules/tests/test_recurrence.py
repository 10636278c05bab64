"""Table tests for the recurrence engine: every type, across real DST changes.

DST changes used (2026):
  America/New_York     gap 2026-03-08 02:00->03:00, fold 2026-11-01 01:00-02:00
  Europe/London        gap 2026-03-29 01:00->02:00, fold 2026-10-25 01:00-02:00
  Australia/Sydney     fold 2026-04-05 02:00-03:00, gap 2026-10-04 02:00->03:00
  Australia/Lord_Howe  fold 2026-04-05 01:30-02:00, gap 2026-10-04 02:00->02:30 (30 minutes)
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from cronsim import CronSim

from schedules import recurrence
from schedules.recurrence import (
    RecurrenceError,
    build,
    count_runs_between,
    describe,
    iter_runs,
    next_run,
    next_runs,
    parse_local_start,
    runs_between,
)

NY = "America/New_York"
LONDON = "Europe/London"
SYDNEY = "Australia/Sydney"
LORD_HOWE = "Australia/Lord_Howe"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def wall(instants: list[datetime], zone: str) -> list[str]:
    """Runs as local wall time with offset, which is what a user reads."""
    tz = ZoneInfo(zone)
    return [i.astimezone(tz).isoformat(timespec="minutes") for i in instants]


def series(schedule_type, start, zone, pattern="", count=5, **limits):
    rec = build(schedule_type, start, zone, pattern, **limits)
    return wall(next_runs(rec, None, count), zone)


# --- daily ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "start", "expected"),
    [
        (
            NY,
            "2026-03-07T09:00",
            ["2026-03-07T09:00-05:00", "2026-03-08T09:00-04:00", "2026-03-09T09:00-04:00"],
        ),
        (
            NY,
            "2026-10-31T09:00",
            ["2026-10-31T09:00-04:00", "2026-11-01T09:00-05:00", "2026-11-02T09:00-05:00"],
        ),
        (
            LONDON,
            "2026-03-28T09:00",
            ["2026-03-28T09:00+00:00", "2026-03-29T09:00+01:00", "2026-03-30T09:00+01:00"],
        ),
        (
            SYDNEY,
            "2026-04-04T09:00",
            ["2026-04-04T09:00+11:00", "2026-04-05T09:00+10:00", "2026-04-06T09:00+10:00"],
        ),
        (
            SYDNEY,
            "2026-10-03T09:00",
            ["2026-10-03T09:00+10:00", "2026-10-04T09:00+11:00", "2026-10-05T09:00+11:00"],
        ),
        (
            LORD_HOWE,
            "2026-10-03T09:00",
            ["2026-10-03T09:00+10:30", "2026-10-04T09:00+11:00", "2026-10-05T09:00+11:00"],
        ),
    ],
)
def test_daily_keeps_its_local_time_across_dst(zone, start, expected):
    assert series("daily", start, zone, count=3) == expected


@pytest.mark.parametrize(
    ("zone", "start", "expected"),
    [
        # Spring forward: the missing wall time runs later by the gap, never dropped.
        (
            NY,
            "2026-03-07T02:30",
            ["2026-03-07T02:30-05:00", "2026-03-08T03:30-04:00", "2026-03-09T02:30-04:00"],
        ),
        (
            LONDON,
            "2026-03-28T01:30",
            ["2026-03-28T01:30+00:00", "2026-03-29T02:30+01:00", "2026-03-30T01:30+01:00"],
        ),
        (
            SYDNEY,
            "2026-10-03T02:30",
            ["2026-10-03T02:30+10:00", "2026-10-04T03:30+11:00", "2026-10-05T02:30+11:00"],
        ),
        # A 30-minute shift moves the run by 30 minutes, not an hour.
        (
            LORD_HOWE,
            "2026-10-03T02:15",
            ["2026-10-03T02:15+10:30", "2026-10-04T02:45+11:00", "2026-10-05T02:15+11:00"],
        ),
    ],
)
def test_daily_in_a_spring_forward_gap_runs_shifted_by_the_gap(zone, start, expected):
    assert series("daily", start, zone, count=3) == expected


@pytest.mark.parametrize(
    ("zone", "start", "expected"),
    [
        # Fall back: the repeated wall time runs once, at its first occurrence.
        (
            NY,
            "2026-10-31T01:30",
            ["2026-10-31T01:30-04:00", "2026-11-01T01:30-04:00", "2026-11-02T01:30-05:00"],
        ),
        (
            LONDON,
            "2026-10-24T01:30",
            ["2026-10-24T01:30+01:00", "2026-10-25T01:30+01:00", "2026-10-26T01:30+00:00"],
        ),
        (
            SYDNEY,
            "2026-04-04T02:30",
            ["2026-04-04T02:30+11:00", "2026-04-05T02:30+11:00", "2026-04-06T02:30+10:00"],
        ),
        (
            LORD_HOWE,
            "2026-04-04T01:45",
            ["2026-04-04T01:45+11:00", "2026-04-05T01:45+11:00", "2026-04-06T01:45+10:30"],
        ),
    ],
)
def test_daily_in_a_fall_back_fold_runs_once_at_the_first_occurrence(zone, start, expected):
    assert series("daily", start, zone, count=3) == expected


def test_a_start_given_in_the_second_pass_of_a_fold_is_the_first_run():
    second_pass = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo(NY), fold=1)  # 01:30 EST
    assert series("daily", second_pass, NY, count=2) == [
        "2026-11-01T01:30-05:00",
        "2026-11-02T01:30-05:00",
    ]


def test_daily_repeats_the_local_time_of_an_instant_given_in_utc():
    # 14:00Z in January is 09:00 in New York: the series stays at 09:00 local.
    assert series("daily", "2026-03-07T14:00:00Z", NY, count=2) == [
        "2026-03-07T09:00-05:00",
        "2026-03-08T09:00-04:00",
    ]


def test_daily_accepts_daily_as_its_pattern():
    assert series("daily", "2026-01-01T09:00Z", "UTC", "Daily", count=1) == [
        "2026-01-01T09:00+00:00"
    ]


# --- weekly ------------------------------------------------------------------------


def test_weekly_monday_starting_on_a_tuesday_starts_the_next_monday():
    # The seed's Use Case 2: 2025-11-11 is a Tuesday.
    rec = build("weekly", "2025-11-11T10:00:00Z", "UTC", "weekly:monday")
    assert next_runs(rec, None, 2) == [utc(2025, 11, 17, 10), utc(2025, 11, 24, 10)]


def test_weekly_keeps_9am_new_york_across_spring_forward():
    assert series("weekly", "2026-03-02T09:00", NY, "weekly:monday", count=3) == [
        "2026-03-02T09:00-05:00",
        "2026-03-09T09:00-04:00",
        "2026-03-16T09:00-04:00",
    ]


def test_weekly_on_several_days_runs_each_of_them_in_order():
    assert series("weekly", "2026-10-27T08:00", LONDON, "weekly:thursday,monday", count=4) == [
        "2026-10-29T08:00+00:00",
        "2026-11-02T08:00+00:00",
        "2026-11-05T08:00+00:00",
        "2026-11-09T08:00+00:00",
    ]


@pytest.mark.parametrize(
    "pattern", ["weekly:MON,thu", "Weekly: Monday , THURSDAY", "weekly:mon,thu"]
)
def test_weekly_day_names_are_case_insensitive_and_may_be_abbreviated(pattern):
    assert series("weekly", "2026-01-05T09:00Z", "UTC", pattern, count=3) == [
        "2026-01-05T09:00+00:00",
        "2026-01-08T09:00+00:00",
        "2026-01-12T09:00+00:00",
    ]


def test_weekly_without_a_pattern_uses_the_local_weekday_of_the_start():
    # 2026-03-03T02:00Z is a Tuesday in UTC but Monday 21:00 in New York.
    assert series("weekly", "2026-03-03T02:00:00Z", NY, count=2) == [
        "2026-03-02T21:00-05:00",
        "2026-03-09T21:00-04:00",
    ]


def test_weekly_in_a_gap_shifts_that_one_week_only():
    assert series("weekly", "2026-03-01T02:30", NY, "weekly:sunday", count=3) == [
        "2026-03-01T02:30-05:00",
        "2026-03-08T03:30-04:00",
        "2026-03-15T02:30-04:00",
    ]


# --- monthly -------------------------------------------------------------------------


def test_monthly_on_the_31st_clamps_to_the_last_day_of_shorter_months():
    assert series("monthly", "2027-01-31T08:00Z", "UTC", "monthly:31", count=5) == [
        "2027-01-31T08:00+00:00",
        "2027-02-28T08:00+00:00",  # 2027 is not a leap year
        "2027-03-31T08:00+00:00",
        "2027-04-30T08:00+00:00",  # 30-day month
        "2027-05-31T08:00+00:00",
    ]


def test_monthly_on_the_30th_runs_on_february_29_in_a_leap_year():
    assert series("monthly", "2028-01-30T08:00Z", "UTC", "monthly:30", count=3) == [
        "2028-01-30T08:00+00:00",
        "2028-02-29T08:00+00:00",
        "2028-03-30T08:00+00:00",
    ]


@pytest.mark.parametrize(
    ("start", "expected_february"),
    [("2027-01-31T08:00", "2027-02-28"), ("2028-01-31T08:00", "2028-02-29")],
)
def test_monthly_last_day_follows_leap_years(start, expected_february):
    runs = series("monthly", start, LONDON, "monthly:-1", count=4)
    assert [run[:10] for run in runs][1] == expected_february
    assert [run[8:10] for run in runs] == ["31", expected_february[-2:], "31", "30"]


def test_monthly_last_day_keeps_local_time_across_london_dst():
    assert series("monthly", "2026-02-28T08:00", LONDON, "monthly:-1", count=3) == [
        "2026-02-28T08:00+00:00",
        "2026-03-31T08:00+01:00",
        "2026-04-30T08:00+01:00",
    ]


def test_monthly_first_run_is_the_first_matching_day_at_or_after_the_start():
    assert series("monthly", "2025-11-10T08:00Z", "UTC", "monthly:1", count=2) == [
        "2025-12-01T08:00+00:00",
        "2026-01-01T08:00+00:00",
    ]


def test_monthly_without_a_pattern_uses_the_local_day_of_the_start():
    # 2026-01-31T03:00Z is still January 30 in New York.
    assert series("monthly", "2026-01-31T03:00:00Z", NY, count=3) == [
        "2026-01-30T22:00-05:00",
        "2026-02-28T22:00-05:00",
        "2026-03-30T22:00-04:00",
    ]


def test_monthly_in_a_gap_runs_shifted_that_month():
    assert series("monthly", "2026-09-04T02:15", LORD_HOWE, "monthly:4", count=3) == [
        "2026-09-04T02:15+10:30",
        "2026-10-04T02:45+11:00",
        "2026-11-04T02:15+11:00",
    ]


# --- once ---------------------------------------------------------------------------


def test_once_runs_exactly_once_at_the_start():
    rec = build("once", "2026-12-01T09:00", NY)
    assert list(iter_runs(rec)) == [utc(2026, 12, 1, 14)]
    assert next_run(rec, after=utc(2026, 12, 1, 14)) is None
    assert next_run(rec, after=utc(2026, 12, 1, 13)) == utc(2026, 12, 1, 14)


# --- cron ---------------------------------------------------------------------------


def test_cron_monday_9am_stays_9am_in_new_york_across_dst():
    assert series("cron", "2026-03-01T00:00", NY, "0 9 * * 1", count=3) == [
        "2026-03-02T09:00-05:00",
        "2026-03-09T09:00-04:00",
        "2026-03-16T09:00-04:00",
    ]


@pytest.mark.parametrize(
    ("zone", "line", "day", "expected"),
    [
        (NY, "30 2 * * *", "2026-03-08", ["2026-03-08T03:30-04:00"]),
        (LONDON, "30 1 * * *", "2026-03-29", ["2026-03-29T02:30+01:00"]),
        (SYDNEY, "30 2 * * *", "2026-10-04", ["2026-10-04T03:30+11:00"]),
        (LORD_HOWE, "15 2 * * *", "2026-10-04", ["2026-10-04T02:45+11:00"]),
    ],
)
def test_cron_fixed_time_in_a_gap_runs_shifted_by_the_gap(zone, line, day, expected):
    rec = build("cron", "2026-01-01T00:00", zone, line)
    start = parse_local_start(f"{day}T00:00", zone)
    assert wall(runs_between(rec, start, start + timedelta(hours=24)), zone) == expected


@pytest.mark.parametrize(
    ("zone", "line", "day", "expected"),
    [
        (NY, "30 1 * * *", "2026-11-01", ["2026-11-01T01:30-04:00"]),
        (LONDON, "30 1 * * *", "2026-10-25", ["2026-10-25T01:30+01:00"]),
        (SYDNEY, "30 2 * * *", "2026-04-05", ["2026-04-05T02:30+11:00"]),
        (LORD_HOWE, "45 1 * * *", "2026-04-05", ["2026-04-05T01:45+11:00"]),
    ],
)
def test_cron_fixed_time_in_a_fold_runs_once(zone, line, day, expected):
    rec = build("cron", "2026-01-01T00:00", zone, line)
    start = parse_local_start(f"{day}T00:00", zone)
    assert wall(runs_between(rec, start, start + timedelta(hours=25)), zone) == expected


def test_cron_wildcard_hour_runs_in_both_passes_of_the_repeated_hour():
    rec = build("cron", "2026-10-31T00:00", NY, "0,30 * * * *")
    start = parse_local_start("2026-11-01T00:00", NY)
    runs = wall(runs_between(rec, start, parse_local_start("2026-11-01T03:00", NY)), NY)
    assert runs == [
        "2026-11-01T00:00-04:00",
        "2026-11-01T00:30-04:00",
        "2026-11-01T01:00-04:00",
        "2026-11-01T01:30-04:00",
        "2026-11-01T01:00-05:00",
        "2026-11-01T01:30-05:00",
        "2026-11-01T02:00-05:00",
        "2026-11-01T02:30-05:00",
    ]


def test_cron_wildcard_minute_in_a_fixed_hour_runs_in_both_passes_too():
    rec = build("cron", "2026-10-01T00:00", LORD_HOWE, "*/15 1 * * *")
    start = parse_local_start("2026-04-05T00:00", LORD_HOWE)
    rec = build("cron", "2026-04-01T00:00", LORD_HOWE, "*/15 1 * * *")
    runs = wall(runs_between(rec, start, start + timedelta(hours=4)), LORD_HOWE)
    # 01:30-02:00 happens twice on Lord Howe Island (a 30-minute fold).
    assert runs == [
        "2026-04-05T01:00+11:00",
        "2026-04-05T01:15+11:00",
        "2026-04-05T01:30+11:00",
        "2026-04-05T01:45+11:00",
        "2026-04-05T01:30+10:30",
        "2026-04-05T01:45+10:30",
    ]


@pytest.mark.parametrize(("zone", "day", "hours"), [(NY, "2026-03-08", 23), (NY, "2026-11-01", 25)])
def test_hourly_cron_runs_once_per_real_hour_on_dst_days(zone, day, hours):
    rec = build("cron", "2026-01-01T00:00", zone, "@hourly")
    start = parse_local_start(f"{day}T00:00", zone)
    next_day = parse_local_start(f"{day}T00:00", zone) + timedelta(hours=hours)
    runs = runs_between(rec, start, next_day)
    assert len(runs) == hours
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(runs))


def test_cron_with_a_stepped_hour_shifts_the_skipped_run_rather_than_dropping_it():
    rec = build("cron", "2026-03-01T00:00", NY, "0 */2 * * *")
    start = parse_local_start("2026-03-08T00:00", NY)
    runs = wall(runs_between(rec, start, start + timedelta(hours=7)), NY)
    assert runs == [
        "2026-03-08T00:00-05:00",
        "2026-03-08T03:00-04:00",  # 02:00 does not exist: moved on by the gap
        "2026-03-08T04:00-04:00",
        "2026-03-08T06:00-04:00",
    ]


@pytest.mark.parametrize(
    ("alias", "line"),
    [
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
    ],
)
def test_cron_aliases_mean_their_five_field_lines(alias, line):
    by_alias = build("cron", "2026-01-01T00:00Z", LONDON, alias)
    by_line = build("cron", "2026-01-01T00:00Z", LONDON, line)
    assert next_runs(by_alias, None, 30) == next_runs(by_line, None, 30)


@pytest.mark.parametrize(
    "line",
    ["0 9 * * 1", "*/20 * * * *", "30 1 * * *", "0,30 * * * *", "*/15 1 * * *", "15 3 1,15 * *"],
)
@pytest.mark.parametrize("zone", [NY, LONDON, SYDNEY, LORD_HOWE])
def test_cron_agrees_with_cronsim_everywhere_outside_a_gap(line, zone):
    """cronsim's own DST rules (real-time steps for wildcard lines, fixed lines once
    in a fold) are what the engine does, except for wall times inside a gap."""
    rec = build("cron", "2026-01-01T00:00", zone, line)
    tz = ZoneInfo(zone)
    ours, theirs = [], []
    # A week around each DST change of every zone here.
    for month, day in ((3, 6), (3, 27), (4, 3), (10, 2), (10, 23), (10, 30)):
        first, last = utc(2026, month, day), utc(2026, month, day) + timedelta(days=8)
        ours += runs_between(rec, first, last)
        for moment in CronSim(line, first.astimezone(tz) - timedelta(seconds=1)):
            if moment >= last:
                break
            theirs.append(moment.astimezone(UTC))

    def exists(instant: datetime) -> bool:
        local = instant.astimezone(tz).replace(tzinfo=None)
        return all(
            local.replace(tzinfo=tz, fold=f).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
            == local
            for f in (0, 1)
        )

    def near_gap(instant: datetime) -> bool:
        off = instant.astimezone(tz).utcoffset()
        return (instant - timedelta(hours=2)).astimezone(tz).utcoffset() < off

    assert [t for t in ours if not near_gap(t)] == [t for t in theirs if not near_gap(t)]
    assert all(exists(t) for t in theirs)


def test_cronsim_alone_would_move_or_drop_gap_times_which_the_engine_does_not():
    """Why the engine resolves cron wall times itself: cronsim moves 02:30 to
    03:00 on spring-forward day and skips 02:00 of an every-2-hours line; the
    product rule is "shifted by the gap, never dropped"."""
    tz = ZoneInfo(NY)
    sim = CronSim("30 2 * * *", datetime(2026, 3, 8, 0, 0, tzinfo=tz))
    assert next(sim).isoformat() == "2026-03-08T03:00:00-04:00"
    rec = build("cron", "2026-03-08T00:00", NY, "30 2 * * *")
    assert wall([next_run(rec)], NY) == ["2026-03-08T03:30-04:00"]
    # And a stepped hour line loses its 02:00 run altogether.
    stepped = CronSim("0 */2 * * *", datetime(2026, 3, 8, 0, 0, tzinfo=tz))
    assert next(stepped).isoformat() == "2026-03-08T04:00:00-04:00"


# --- rrule --------------------------------------------------------------------------


def test_rrule_weekly_on_two_days_keeps_local_time_across_dst():
    assert series("rrule", "2026-03-02T09:00", NY, "RRULE:FREQ=WEEKLY;BYDAY=MO,WE", 4) == [
        "2026-03-02T09:00-05:00",
        "2026-03-04T09:00-05:00",
        "2026-03-09T09:00-04:00",
        "2026-03-11T09:00-04:00",
    ]


def test_rrule_in_a_gap_is_shifted_and_in_a_fold_runs_once():
    assert series("rrule", "2026-03-07T02:30", NY, "FREQ=DAILY", 3) == [
        "2026-03-07T02:30-05:00",
        "2026-03-08T03:30-04:00",
        "2026-03-09T02:30-04:00",
    ]
    assert series("rrule", "2026-04-04T01:45", LORD_HOWE, "FREQ=DAILY", 3) == [
        "2026-04-04T01:45+11:00",
        "2026-04-05T01:45+11:00",
        "2026-04-06T01:45+10:30",
    ]


def test_rrule_count_and_utc_until_end_the_series():
    assert len(series("rrule", "2026-01-01T09:00", NY, "FREQ=DAILY;COUNT=3", 10)) == 3
    # UNTIL 14:00Z on Jan 3 is 09:00 New York time: inclusive.
    runs = series("rrule", "2026-01-01T09:00", NY, "FREQ=DAILY;UNTIL=20260103T140000Z", 10)
    assert runs[-1] == "2026-01-03T09:00-05:00"
    assert len(runs) == 3


def test_rrule_last_friday_of_the_month_at_two_times():
    runs = series("rrule", "2026-01-01T09:00", LONDON, "FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=9,17", 4)
    assert runs == [
        "2026-01-30T09:00+00:00",
        "2026-01-30T17:00+00:00",
        "2026-02-27T09:00+00:00",
        "2026-02-27T17:00+00:00",
    ]


# --- the seed's scenarios ----------------------------------------------------------


def test_use_case_1_daily_for_90_days_ends_at_the_end_date_after_90_runs():
    rec = build(
        "daily",
        "2025-01-01T09:00:00Z",
        "UTC",
        end="2025-03-31T23:59:59Z",
        max_runs=90,
    )
    runs = list(iter_runs(rec))
    assert len(runs) == 90
    assert runs[0] == utc(2025, 1, 1, 9)
    assert runs[-1] == utc(2025, 3, 31, 9)
    assert next_run(rec, after=runs[-1]) is None
    # Either limit alone ends the series in the same place.
    assert list(iter_runs(build("daily", rec.start, "UTC", end=rec.end))) == runs
    assert list(iter_runs(build("daily", rec.start, "UTC", max_runs=90))) == runs


def test_use_case_2_daily_at_14_utc():
    rec = build("daily", "2025-11-10T14:00:00Z", "UTC")
    assert next_runs(rec, utc(2025, 11, 12, 14), 2) == [
        utc(2025, 11, 13, 14),
        utc(2025, 11, 14, 14),
    ]


def test_monthly_on_the_31st_for_a_year_in_new_york():
    runs = series("monthly", "2026-01-31T09:00", NY, "monthly:31", count=12)
    assert [r[:10] for r in runs] == [
        "2026-01-31",
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
        "2026-05-31",
        "2026-06-30",
        "2026-07-31",
        "2026-08-31",
        "2026-09-30",
        "2026-10-31",
        "2026-11-30",
        "2026-12-31",
    ]
    assert {r[11:16] for r in runs} == {"09:00"}


# --- limits, after, windows -----------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule_type", "pattern"),
    [("daily", ""), ("weekly", "weekly:monday,friday"), ("monthly", "monthly:31")],
)
def test_max_runs_is_counted_from_the_series_start_even_when_jumping(schedule_type, pattern):
    rec = build(schedule_type, "2026-01-01T09:00", NY, pattern, max_runs=40)
    everything = list(iter_runs(rec))
    assert len(everything) == 40
    for index in (0, 10, 38, 39):
        assert next_run(rec, after=everything[index]) == (
            everything[index + 1] if index + 1 < 40 else None
        )
    assert next_run(rec, after=everything[-1] + timedelta(days=400)) is None


def test_a_day_skipped_by_the_zone_does_not_double_a_run_or_miscount_max_runs():
    # Samoa skipped 2011-12-30: the 09:00 run that day and on Dec 31 are one instant.
    rec = build("daily", "2011-12-26T09:00", "Pacific/Apia", max_runs=8)
    runs = wall(list(iter_runs(rec)), "Pacific/Apia")
    assert [r[:10] for r in runs] == [
        "2011-12-26",
        "2011-12-27",
        "2011-12-28",
        "2011-12-29",
        "2011-12-31",
        "2012-01-01",
        "2012-01-02",
        "2012-01-03",
    ]
    assert next_run(rec, after=utc(2012, 1, 10)) is None


def test_end_date_is_inclusive():
    rec = build("daily", "2026-01-01T09:00Z", "UTC", end="2026-01-03T09:00Z")
    assert list(iter_runs(rec)) == [utc(2026, 1, 1, 9), utc(2026, 1, 2, 9), utc(2026, 1, 3, 9)]


def test_runs_between_includes_the_start_and_excludes_the_end():
    rec = build("daily", "2026-01-01T09:00Z", "UTC")
    assert runs_between(rec, utc(2026, 1, 2, 9), utc(2026, 1, 4, 9)) == [
        utc(2026, 1, 2, 9),
        utc(2026, 1, 3, 9),
    ]
    assert runs_between(rec, utc(2026, 1, 2, 9), utc(2026, 2, 1), limit=1) == [utc(2026, 1, 2, 9)]


def test_count_runs_between_counts_after_the_start_up_to_the_end_and_stops_at_the_cap():
    rec = build("daily", "2026-01-01T09:00Z", "UTC")
    assert count_runs_between(rec, utc(2026, 1, 2, 9), utc(2026, 1, 4, 9), cap=100) == 2
    assert count_runs_between(rec, utc(2026, 1, 1), utc(2027, 1, 1), cap=5) == 5


def test_next_run_after_a_run_is_the_following_one_not_the_same():
    rec = build("weekly", "2026-01-05T09:00Z", "UTC", "weekly:monday")
    assert next_run(rec, after=utc(2026, 1, 12, 9)) == utc(2026, 1, 19, 9)


@pytest.mark.parametrize(
    ("schedule_type", "pattern"),
    [("daily", ""), ("weekly", "weekly:monday"), ("monthly", "monthly:-1")],
)
def test_a_far_later_after_jumps_instead_of_walking_from_the_start(
    monkeypatch, schedule_type, pattern
):
    rec = build(schedule_type, "1950-01-02T09:00", NY, pattern)
    calls = {"n": 0}
    real_resolve = recurrence._resolve

    def counting_resolve(local, tz):
        calls["n"] += 1
        return real_resolve(local, tz)

    monkeypatch.setattr(recurrence, "_resolve", counting_resolve)
    found = next_run(rec, after=utc(2026, 6, 1))
    assert found is not None
    assert found > utc(2026, 6, 1)
    assert calls["n"] < 40


def test_a_far_later_after_also_jumps_for_cron_and_rrule():
    cron = build("cron", "1990-01-01T00:00", NY, "*/5 * * * *")
    assert next_run(cron, after=utc(2026, 6, 1)) == utc(2026, 6, 1, 0, 5)
    rule = build("rrule", "1990-01-01T00:00", NY, "FREQ=MINUTELY;INTERVAL=7")
    # Every 7 minutes of New York wall-clock time counted from the start.
    first = next_run(rule, after=utc(2026, 6, 1))
    local = first.astimezone(ZoneInfo(NY)).replace(tzinfo=None)
    assert ((local - datetime(1990, 1, 1)).total_seconds() / 60) % 7 == 0
    assert first - utc(2026, 6, 1) <= timedelta(minutes=7)


def test_after_must_be_an_aware_datetime():
    rec = build("daily", "2026-01-01T09:00Z", "UTC")
    with pytest.raises(ValueError, match="aware"):
        next_run(rec, after=datetime(2026, 1, 2))


# --- parsing the start ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "zone", "expected"),
    [
        ("2026-12-01T09:00:00Z", NY, utc(2026, 12, 1, 9)),
        ("2026-12-01T09:00:00+01:00", NY, utc(2026, 12, 1, 8)),
        ("2026-12-01T09:00:00", NY, utc(2026, 12, 1, 14)),
        (datetime(2026, 7, 1, 9, 0), LONDON, utc(2026, 7, 1, 8)),
        ("2026-03-08T02:30", NY, utc(2026, 3, 8, 7, 30)),  # gap: 03:30 EDT
        ("2026-11-01T01:30", NY, utc(2026, 11, 1, 5, 30)),  # fold: the first, EDT
        ("2026-10-04T02:15", LORD_HOWE, utc(2026, 10, 3, 15, 45)),  # gap: 02:45 +11
    ],
)
def test_scheduled_at_with_an_offset_is_an_instant_and_without_is_local_time(value, zone, expected):
    assert parse_local_start(value, zone) == expected


def test_a_scheduled_at_that_is_not_a_date_names_its_field():
    with pytest.raises(RecurrenceError) as caught:
        parse_local_start("next tuesday", NY)
    assert caught.value.field == "scheduled_at"


# --- validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"schedule_type": "hourly"}, "schedule_type", "not a schedule type"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "not a known IANA timezone"),
        ({"timezone": ""}, "timezone", "IANA"),
        ({"schedule_type": "weekly", "pattern": "weekly:funday"}, "recurrence_pattern", "funday"),
        ({"schedule_type": "weekly", "pattern": "weekly:"}, "recurrence_pattern", "day of the"),
        ({"schedule_type": "weekly", "pattern": "monday"}, "recurrence_pattern", "weekly:"),
        ({"schedule_type": "monthly", "pattern": "monthly:32"}, "recurrence_pattern", "32"),
        ({"schedule_type": "monthly", "pattern": "monthly:0"}, "recurrence_pattern", "'0'"),
        ({"schedule_type": "monthly", "pattern": "monthly:-2"}, "recurrence_pattern", "-2"),
        ({"schedule_type": "monthly", "pattern": "weekly:monday"}, "recurrence_pattern", "month"),
        ({"schedule_type": "cron", "pattern": "61 * * * *"}, "recurrence_pattern", "minute"),
        ({"schedule_type": "cron", "pattern": "0 9 * *"}, "recurrence_pattern", "5 fields"),
        ({"schedule_type": "cron", "pattern": "0 0 9 * * 1"}, "recurrence_pattern", "5 fields"),
        ({"schedule_type": "cron", "pattern": "0 0 30 2 *"}, "recurrence_pattern", "cron"),
        ({"schedule_type": "cron", "pattern": "@fortnightly"}, "recurrence_pattern", "cron"),
        ({"schedule_type": "cron", "pattern": ""}, "recurrence_pattern", "cron line"),
        (
            {"schedule_type": "rrule", "pattern": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"},
            "recurrence_pattern",
            "never",
        ),
        (
            {"schedule_type": "rrule", "pattern": "FREQ=MINUTELY;BYMONTH=4;BYMONTHDAY=31"},
            "recurrence_pattern",
            "never",
        ),
        (
            {"schedule_type": "rrule", "pattern": "FREQ=DAILY;UNTIL=20200101T000000Z"},
            "recurrence_pattern",
            "never",
        ),
        ({"schedule_type": "rrule", "pattern": "FREQ=FORTNIGHTLY"}, "recurrence_pattern", "RRULE"),
        ({"schedule_type": "rrule", "pattern": "BYDAY=MO"}, "recurrence_pattern", "FREQ"),
        (
            {"schedule_type": "rrule", "pattern": "DTSTART:20260101T000000\nRRULE:FREQ=DAILY"},
            "recurrence_pattern",
            "DTSTART",
        ),
        ({"schedule_type": "rrule", "pattern": "FREQ=SECONDLY"}, "recurrence_pattern", "MINUTELY"),
        ({"schedule_type": "rrule", "pattern": "FREQ=DAILY;INTERVAL=0"}, "recurrence_pattern", "1"),
        (
            {"schedule_type": "rrule", "pattern": "FREQ=DAILY;COUNT=2;UNTIL=20270101"},
            "recurrence_pattern",
            "not both",
        ),
        (
            {"schedule_type": "rrule", "pattern": "FREQ=DAILY;BYHOUR=25"},
            "recurrence_pattern",
            "hour",
        ),
        ({"schedule_type": "once", "pattern": "daily"}, "recurrence_pattern", "once"),
        ({"schedule_type": "daily", "pattern": "weekly:monday"}, "recurrence_pattern", "daily"),
        ({"end": "2026-05-31T09:00:00Z"}, "recurrence_end_date", "before scheduled_at"),
        (
            {"schedule_type": "once", "end": "2026-05-31T09:00:00Z"},
            "recurrence_end_date",
            "before",
        ),
        (
            {"schedule_type": "weekly", "pattern": "weekly:monday", "end": "2026-06-04T00:00Z"},
            "recurrence_end_date",
            "after recurrence_end_date",
        ),
        ({"max_runs": -1}, "max_runs", "at least 1"),
        ({"max_runs": 0}, "max_runs", "at least 1"),
        ({"max_runs": "ten"}, "max_runs", "whole number"),
        ({"start": "soon"}, "scheduled_at", "date and time"),
        ({"end": "later"}, "recurrence_end_date", "date and time"),
    ],
)
def test_bad_input_raises_an_error_naming_the_field(kwargs, field, words):
    # 2026-06-02 is a Tuesday.
    arguments = {"schedule_type": "daily", "start": "2026-06-02T09:00:00Z", "timezone": NY}
    arguments |= kwargs
    with pytest.raises(RecurrenceError) as caught:
        build(**arguments)
    assert caught.value.field == field
    assert words.lower() in str(caught.value).lower()


def test_an_end_equal_to_the_start_is_a_series_of_one_run():
    rec = build("daily", "2026-06-02T09:00Z", NY, end="2026-06-02T09:00Z")
    assert list(iter_runs(rec)) == [utc(2026, 6, 2, 9)]


def test_a_recurrence_built_directly_is_validated_too():
    with pytest.raises(RecurrenceError) as caught:
        recurrence.Recurrence("monthly", utc(2026, 1, 1), "UTC", "monthly:99")
    assert caught.value.field == "recurrence_pattern"


# --- descriptions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("weekly", "2026-01-05T09:00", NY, "weekly:monday"), "Every Monday at 09:00 " + NY),
        (
            ("weekly", "2026-01-05T09:00", NY, "weekly:friday,monday,wed"),
            "Every Monday, Wednesday and Friday at 09:00 America/New_York",
        ),
        (("daily", "2026-01-05T09:00Z", "UTC", ""), "Every day at 09:00 UTC"),
        (
            ("monthly", "2026-01-31T08:00", LONDON, "monthly:-1"),
            "On the last day of every month at 08:00 Europe/London",
        ),
        (
            ("monthly", "2026-01-01T08:00", LONDON, "monthly:1"),
            "On the 1st of every month at 08:00 Europe/London",
        ),
        (
            ("monthly", "2026-01-31T08:00", LONDON, "monthly:31"),
            "On the 31st of every month (the last day in shorter months) at 08:00 Europe/London",
        ),
        (("once", "2026-12-01T09:00", NY, ""), "Once on 2026-12-01 09:00 America/New_York"),
        (("cron", "2026-01-01T00:00", NY, "0 9 * * 1"), "At 09:00, only on Monday (" + NY + ")"),
        (("cron", "2026-01-01T00:00", "UTC", "*/15 * * * *"), "Every 15 minutes (UTC)"),
        (
            ("rrule", "2026-01-05T09:00", NY, "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE"),
            "Every 2 weeks on Monday and Wednesday at 09:00 (America/New_York)",
        ),
        (
            ("rrule", "2026-01-05T09:00", "UTC", "FREQ=MONTHLY;BYDAY=-1FR;COUNT=6"),
            "Every month on the last Friday at 09:00, 6 times (UTC)",
        ),
    ],
)
def test_descriptions_read_as_a_sentence(args, expected):
    assert describe(build(*args)) == expected


def test_description_can_mention_the_limits():
    rec = build("daily", "2026-01-01T09:00Z", "UTC", end="2026-03-31T09:00Z", max_runs=90)
    assert describe(rec, with_limits=True) == (
        "Every day at 09:00 UTC, 90 times at most, until 2026-03-31 09:00"
    )


def test_an_exotic_rrule_is_described_by_the_rule_itself():
    rec = build("rrule", "2026-01-01T09:00Z", "UTC", "FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-1")
    assert describe(rec) == (
        "Repeats by the rule 'FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-1' from 2026-01-01 09:00 (UTC)"
    )


# --- the edges of the calendar --------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule_type", "pattern", "start", "expected"),
    [
        ("daily", "", "9999-12-30T09:00Z", [utc(9999, 12, 30, 9), utc(9999, 12, 31, 9)]),
        (
            "monthly",
            "monthly:31",
            "9999-11-30T09:00Z",
            [utc(9999, 11, 30, 9), utc(9999, 12, 31, 9)],
        ),
        ("weekly", "", "9999-12-24T09:00Z", [utc(9999, 12, 24, 9), utc(9999, 12, 31, 9)]),
        ("cron", "0 9 * * *", "9999-12-29T09:00Z", [utc(9999, 12, 29, 9), utc(9999, 12, 30, 9)]),
    ],
)
def test_a_series_that_reaches_year_9999_simply_ends(schedule_type, pattern, start, expected):
    rec = build(schedule_type, start, "UTC", pattern)
    runs = list(iter_runs(rec))
    assert runs[: len(expected)] == expected
    assert next_run(rec, after=utc(9999, 12, 31, 12)) is None


def test_a_start_the_zone_cannot_show_names_scheduled_at():
    with pytest.raises(RecurrenceError) as caught:
        build("daily", "9999-12-31T23:00Z", "Pacific/Kiritimati")
    assert caught.value.field == "scheduled_at"

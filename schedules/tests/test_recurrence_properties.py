"""Property tests: rules every series obeys, for all starts, zones, patterns and limits."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from cronsim import CronSim
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedules.recurrence import (
    CRON_ALIASES,
    WEEKDAYS,
    build,
    count_runs_between,
    iter_runs,
    next_run,
    next_runs,
    runs_between,
)

ZONES = [
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
    "Pacific/Chatham",
]
SAMPLE = 60  # runs examined per example

PROPERTY_SETTINGS = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Minutes near DST changes are where the bugs live: make them likely.
local_starts = st.builds(
    datetime,
    year=st.integers(2025, 2028),
    month=st.sampled_from([1, 3, 4, 9, 10, 11, 12]),
    day=st.integers(1, 28),
    hour=st.sampled_from([0, 1, 2, 3, 9, 23]),
    minute=st.sampled_from([0, 15, 30, 45, 59]),
)


def _dst_change_dates(zone: str) -> list[date]:
    """Local dates in 2025-2028 on which the zone's offset changes."""
    tz = ZoneInfo(zone)
    dates = []
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    while moment.year < 2029:
        following = moment + timedelta(days=1)
        if moment.astimezone(tz).utcoffset() != following.astimezone(tz).utcoffset():
            dates.append(following.astimezone(tz).date())
        moment = following
    return dates


DST_CHANGE_DATES = {zone: _dst_change_dates(zone) for zone in ZONES}


@st.composite
def starts_in(draw, zone: str):
    """A local start, half the time within two days before one of the zone's DST changes."""
    changes = DST_CHANGE_DATES[zone]
    if not changes or draw(st.booleans()):
        return draw(local_starts)
    day = draw(st.sampled_from(changes)) - timedelta(days=draw(st.integers(0, 2)))
    clock = draw(local_starts).time()
    return datetime.combine(day, clock)


@st.composite
def date_patterns(draw):
    schedule_type = draw(st.sampled_from(["daily", "weekly", "monthly"]))
    if schedule_type == "daily":
        return schedule_type, draw(st.sampled_from(["", "daily"]))
    if schedule_type == "weekly":
        days = draw(st.sets(st.sampled_from(WEEKDAYS), min_size=0, max_size=3))
        return schedule_type, ("weekly:" + ",".join(sorted(days))) if days else ""
    day = draw(st.sampled_from([None, 1, 15, 28, 29, 30, 31, -1]))
    return schedule_type, "" if day is None else f"monthly:{day}"


cron_lines = st.sampled_from(
    [
        "0 9 * * 1",
        "30 2 * * *",
        "15 1 * * *",
        "*/30 * * * *",
        "0 */2 * * *",
        "45 1,2 * * 0,6",
        "0 0 L * *",
        "@hourly",
        "*/20 1-3 * * *",
    ]
)
rrules = st.sampled_from(
    [
        "FREQ=DAILY",
        "FREQ=WEEKLY;BYDAY=MO,TH",
        "FREQ=MONTHLY;BYMONTHDAY=31",
        "FREQ=MONTHLY;BYDAY=-1SU",
        "FREQ=HOURLY;INTERVAL=5",
        "FREQ=DAILY;BYHOUR=1,2,3;BYMINUTE=30",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU",
        "FREQ=YEARLY;BYMONTH=3,10;BYDAY=SU",
    ]
)


@st.composite
def schedules(draw, kinds=("date", "cron", "rrule")):
    kind = draw(st.sampled_from(kinds))
    if kind == "date":
        schedule_type, pattern = draw(date_patterns())
    elif kind == "cron":
        schedule_type, pattern = "cron", draw(cron_lines)
    else:
        schedule_type, pattern = "rrule", draw(rrules)
    zone = draw(st.sampled_from(ZONES))
    start = draw(starts_in(zone))
    rec = build(schedule_type, start, zone, pattern)
    end = None
    if draw(st.booleans()):
        first = next_run(rec)
        end = first + timedelta(hours=draw(st.integers(0, 24 * 120)))
    max_runs = draw(st.one_of(st.none(), st.integers(1, SAMPLE + 10)))
    return build(schedule_type, start, zone, pattern, end=end, max_runs=max_runs)


def sample(rec, after=None, n=SAMPLE):
    return next_runs(rec, after, n)


@PROPERTY_SETTINGS
@given(schedules())
def test_runs_are_strictly_increasing_unique_and_within_the_limits(rec):
    runs = sample(rec)
    assert runs, "a built schedule always runs at least once"
    assert runs[0] >= rec.start
    assert all(a < b for a, b in itertools.pairwise(runs))
    assert all(run.tzinfo is UTC for run in runs)
    if rec.end is not None:
        assert runs[-1] <= rec.end
    if rec.max_runs is not None:
        assert len(runs) <= rec.max_runs
    if len(runs) < SAMPLE:
        assert next_run(rec, after=runs[-1]) is None


def _nominal_date_matches(rec, day: date) -> bool:
    if rec.schedule_type == "daily":
        return True
    local_start = rec.start.astimezone(ZoneInfo(rec.timezone))
    if rec.schedule_type == "weekly":
        names = rec.pattern.partition(":")[2].split(",") if rec.pattern else []
        wanted = {WEEKDAYS.index(n) for n in names} or {local_start.weekday()}
        return day.weekday() in wanted
    wanted = int(rec.pattern.partition(":")[2]) if rec.pattern else local_start.day
    last = (date(day.year + day.month // 12, day.month % 12 + 1, 1) - timedelta(days=1)).day
    return day.day == (last if wanted == -1 else min(wanted, last))


@PROPERTY_SETTINGS
@given(schedules(kinds=("date",)))
def test_every_run_is_at_the_requested_wall_time_except_shifted_by_exactly_a_gap(rec):
    tz = ZoneInfo(rec.timezone)
    wanted = rec.start.astimezone(tz).replace(tzinfo=None).time()
    for run in sample(rec)[1:]:
        local = run.astimezone(tz)
        nominal = datetime.combine(local.date(), wanted)
        if local.replace(tzinfo=None) == nominal:
            assert _nominal_date_matches(rec, local.date())
            # A repeated wall time runs at its first occurrence only.
            assert local.fold == 0 or nominal.replace(tzinfo=tz, fold=0).utcoffset() == (
                nominal.replace(tzinfo=tz, fold=1).utcoffset()
            )
            continue
        # Otherwise the nominal time fell in a gap on this date (or, for a gap
        # spanning midnight, the day before) and the run moved by the gap.
        for day in (local.date(), local.date() - timedelta(days=1)):
            nominal = datetime.combine(day, wanted)
            before = nominal.replace(tzinfo=tz, fold=0).utcoffset()
            after = nominal.replace(tzinfo=tz, fold=1).utcoffset()
            gap = after - before
            if gap > timedelta(0) and local.replace(tzinfo=None) == nominal + gap:
                assert _nominal_date_matches(rec, day)
                break
        else:
            raise AssertionError(f"{local} is neither {wanted} local nor {wanted} moved by a gap")


@PROPERTY_SETTINGS
@given(schedules(), st.integers(0, 24 * 400), st.integers(0, 59))
def test_runs_after_a_moment_are_the_full_series_filtered_to_after_it(rec, hours, minutes):
    """Jumping to `after` gives exactly what walking from the start gives."""
    after = rec.start + timedelta(hours=hours, minutes=minutes)
    if rec.schedule_type in ("cron", "rrule"):
        after = rec.start + timedelta(minutes=hours * 3 + minutes)  # keep the walk short
    walked = []
    for run in iter_runs(rec):
        if run > after:
            walked.append(run)
            if len(walked) == 5:
                break
    assert next_runs(rec, after, 5) == walked
    assert next_run(rec, after) == (walked[0] if walked else None)


@PROPERTY_SETTINGS
@given(schedules(), st.integers(0, 24 * 60), st.integers(1, 24 * 40), st.integers(1, 50))
def test_windows_and_counts_agree_with_the_series(rec, offset_hours, width_hours, cap):
    first = rec.start + timedelta(hours=offset_hours) - timedelta(hours=12)
    last = first + timedelta(hours=width_hours)
    series = []
    for run in iter_runs(rec):
        if run >= last + timedelta(hours=1):
            break
        series.append(run)
    assert runs_between(rec, first, last) == [r for r in series if first <= r < last]
    assert runs_between(rec, first, last, limit=3) == [r for r in series if first <= r < last][:3]
    in_window = [r for r in series if first < r <= last]
    assert count_runs_between(rec, first, last, cap) == min(len(in_window), cap)


@PROPERTY_SETTINGS
@given(schedules(kinds=("cron", "rrule")))
def test_no_nominal_cron_or_rrule_time_is_dropped(rec):
    """Every wall time the line or rule names runs: at that time, or moved by a gap."""
    runs = sample(rec)
    if rec.max_runs is not None and len(runs) >= rec.max_runs:
        runs = runs[:-1]  # the series was cut short on purpose
    if len(runs) < 2:
        return
    tz = ZoneInfo(rec.timezone)
    first_local = runs[0].astimezone(tz).replace(tzinfo=None)
    last_local = runs[-1].astimezone(tz).replace(tzinfo=None) - timedelta(hours=3)
    if rec.schedule_type == "cron":
        line = CRON_ALIASES.get(rec.pattern, rec.pattern)
        nominal = CronSim(line, first_local)
    else:
        start_local = rec.start.astimezone(tz).replace(tzinfo=None, microsecond=0)
        nominal = iter(rrulestr(rec.pattern, dtstart=start_local))
    found = set(runs)
    for wall_time in nominal:
        if wall_time > last_local:
            break
        if wall_time <= first_local:
            continue
        assert wall_time.replace(tzinfo=tz, fold=0).astimezone(UTC) in found, wall_time

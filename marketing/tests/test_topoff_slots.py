"""The pure slot maths: spreading, rolling stability, DST. No database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketing.topoff import cadence_slots, parse_schedule_times

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday, far from any DST change
NEW_YORK = ZoneInfo("America/New_York")


def slots(ppw, times, tz="UTC", start=MONDAY, days=28):
    return cadence_slots(
        posts_per_week=ppw,
        schedule_times=times,
        timezone=tz,
        window_start=start,
        window_end=start + timedelta(days=days),
    )


def test_daily_cadence_gives_one_post_a_day_at_the_configured_time():
    result = slots(7, ["09:00"])
    assert len(result) == 28
    assert all(s.hour == 9 and s.minute == 0 for s in result)
    assert result[0] == datetime(2026, 1, 5, 9, tzinfo=UTC)


def test_three_a_week_on_one_time_lands_on_monday_thursday_saturday():
    result = slots(3, ["10:30"], days=7)
    assert [s.strftime("%a %H:%M") for s in result] == ["Mon 10:30", "Thu 10:30", "Sat 10:30"]


def test_five_a_week_on_two_times_alternates_the_time_of_day():
    result = slots(5, ["09:00", "17:00"], days=7)
    assert [s.strftime("%a %H:%M") for s in result] == [
        "Mon 09:00",
        "Tue 17:00",
        "Thu 09:00",
        "Fri 17:00",
        "Sun 09:00",
    ]


def test_a_multiple_of_the_times_uses_every_time_on_evenly_spaced_days():
    result = slots(14, ["08:00", "20:00"], days=7)
    assert len(result) == 14
    assert {s.strftime("%H:%M") for s in result} == {"08:00", "20:00"}


def test_times_are_read_in_the_channel_timezone():
    result = slots(7, ["09:00"], tz="Asia/Tokyo", days=2)
    assert all(s.astimezone(ZoneInfo("Asia/Tokyo")).hour == 9 for s in result)
    assert result[0].hour == 0  # 09:00 JST is midnight UTC


@settings(max_examples=150, deadline=None)
@given(
    ppw=st.integers(min_value=1, max_value=168),
    count=st.integers(min_value=1, max_value=24),
    offset_hours=st.integers(min_value=0, max_value=24 * 30),
)
def test_every_seven_consecutive_days_hold_exactly_posts_per_week(ppw, count, offset_hours):
    times = [f"{h:02d}:15" for h in range(count)]
    start = MONDAY + timedelta(hours=offset_hours)
    result = slots(ppw, times, start=start, days=7)
    assert len(result) == min(ppw, 7 * count)
    assert result == sorted(set(result))


@settings(max_examples=100, deadline=None)
@given(
    ppw=st.integers(min_value=1, max_value=21),
    shift_days=st.integers(min_value=1, max_value=10),
)
def test_rolling_the_window_forward_never_moves_a_slot(ppw, shift_days):
    times = ["07:45", "12:00", "18:30"]
    today = set(slots(ppw, times, days=28))
    later_start = MONDAY + timedelta(days=shift_days)
    later = set(slots(ppw, times, start=later_start, days=28))
    overlap_end = MONDAY + timedelta(days=28)
    assert {s for s in today if s >= later_start} == {s for s in later if s < overlap_end}


def test_a_time_skipped_by_spring_forward_moves_past_the_gap():
    # 2026-03-08: New York clocks jump from 02:00 to 03:00.
    start = datetime(2026, 3, 7, tzinfo=UTC)
    result = slots(7, ["02:30"], tz="America/New_York", start=start, days=3)
    local = [s.astimezone(NEW_YORK) for s in result]
    assert [(d.day, d.hour, d.minute) for d in local] == [(7, 2, 30), (8, 3, 30), (9, 2, 30)]


def test_a_time_repeated_by_fall_back_is_used_once_at_its_first_occurrence():
    # 2026-11-01: New York repeats 01:00-02:00.
    start = datetime(2026, 10, 31, tzinfo=UTC)
    result = slots(7, ["01:30"], tz="America/New_York", start=start, days=3)
    on_the_day = [s for s in result if s.astimezone(NEW_YORK).day == 1]
    assert len(on_the_day) == 1
    assert on_the_day[0] == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT


def test_nine_oclock_stays_nine_oclock_local_across_a_dst_change():
    start = datetime(2026, 3, 1, tzinfo=UTC)
    result = slots(7, ["09:00"], tz="America/New_York", start=start, days=14)
    assert {s.astimezone(NEW_YORK).hour for s in result} == {9}
    assert {s.hour for s in result} == {13, 14}  # the UTC hour changes instead


def test_the_window_is_half_open_on_the_utc_instants():
    result = slots(7, ["00:00"], days=1)
    assert result == [MONDAY]


@pytest.mark.parametrize("ppw,times", [(0, ["09:00"]), (5, [])])
def test_no_cadence_means_no_slots(ppw, times):
    assert slots(ppw, times) == []


def test_more_posts_than_candidates_uses_every_candidate_once():
    assert len(slots(168, ["09:00"], days=7)) == 7


def test_schedule_times_are_sorted_and_deduplicated():
    assert parse_schedule_times(["17:00", "09:00", "17:00", " 09:00 "]) == ["09:00", "17:00"]


@pytest.mark.parametrize("bad", ["9:00", "24:00", "12:60", "noon", 900, None])
def test_malformed_schedule_times_are_refused_with_the_bad_value(bad):
    with pytest.raises(ValueError, match="HH:MM"):
        parse_schedule_times([bad])


def test_a_naive_window_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        cadence_slots(
            posts_per_week=7,
            schedule_times=["09:00"],
            timezone="UTC",
            window_start=datetime(2026, 1, 1),
            window_end=datetime(2026, 1, 2),
        )

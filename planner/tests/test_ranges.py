from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from planner import ranges
from planner.moves import SeriesMoveUnsupported, shifted_pattern


@pytest.mark.parametrize(
    ("view", "anchor", "first", "last", "prev", "next_"),
    [
        (
            "month",
            date(2026, 11, 23),
            date(2026, 10, 26),
            date(2026, 12, 6),
            date(2026, 10, 1),
            date(2026, 12, 1),
        ),
        (
            "month",
            date(2027, 2, 10),
            date(2027, 2, 1),
            date(2027, 2, 28),
            date(2027, 1, 1),
            date(2027, 3, 1),
        ),
        (
            "week",
            date(2026, 11, 25),
            date(2026, 11, 23),
            date(2026, 11, 29),
            date(2026, 11, 18),
            date(2026, 12, 2),
        ),
        (
            "day",
            date(2026, 12, 31),
            date(2026, 12, 31),
            date(2026, 12, 31),
            date(2026, 12, 30),
            date(2027, 1, 1),
        ),
        (
            "agenda",
            date(2026, 11, 23),
            date(2026, 11, 23),
            date(2026, 12, 6),
            date(2026, 11, 9),
            date(2026, 12, 7),
        ),
    ],
)
def test_each_view_covers_whole_weeks_or_days_and_pages_by_its_own_unit(
    view, anchor, first, last, prev, next_
):
    vr = ranges.view_range(view, anchor)
    assert (vr.first_day, vr.last_day, vr.prev_anchor, vr.next_anchor) == (first, last, prev, next_)


def test_month_navigation_from_the_31st_never_skips_a_month():
    assert ranges.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert ranges.add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)


def test_bounds_are_local_midnights_even_across_a_dst_change():
    zone = ZoneInfo("America/New_York")
    start, end = ranges.view_range("week", date(2026, 11, 1)).bounds(zone)
    assert start.astimezone(zone).hour == 0 and end.astimezone(zone).hour == 0
    # The week that contains the fall-back day is 7 days and one hour long.
    assert (end - start).total_seconds() == 7 * 24 * 3600 + 3600


@pytest.mark.parametrize("raw", ["", "garbage", "2026-13-40", None])
def test_unreadable_dates_and_views_fall_back_instead_of_failing(raw):
    assert ranges.parse_anchor(raw, date(2026, 1, 2)) == date(2026, 1, 2)
    assert ranges.parse_view(raw) == "month"


def test_titles_read_naturally():
    assert ranges.title_for(ranges.view_range("month", date(2026, 11, 5))) == "November 2026"
    assert (
        ranges.title_for(ranges.view_range("week", date(2026, 11, 25)))
        == "November 23 \u2013 29, 2026"
    )
    assert ranges.title_for(ranges.view_range("week", date(2026, 12, 30))).startswith(
        "Dec 28, 2026"
    )


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour)


def test_moving_a_weekly_series_swaps_the_weekday():
    # Tuesday 24th -> Wednesday 25th
    assert shifted_pattern("weekly", "weekly:tuesday,thursday", _at(24, 9), _at(25, 9)) == (
        "weekly:wednesday,thursday"
    )
    assert shifted_pattern("weekly", "weekly:tue", _at(24, 9), _at(26, 9)) == "weekly:thursday"
    assert shifted_pattern("weekly", "", _at(24, 9), _at(26, 9)) == ""


def test_moving_a_monthly_series_takes_the_new_day_and_keeps_last_day_semantics():
    assert shifted_pattern("monthly", "monthly:15", _at(15, 9), _at(17, 9)) == "monthly:17"
    assert shifted_pattern("monthly", "monthly:-1", _at(27, 9), _at(30, 9)) == "monthly:-1"
    assert shifted_pattern("daily", "", _at(15, 9), _at(17, 11)) == ""


def test_cron_and_rrule_series_are_not_guessed_at():
    with pytest.raises(SeriesMoveUnsupported):
        shifted_pattern("cron", "0 9 * * 1", _at(23, 9), _at(24, 9))

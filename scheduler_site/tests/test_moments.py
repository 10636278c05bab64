"""The one range of years every date the product accepts lives in (lib/moments.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import serializers

from scheduler_site.lib.moments import (
    FIRST_DAY,
    LAST_DAY,
    clamp_day,
    in_range,
    parse_moment,
    validate_moment,
)

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(1970, 1, 1), True),
        (date(2200, 12, 31), True),
        (date(1969, 12, 31), False),
        (date(2201, 1, 1), False),
        (datetime(2200, 12, 31, 23, 0), True),  # naive: the year as written
        (datetime(2200, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))), False),  # 2201 UTC
        (datetime(1970, 1, 1, 5, 0, tzinfo=timezone(timedelta(hours=9))), False),  # 1969 UTC
        (datetime(9999, 12, 31, 23, 0, tzinfo=UTC), False),
        (datetime(1, 1, 1, tzinfo=UTC), False),
    ],
)
def test_in_range(value, expected):
    assert in_range(value) is expected


def test_the_validator_says_the_range():
    validate_moment(None)
    validate_moment(date(2027, 1, 1))
    with pytest.raises(ValidationError, match="1970 to 2200") as error:
        validate_moment(date(9999, 1, 1))
    assert error.value.code == "year_out_of_range"


@given(st.dates())
def test_clamping_any_date_lands_in_the_range_and_keeps_dates_inside(day):
    clamped = clamp_day(day)
    assert FIRST_DAY <= clamped <= LAST_DAY
    assert (clamped == day) is in_range(day)


def test_a_date_names_a_local_midnight_and_an_end_the_midnight_after():
    assert parse_moment("2027-03-01", "from", TOKYO) == datetime(2027, 3, 1, tzinfo=TOKYO)
    assert parse_moment("2027-03-01", "to", TOKYO, end=True) == datetime(2027, 3, 2, tzinfo=TOKYO)
    # The last day of the range is a fine end: its midnight after is in 2201, harmlessly.
    assert parse_moment("2200-12-31", "to", TOKYO, end=True).year == 2201


@pytest.mark.parametrize(
    "value",
    ["1969-12-31", "2201-01-01", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+05:00"],
)
def test_a_moment_outside_the_range_is_a_400_naming_the_field(value):
    with pytest.raises(serializers.ValidationError) as error:
        parse_moment(value, "start", TOKYO)
    assert error.value.detail == {"start": ["The year must be from 1970 to 2200."]}


@pytest.mark.parametrize("value", ["2027-06-01T24:00", "yesterday", "2027-02-30", "1" * 40])
def test_what_is_not_a_moment_is_a_400_naming_the_field(value):
    with pytest.raises(serializers.ValidationError) as error:
        parse_moment(value, "start", TOKYO)
    assert "not a date" in str(error.value.detail["start"][0])

"""Dates and times users send: the one range the product accepts, and a reader
for moments typed into query strings.

Every date or datetime that comes in (API bodies and filters, page forms and
query strings) must fall in years ``FIRST_YEAR``-``LAST_YEAR``. Far from
Python's own limits (years 1 and 9999), that leaves room for every sum the
product does on them (a wave's delays, a calendar's next month, a zone's
offset, a recurrence's horizon) without an ``OverflowError``. The API's date
fields (``scheduler_site/api/fields.py``), filters, page and admin forms and
the calendar page all ask :func:`in_range` / :func:`validate_moment` here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import serializers

FIRST_YEAR, LAST_YEAR = 1970, 2200
YEAR_RANGE_MESSAGE = f"The year must be from {FIRST_YEAR} to {LAST_YEAR}."
FIRST_DAY, LAST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)


def in_range(value: date | datetime) -> bool:
    """Whether ``value`` is in years FIRST_YEAR-LAST_YEAR: a date or a naive
    datetime by its year, an aware datetime by its year both as written and in
    UTC (``2200-12-31T23:00-05:00`` is in 2201 once stored)."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        return False
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return FIRST_YEAR <= value.astimezone(UTC).year <= LAST_YEAR
    return True


def validate_moment(value: date | datetime | None) -> None:
    """The shared validator: a date or datetime outside the range is refused."""
    if value is not None and not in_range(value):
        raise ValidationError(YEAR_RANGE_MESSAGE, code="year_out_of_range")


# For ModelAdmin.formfield_overrides: staff forms refuse the same dates.
ADMIN_DATE_OVERRIDES = {models.DateTimeField: {"validators": [validate_moment]}}


def clamp_day(day: date) -> date:
    """The nearest day in the range (pages that must show something)."""
    return min(max(day, FIRST_DAY), LAST_DAY)


def parse_moment(value: str, field: str, zone: ZoneInfo, *, end: bool = False) -> datetime:
    """A date (local midnight in ``zone``; for an end, the midnight after) or an
    ISO datetime (naive = ``zone``). Anything else, or a year outside
    1970-2200, is a 400 naming ``field``."""
    value = (value or "").strip()
    problem = {field: [f"{value!r} is not a date (YYYY-MM-DD) or an ISO datetime."]}
    try:
        if "T" in value:
            # An unencoded "+01:00" in a query string arrives as " 01:00".
            moment = parse_datetime(value.replace(" ", "+"))
            if moment is not None and moment.tzinfo is None:
                moment = moment.replace(tzinfo=zone)
            day = moment
        else:
            day = parse_date(value)
            moment = None if day is None else datetime.combine(day, time.min, tzinfo=zone)
    except (ValueError, OverflowError):
        raise serializers.ValidationError(problem) from None
    if moment is None:
        raise serializers.ValidationError(problem)
    if not in_range(day):
        raise serializers.ValidationError({field: [YEAR_RANGE_MESSAGE]})
    if end and "T" not in value:
        moment += timedelta(days=1)
    return moment

"""Moments typed into query strings: a date or an ISO datetime, read in a zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import serializers

FIRST_YEAR, LAST_YEAR = 1970, 2200


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
        else:
            day = parse_date(value)
            moment = None if day is None else datetime.combine(day, time.min, tzinfo=zone)
            if moment is not None and end:
                moment += timedelta(days=1)
    except (ValueError, OverflowError):
        raise serializers.ValidationError(problem) from None
    if moment is None:
        raise serializers.ValidationError(problem)
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise serializers.ValidationError(
            {field: [f"The year must be from {FIRST_YEAR} to {LAST_YEAR}."]}
        )
    return moment

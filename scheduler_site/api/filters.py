"""Filters shared by the apps' APIs."""

from __future__ import annotations

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from scheduler_site.lib.moments import YEAR_RANGE_MESSAGE, validate_moment


class UTCIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 instant, converted to UTC before it reaches a query.

    Python accepts any offset under 24 hours, PostgreSQL only up to 15:59, so
    ``?created_before=2026-01-01T00:00+21:24`` was a DataError (a 500). The
    same instant in UTC is fine; its year must be one every date of the
    product lives in (``scheduler_site.lib.moments``), like a body's dates.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            value = value.astimezone(UTC)
        except OverflowError:  # year 1 with a positive offset leaves the calendar
            raise ValidationError(YEAR_RANGE_MESSAGE, code="year_out_of_range") from None
        validate_moment(value)
        return value


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField

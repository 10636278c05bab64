"""Filters shared by the apps' APIs."""

from __future__ import annotations

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField


class UTCIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 instant, converted to UTC before it reaches a query.

    Python accepts any offset under 24 hours, PostgreSQL only up to 15:59, so
    ``?created_before=2026-01-01T00:00+21:24`` was a DataError (a 500). The
    same instant in UTC is fine; one that leaves the calendar when converted
    (year 1 with a positive offset) is invalid.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField

"""Serializer fields shared by the apps' APIs."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from scheduler_site.lib.moments import YEAR_RANGE_MESSAGE, validate_moment


class JSONField(serializers.JSONField):
    """DRF's JSONField, refusing the null a form value parses to.

    DRF checks for null before parsing, so the JSON ``{"metadata": null}`` is a
    400, but the form value ``metadata=null`` (the string ``"null"``, parsed only
    afterwards) would reach a NOT NULL column and fail there as a 500. Checked
    again here, both read the same.
    """

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value is None and not self.allow_null:
            self.fail("null")
        return value


def bounded(value):
    """``value`` if its year is in the product's range, else a 400 saying so."""
    try:
        validate_moment(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages, code="year_out_of_range") from None
    return value


class DateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField, bounded to the years every date in the product lives
    in (``scheduler_site.lib.moments``). Checked in ``to_internal_value`` rather
    than as a validator, so no ``validators=`` argument can drop it. An aware
    value is read in UTC first: ``9999-12-31T23:00-05:00`` leaves the calendar
    there, and answers the same message."""

    default_error_messages = {"overflow": YEAR_RANGE_MESSAGE}

    def to_internal_value(self, value):
        return bounded(super().to_internal_value(value))


class DateField(serializers.DateField):
    """DRF's DateField with the same bound."""

    def to_internal_value(self, value):
        return bounded(super().to_internal_value(value))

"""Serializer fields shared by the apps' APIs."""

from __future__ import annotations

from rest_framework import serializers


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

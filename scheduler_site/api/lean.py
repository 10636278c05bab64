"""List pages answered from ``.values()`` rows, with the serializer's exact JSON.

A page of 50 through a ModelSerializer builds 50 model instances, then a
serializer whose ~25 fields are deep-copied and bound on every request, then
walks each field's ``get_attribute``; that was most of a list request's time.
``LeanListMixin`` reads the same columns with ``.values()`` and turns each row
into the same dict: the keys in the serializer's order, every value through
the serializer's own field (``to_representation``), so formats (decimals,
UUIDs, choices, JSON) cannot drift from the detail endpoint. Only what is
known to be equivalent takes a shortcut: a foreign key's id is its own
representation, and ISO 8601 datetimes are converted with the zone looked up
once per page instead of once per value.

The plan (which column feeds which key, through which field) is worked out
once per serializer class. A serializer with a field that needs the model
instance (a ``SerializerMethodField``, a dotted or ``*`` source, a nested
serializer) has no plan: ``lean_plan`` raises, so such a view keeps the
ordinary ``list``. ``scheduler_site/tests/test_lean_lists.py`` compares both
paths field by field.
"""

from __future__ import annotations

from functools import cache

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from rest_framework import relations, serializers
from rest_framework.fields import ISO_8601
from rest_framework.response import Response
from rest_framework.settings import api_settings


class LeanPlan:
    """For one serializer class: the columns to select and how each becomes a value."""

    def __init__(self, serializer_class):
        fields = [field for field in serializer_class().fields.values() if not field.write_only]
        model = serializer_class.Meta.model
        self.keys = [field.field_name for field in fields]
        self.columns = [_column(model, field) for field in fields]
        self.fields = fields

    def data(self, rows) -> list[dict]:
        convert = [_converter(field) for field in self.fields]
        pairs = list(zip(self.keys, self.columns, convert, strict=True))
        return [
            {key: None if row[column] is None else fn(row[column]) for key, column, fn in pairs}
            for row in rows
        ]


@cache
def lean_plan(serializer_class) -> LeanPlan:
    return LeanPlan(serializer_class)


class LeanListMixin:
    """``list`` from ``.values()`` rows; everything else (filters, ordering,
    pagination, scoping) is the viewset's own."""

    def list(self, request, *args, **kwargs):
        plan = lean_plan(self.get_serializer_class())
        queryset = self.filter_queryset(self.get_queryset()).values(*plan.columns)
        page = self.paginate_queryset(queryset)
        if page is None:
            return Response(plan.data(queryset))
        return self.get_paginated_response(plan.data(page))


def _column(model, field) -> str:
    source = field.source
    unsupported = (
        isinstance(field, serializers.SerializerMethodField | serializers.BaseSerializer)
        or source == "*"
        or "." in source
    )
    if unsupported:
        raise ImproperlyConfigured(f"{field.field_name}: needs the model instance")
    try:
        model_field = model._meta.get_field(source)
    except FieldDoesNotExist:
        raise ImproperlyConfigured(f"{field.field_name}: {source} is not a column") from None
    names_the_object = model_field.is_relation and source != model_field.attname
    if names_the_object and not isinstance(field, relations.PrimaryKeyRelatedField):
        raise ImproperlyConfigured(f"{field.field_name}: a relation shown as more than its id")
    return model_field.attname


def _converter(field):
    if isinstance(field, relations.PrimaryKeyRelatedField) and field.pk_field is None:
        return _same  # DRF shows the related pk as it is; the renderer writes it
    if isinstance(field, serializers.DateTimeField) and _plain_iso(field):
        zone = field.default_timezone()
        if zone is not None:
            return _iso_datetime(field, zone)
    return field.to_representation


def _same(value):
    return value


def _plain_iso(field) -> bool:
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    return (
        isinstance(output_format, str)
        and output_format.lower() == ISO_8601
        and not hasattr(field, "timezone")
    )


def _iso_datetime(field, zone):
    """DRF's DateTimeField.to_representation for aware values, with the zone
    looked up once; anything unusual (naive, out of range) goes through the field."""

    def convert(value):
        if value.tzinfo is None:
            return field.to_representation(value)
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return field.to_representation(value)  # its own error, as before
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert

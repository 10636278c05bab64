"""The bases every API serializer is built on.

Two rules hold for every body the API reads:

- An unknown key is a 400 naming it. DRF ignores keys it has no field for, so
  ``{"scheduled_fro": ...}`` used to "succeed" without doing what was asked.
  Known means any field of the serializer, read-only ones included: a client
  that GETs an object, edits it and PUTs it back sends ``id`` and
  ``created_at``, and those are accepted and ignored as before.
- Dates and datetimes are the bounded fields of ``scheduler_site/api/fields.py``
  (a ModelSerializer maps the model's date columns to them).

``scheduler_site/tests/test_api_rules.py`` walks the OpenAPI schema to prove
that every request serializer is built on these.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from django.db import models
from rest_framework import serializers

from scheduler_site.api import fields

# Sent by the browsable API's HTML forms with every POST; never a field.
IGNORED_KEYS = frozenset({"csrfmiddlewaretoken"})


class StrictFieldsMixin:
    """Refuse keys that name no field: ``{"detail": [...], "<key>": ["Unknown field."]}``.

    ``also_accepts`` names keys another part of the view reads from the same
    body (a campaign's fields on ``POST /campaigns/schedule``).
    """

    also_accepts: tuple[str, ...] = ()

    def unknown_keys(self, data) -> list[str]:
        if not isinstance(data, Mapping):
            return []
        known = {*self.fields, *self.also_accepts, *IGNORED_KEYS}
        return sorted(str(key) for key in data if key not in known)

    def unknown_errors(self, unknown: list[str]) -> dict[str, list[str]]:
        accepted = sorted(
            {name for name, field in self.fields.items() if not field.read_only}
            | set(self.also_accepts)
        )
        noun = "field" if len(unknown) == 1 else "fields"
        summary = f"Unknown {noun}: {', '.join(unknown)}."
        if accepted:
            summary += f" Accepted: {', '.join(accepted)}."
        return {"detail": [summary], **{key: ["Unknown field."] for key in unknown}}

    def to_internal_value(self, data):
        unknown = self.unknown_keys(data)
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            # Say everything at once: the unknown keys beside the fields' own errors.
            if unknown and isinstance(exc.detail, dict):
                exc.detail.update(self.unknown_errors(unknown))
            raise
        if unknown:
            raise serializers.ValidationError(self.unknown_errors(unknown))
        return value


class Serializer(StrictFieldsMixin, serializers.Serializer):
    pass


class ModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: fields.DateTimeField,
        models.DateField: fields.DateField,
    }

    def get_fields(self):
        # DRF introspects the model again for every serializer instance (every
        # request, every detail answer); the result depends on the class alone
        # (Meta, declared fields, the mapping above), so it is built once per
        # class and each instance gets its own copy, as DRF's declared fields do.
        cls = type(self)
        template = cls.__dict__.get("_fields_template")
        if template is None:
            template = super().get_fields()
            cls._fields_template = template
        return copy.deepcopy(template)

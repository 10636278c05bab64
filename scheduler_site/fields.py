"""JSON fields whose values are bounded in depth and size (see lib/json_limits.py).

``BoundedJSONField`` is a drop-in ``models.JSONField`` for every JSON column users
write: its validator refuses values nested deeper than ``MAX_JSON_DEPTH`` (the
API's ModelSerializers and ``full_clean`` run it), and its form field (used by
ModelForms and the admin) checks the typed text before ``json.loads`` sees it,
so a pasted 5,000-deep value is an inline error, not a RecursionError.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.fields import InvalidJSONInput

from scheduler_site.lib import json_limits
from scheduler_site.lib.validators import validate_json_limits


class BoundedJSONFormField(forms.JSONField):
    def to_python(self, value):
        if isinstance(value, str) and not self.disabled:
            try:
                json_limits.check_text(value)
            except json_limits.JSONLimitError as exc:
                raise ValidationError(str(exc), code="invalid") from None
        value = super().to_python(value)
        if value is not None:
            validate_json_limits(value)
        return value

    def bound_data(self, data, initial):
        # Re-displaying a refused value must not parse it either.
        if isinstance(data, str) and not self.disabled:
            try:
                json_limits.check_text(data)
            except json_limits.JSONLimitError:
                return InvalidJSONInput(data)
        return super().bound_data(data, initial)


class BoundedJSONField(models.JSONField):
    default_validators = [validate_json_limits]

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": BoundedJSONFormField, **kwargs})

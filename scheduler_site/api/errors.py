"""Turn errors into JSON answers a person can act on.

Services raise ``django.core.exceptions.ValidationError`` (from ``full_clean``
or their own rules); the API answers those as DRF would answer a serializer
error, keyed by field where the error names one. A body over
``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413, whichever layer notices it first
(Django's ``RequestDataTooBig`` or the parsers' own bounded read). Anything
that still escapes a view under ``/api/`` is made JSON by
``scheduler_site.api.middleware.APIErrorMiddleware``.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from scheduler_site.api.parsers import too_large


def as_drf_validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        detail = {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    else:
        detail = {"non_field_errors": exc.messages}
    return exceptions.ValidationError(detail)


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = as_drf_validation_error(exc)
    elif isinstance(exc, RequestDataTooBig):
        exc = too_large()
    return drf_exception_handler(exc, context)

"""Request body parsers.

``curl -d '{"name": ...}'`` without ``-H "Content-Type: application/json"``
sends the JSON labelled as a form. The original API's use-case examples do
exactly that, so a "form" body that is a JSON object is read as JSON; any
other form body is parsed as a form, as usual.

Every parser here bounds the JSON it reads (``scheduler_site.lib.json_limits``):
a body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413 and one nested
deeper than ``MAX_JSON_BODY_DEPTH`` a 400, before ``json.loads`` sees it (the
stdlib parser would raise RecursionError, a 500). Form and multipart values that
DRF's JSONField will itself ``json.loads`` (a ``job_config`` typed into a form)
get the same depth check.
"""

from __future__ import annotations

from django.conf import settings
from django.http import QueryDict
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

from scheduler_site.lib import json_limits


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


def body_limit() -> int:
    return getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", None) or (
        json_limits.MAX_JSON_BODY_BYTES
    )


def too_large() -> RequestTooLarge:
    """A body over the limit: this answer, whether Django or a parser noticed."""
    return RequestTooLarge(
        f"Request body is too large: the limit is {body_limit()} bytes "
        "(DATA_UPLOAD_MAX_MEMORY_SIZE)."
    )


def _read_bounded(stream) -> bytes:
    if stream is None:
        return b""
    limit = body_limit()
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        raise too_large()
    return raw


def _loads(text: str):
    try:
        return json_limits.loads_bounded(
            text,
            max_depth=json_limits.MAX_JSON_BODY_DEPTH,
            max_bytes=None,  # the body's size was bounded when it was read
            parse_constant=_refuse_constant,
        )
    except json_limits.JSONLimitError as exc:
        raise ParseError(f"JSON parse error - {exc}") from None
    except ValueError as exc:
        raise ParseError(f"JSON parse error - {exc}") from None


def _check_form_values(data: QueryDict) -> QueryDict:
    """Depth-check form values that look like JSON (DRF's JSONField parses those)."""
    for key, values in data.lists():
        for value in values:
            if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
                try:
                    json_limits.check_text(value, max_bytes=None)
                except json_limits.JSONLimitError as exc:
                    raise ParseError({key: [str(exc)]}) from None
    return data


class BoundedJSONParser(JSONParser):
    """DRF's JSONParser with the size and depth bounds (and no NaN/Infinity)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = _read_bounded(stream)
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        return _loads(text)


class FormOrJSONObjectParser(FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = _read_bounded(stream)
        text = raw.decode(encoding, errors="replace")
        if text.lstrip().startswith("{"):
            data = _loads(text)
            if isinstance(data, dict):
                return data
        return _check_form_values(QueryDict(text, encoding=encoding))


class BoundedMultiPartParser(MultiPartParser):
    """Multipart forms (Django bounds their size); JSON-looking values are depth-checked."""

    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        _check_form_values(result.data)
        return result


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")

"""Field validators shared by several apps (Django-aware, no models)."""

from __future__ import annotations

import json
import re
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError

from scheduler_site.lib import outbound
from scheduler_site.lib.countries import ISO_3166_ALPHA2
from scheduler_site.lib.json_limits import (
    MAX_JSON_VALUE_BYTES,
    JSONLimitError,
    check_depth,
    too_big_message,
)

HEX_COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.[a-z]{2,63}$"
)
# BCP 47 as used in practice: language, optional script, optional region.
LANGUAGE_TAG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?$")
MAX_TAGS = 50
MAX_TAG_LENGTH = 64
MAX_METADATA_BYTES = 16 * 1024
# Free text users type (README "Validation"): a description of a campaign, schedule or
# template; the body of a content item (long enough for a blog post or newsletter).
DESCRIPTION_MAX_LENGTH = 5_000
CONTENT_BODY_MAX_LENGTH = 100_000


def validate_timezone(value: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValidationError("Enter an IANA timezone name such as 'America/New_York'.")
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"'{value}' is not a known IANA timezone (e.g. 'UTC', 'Europe/London')."
        ) from None


def validate_hex_color(value: str) -> None:
    if not isinstance(value, str) or not HEX_COLOR_RE.match(value):
        raise ValidationError(f"'{value}' is not a colour in the form #RRGGBB.")


def normalize_tags(value) -> list[str]:
    """Trim, drop case-insensitive repeats (first spelling wins), enforce limits."""
    if not isinstance(value, list):
        raise ValidationError("Tags must be a list of strings.")
    tags: list[str] = []
    seen: set[str] = set()
    for item in value:
        if not isinstance(item, str):
            raise ValidationError("Each tag must be a string.")
        tag = item.strip()
        if not tag:
            raise ValidationError("Tags cannot be empty.")
        if "\x00" in tag:
            raise ValidationError("Tags cannot contain NUL characters.")
        if len(tag) > MAX_TAG_LENGTH:
            raise ValidationError(
                f"Tag '{tag[:20]}...' is longer than {MAX_TAG_LENGTH} characters."
            )
        if tag.lower() not in seen:
            seen.add(tag.lower())
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationError(f"At most {MAX_TAGS} tags are allowed.")
    return tags


def validate_tags(value) -> None:
    normalize_tags(value)


def normalize_country(value: str) -> str:
    code = (value or "").strip().lower()
    if code.upper() not in ISO_3166_ALPHA2:
        raise ValidationError(f"'{value}' is not an ISO 3166-1 alpha-2 country code.")
    return code


def validate_country(value: str) -> None:
    normalize_country(value)


def normalize_language(value: str) -> str:
    tag = (value or "").strip()
    if not LANGUAGE_TAG_RE.match(tag):
        raise ValidationError(f"'{value}' is not a BCP 47 language tag such as 'en' or 'en-GB'.")
    parts = tag.split("-")
    normalized = [parts[0].lower()]
    for part in parts[1:]:
        normalized.append(part.title() if len(part) == 4 else part.upper())
    return "-".join(normalized)


def validate_language(value: str) -> None:
    normalize_language(value)


def normalize_hostname(value: str) -> str:
    host = (value or "").strip().lower().rstrip(".")
    if not HOSTNAME_RE.match(host):
        raise ValidationError(f"'{value}' is not a hostname such as 'forbes.com'.")
    return host


def validate_hostname(value: str) -> None:
    normalize_hostname(value)


def _contains_nul(value) -> bool:
    # PostgreSQL's jsonb cannot store U+0000; refuse it as bad input, not a 500.
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_contains_nul(item) for item in value)
    return False


def validate_metadata(value) -> None:
    if not isinstance(value, dict):
        raise ValidationError("Metadata must be a JSON object.")
    if _contains_nul(value):
        raise ValidationError("Metadata cannot contain NUL characters.")
    size = len(json.dumps(value, separators=(",", ":"), default=str).encode())
    if size > MAX_METADATA_BYTES:
        raise ValidationError(f"Metadata is {size} bytes; the limit is {MAX_METADATA_BYTES}.")


def validate_non_negative(value) -> None:
    if value is not None and Decimal(value) < 0:
        raise ValidationError("Must be zero or more.")


def validate_outbound_url(value) -> None:
    """Every URL the server will send requests to: the outbound policy's
    save-time check (``scheduler_site.lib.outbound.check_url``; no DNS lookup,
    the run-time check resolves and re-checks)."""
    if value in (None, ""):
        return
    try:
        outbound.check_url(value, allow_private=settings.WEBHOOK_ALLOW_PRIVATE)
    except outbound.UnsafeTarget as exc:
        raise ValidationError(f"This URL is refused: {exc}.", code="unsafe_url") from None


def validate_github_repository(value) -> None:
    message = outbound.github_repository_error(value)
    if message:
        raise ValidationError(message, code="invalid_repository")


def validate_json_limits(value) -> None:
    """A stored JSON value nests at most MAX_JSON_DEPTH deep and is at most
    MAX_JSON_VALUE_BYTES long, so rendering or running it can never overflow."""
    try:
        check_depth(value)
    except JSONLimitError as exc:
        raise ValidationError(str(exc), code="json_too_deep") from None
    size = len(json.dumps(value, separators=(",", ":"), default=str).encode())
    if size > MAX_JSON_VALUE_BYTES:
        raise ValidationError(
            too_big_message(size, MAX_JSON_VALUE_BYTES),
            code="json_too_large",
        )

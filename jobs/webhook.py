"""Webhook rules without Django: signing, retry classification, URL safety.

The executor in ``jobs.executors`` does the I/O; everything that decides
something lives here so it can be tested exhaustively.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# One outbound URL policy for every request the server makes; it lives in
# scheduler_site.lib.outbound so workspaces and marketing use the same rules.
from scheduler_site.lib.outbound import (  # noqa: F401 - re-exported
    Resolver,
    Target,
    UnsafeTarget,
    blocked_reason,
    check_address,
    is_public_address,
    resolve_target,
    system_resolver,
)

SIGNATURE_HEADER = "X-Signature"
IDEMPOTENCY_HEADER = "X-Job-Id"
MAX_RETRY_AFTER_SECONDS = 3600.0
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 300.0


def canonical_body(payload: dict) -> bytes:
    """The exact bytes that are sent and signed."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()


def sign(body: bytes, secret: str) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(body: bytes, secret: str, header: str) -> bool:
    """What a receiver does; kept here so the README example has a tested twin."""
    return hmac.compare_digest(sign(body, secret), header or "")


# --- Retry classification -------------------------------------------------------

SUCCESS = "succeeded"
RETRY = "retry"
FAIL = "failed"

RETRYABLE_STATUSES = frozenset({408, 425, 429})


def classify_status(status: int) -> str:
    if 200 <= status < 300:
        return SUCCESS
    if status in RETRYABLE_STATUSES or status >= 500:
        return RETRY
    return FAIL


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def backoff_seconds(
    attempt: int,
    *,
    retry_after: float | None = None,
    base: float = BACKOFF_BASE_SECONDS,
    factor: float = 2.0,
    cap: float = BACKOFF_CAP_SECONDS,
    rand: Callable[[], float] = random.random,
) -> float:
    """Delay before the attempt after ``attempt`` (1-based).

    Exponential (x ``factor`` per attempt) with "equal jitter" (half fixed,
    half random) so retries from many jobs spread out; a server's Retry-After
    wins when it asks for longer.
    """
    exponential = min(cap, base * (factor ** min(max(attempt - 1, 0), 64)))
    delay = exponential / 2 + rand() * exponential / 2
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


# --- Target safety ----------------------------------------------------------------
# Resolver, Target, UnsafeTarget, blocked_reason, check_address,
# is_public_address, resolve_target and system_resolver are re-exported from
# scheduler_site.lib.outbound (imported above) for the executors.


def truncate(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

"""When a failed attempt is tried again: one policy for every Job, however it was made.

A job's config may carry ``max_retries`` (0-10) and ``retry_backoff_seconds``
(the first wait, 1-3600 s) from its template, its schedule or the API call;
otherwise the installation's defaults apply. Waits grow by
JOB_RETRY_BACKOFF_FACTOR per attempt up to JOB_RETRY_BACKOFF_MAX_SECONDS, with
"equal jitter" (half fixed, half random) so that many jobs failing together
do not come back together. The defaults (60 s, x5, 30 min cap, 3 retries)
spread the attempts over about half an hour: +0, ~1 min, ~6 min, ~31 min at
most, long enough to outlast an ordinary outage of the target.
"""

from __future__ import annotations

from django.conf import settings

from jobs import webhook

DEFAULT_MAX_RETRIES = 3
MAX_RETRIES_LIMIT = 10
BACKOFF_SECONDS_LIMITS = (1, 3600)


def max_retries_from(config: dict) -> int:
    value = (config or {}).get("max_retries")
    try:
        number = int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or not 0 <= number <= MAX_RETRIES_LIMIT:
        return DEFAULT_MAX_RETRIES
    return number


def backoff_base(config: dict) -> float:
    value = (config or {}).get("retry_backoff_seconds")
    low, high = BACKOFF_SECONDS_LIMITS
    if isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high:
        return float(value)
    return settings.JOB_RETRY_BACKOFF_SECONDS


def delay_after(attempt: int, *, config: dict, retry_after: float | None = None) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based)."""
    return webhook.backoff_seconds(
        attempt,
        retry_after=retry_after,
        base=backoff_base(config),
        factor=settings.JOB_RETRY_BACKOFF_FACTOR,
        cap=settings.JOB_RETRY_BACKOFF_MAX_SECONDS,
    )


def planned_waits(*, config: dict, max_retries: int) -> list[dict]:
    """The waits before each retry, as a band (jitter) in seconds, for people to read."""
    waits = []
    for attempt in range(1, max_retries + 1):
        longest = webhook.backoff_seconds(
            attempt,
            base=backoff_base(config),
            factor=settings.JOB_RETRY_BACKOFF_FACTOR,
            cap=settings.JOB_RETRY_BACKOFF_MAX_SECONDS,
            rand=lambda: 1.0,
        )
        waits.append(
            {"attempt": attempt + 1, "wait_min_seconds": longest / 2, "wait_max_seconds": longest}
        )
    return waits


def validate_backoff(value) -> str | None:
    """An error message for a ``retry_backoff_seconds`` config value, or None."""
    if value in (None, ""):
        return None
    low, high = BACKOFF_SECONDS_LIMITS
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        return f"Enter a number of seconds from {low} to {high}."
    return None


def describe_waits(waits: list[dict]) -> str:
    """ "then after 30 s-1 min, 2.5-5 min, 12.5-25 min" style text for the job page."""
    if not waits:
        return "No retries."
    bands = [
        f"{_duration(w['wait_min_seconds'])}-{_duration(w['wait_max_seconds'])}" for w in waits
    ]
    return "Retried after " + ", ".join(bands) + " (each counted from the failed attempt)."


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:g} s"
    minutes = seconds / 60
    return f"{minutes:.1f}".rstrip("0").rstrip(".") + " min"

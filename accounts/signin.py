"""Sign-in attempt limits, by username and by client address.

Only failed attempts count. Counters are fixed windows kept in the default
cache with an atomic increment (Redis in production), so parallel guesses
from many web processes are all counted. While a counter is at its limit,
every sign-in path (the API token endpoint, the login page, the admin) is
refused before the password is even checked, with the seconds left.

While the shared cache is unreachable the counters live in each process's
memory (``scheduler_site/lib/fallback_cache.py``): the limits then hold per
process instead of failing every sign-in or letting guesses through unlimited.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings

from scheduler_site.lib.fallback_cache import fallback_cache

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Set on the request by the backend when it refused an attempt, so the page
# and the API can answer 429 instead of "wrong password".
THROTTLED_ATTR = "_sign_in_retry_after"


def parse_rate(rate: str) -> tuple[int, int]:
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period[:1]]


def _subjects(username: str | None, ip: str | None) -> list[tuple[str, str, int, int]]:
    rates = settings.SIGN_IN_THROTTLE_RATES
    subjects = []
    if username:
        subjects.append(("username", username.strip().casefold(), *parse_rate(rates["username"])))
    if ip:
        subjects.append(("ip", ip, *parse_rate(rates["ip"])))
    return subjects


def _key(kind: str, value: str, window: int) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return f"signin:{kind}:{digest}:{window}"


def retry_after(username: str | None, ip: str | None) -> int | None:
    """Seconds until another attempt is allowed, or None if one is allowed now."""
    now = time.time()
    waits = []
    for kind, value, limit, duration in _subjects(username, ip):
        window = int(now // duration)
        if (fallback_cache.get(_key(kind, value, window)) or 0) >= limit:
            waits.append(max(1, math.ceil((window + 1) * duration - now)))
    return max(waits) if waits else None


def record_failure(username: str | None, ip: str | None) -> None:
    now = time.time()
    for kind, value, _limit, duration in _subjects(username, ip):
        key = _key(kind, value, int(now // duration))
        fallback_cache.add(key, 0, timeout=duration + 1)
        try:
            fallback_cache.incr(key)
        except ValueError:  # expired between add and incr
            fallback_cache.set(key, 1, timeout=duration + 1)


def record_success(username: str | None) -> None:
    """A correct password clears its username's count (never the address's)."""
    now = time.time()
    for kind, value, _limit, duration in _subjects(username, None):
        fallback_cache.delete(_key(kind, value, int(now // duration)))

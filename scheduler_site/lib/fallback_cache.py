"""The default cache, or this process's memory while it is unreachable.

The rate limits (API throttles, sign-in limits) count here, as does the
workers ping memo. Normally that is the default cache (Redis in production),
so every web process shares the counts. While it is unreachable the limits
degrade to each process's own memory rather than failing the request or
failing open: each process then enforces them on its own (N processes allow up
to N times the rate), which still stops a flood or a password-guessing run.
After a failure the shared cache is left alone for a few seconds
(``components.CACHE``), so an outage costs one short timeout, not one per
request. Counts start again from the shared cache's when it comes back.
"""

from __future__ import annotations

from django.core.cache import cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache

from scheduler_site.lib.components import CACHE, CACHE_ERRORS


class FallbackCache:
    def __init__(self):
        self.local = LocMemCache("fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})

    def _call(self, method: str, *args, **kwargs):
        if not CACHE.should_skip():
            try:
                result = getattr(cache, method)(*args, **kwargs)
            except CACHE_ERRORS as exc:
                CACHE.failed(exc)
            else:
                CACHE.recovered()
                return result
        return getattr(self.local, method)(*args, **kwargs)

    def get(self, key, default=None):
        return self._call("get", key, default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT):
        return self._call("set", key, value, timeout)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT):
        return self._call("add", key, value, timeout)

    def incr(self, key, delta=1):
        return self._call("incr", key, delta)

    def delete(self, key):
        return self._call("delete", key)


fallback_cache = FallbackCache()

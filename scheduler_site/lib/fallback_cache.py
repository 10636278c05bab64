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

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

from scheduler_site.lib.components import CACHE, CACHE_ERRORS


class FallbackCache:
    def __init__(self):
        self.local = LocMemCache("fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})

    def _call(self, method: str, *args, **kwargs):
        return self._run(lambda backend: getattr(backend, method)(*args, **kwargs))

    def _run(self, operation):
        """``operation(backend)`` on the shared cache, or on this process's memory."""
        if not CACHE.should_skip():
            try:
                result = operation(caches["default"])
            except CACHE_ERRORS as exc:
                CACHE.failed(exc)
            else:
                CACHE.recovered()
                return result
        return operation(self.local)

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

    def count(self, key, timeout: int, delta: int = 1) -> int:
        """Add ``delta`` to a counter that expires ``timeout`` seconds after it was
        created, and return the new value: the rate limits' fixed windows."""
        return self._run(lambda backend: _count(backend, key, timeout, delta))

    def ttl(self, key) -> int | None:
        """Seconds until ``key`` expires, where the cache can say (Redis), else None."""
        return self._run(lambda backend: _ttl(backend, key))


def _count(backend, key, timeout: int, delta: int) -> int:
    if isinstance(backend, RedisCache):
        # One round trip: create the counter with its expiry if absent, then add.
        # Django's incr() would cost two (EXISTS, INCRBY) and set no expiry.
        # Integers are stored unpickled, so get() on the key still reads them.
        full_key = backend.make_and_validate_key(key)
        client = backend._cache.get_client(full_key, write=True)
        pipeline = client.pipeline(transaction=False)
        pipeline.set(full_key, 0, ex=timeout, nx=True)
        pipeline.incrby(full_key, delta)
        return pipeline.execute()[1]
    backend.add(key, 0, timeout)
    return backend.incr(key, delta)


fallback_cache = FallbackCache()


def _ttl(backend, key) -> int | None:
    if not isinstance(backend, RedisCache):
        return None
    full_key = backend.make_and_validate_key(key)
    seconds = backend._cache.get_client(full_key).ttl(full_key)
    return seconds if seconds > 0 else None  # -2: gone, -1: no expiry

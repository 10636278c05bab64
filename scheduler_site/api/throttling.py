"""Per-user rate limits with the three scopes of the original API.

Writes count against ``create``, collection reads against ``list`` and every
other read against ``get``. Counters live in the default cache, which is Redis
in production so that all web processes share them; while it is unreachable
they live in each process's memory (``scheduler_site/lib/fallback_cache.py``),
so an outage of the cache neither fails requests nor lifts the limits.

A write answered 4xx (a validation error, a 403, a 404) gives its ``create``
hit back: a client correcting a bad request does not use up its allowance.
Those rejected writes have an allowance of their own, ``REJECTED_WRITES_FACTOR``
times the write rate, so a stream of invalid writes is still slowed down.

Each allowance is a fixed window that opens with the client's first request:
a counter per client and scope, created with the window's length as its
expiry, so a request costs one cache round trip (``FallbackCache.count``)
instead of reading and rewriting the list of every recent request's time.
``30/minute`` is at most 30 in the minute after the first of them; a client
can burst up to twice the rate where one window ends and the next begins,
which still stops floods and runaway scripts, what the limits are for.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

from scheduler_site.lib.client_ip import client_ip
from scheduler_site.lib.fallback_cache import fallback_cache

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
REJECTED_WRITES_FACTOR = 4
# Set on the Django request for a write that was counted, so the middleware
# can give the hit back once it knows the answer.
REFUND_ATTR = "_create_throttle"


class ActionRateThrottle(UserRateThrottle):
    cache = fallback_cache

    def __init__(self):
        # The scope depends on the request, so the rate is read in allow_request.
        pass

    def allow_request(self, request, view):
        self.scope = self.scope_for(request, view)
        self.num_requests, self.duration = self.parse_rate(self.get_rate())
        client_key = self.get_cache_key(request, view)
        if client_key is None:
            return True
        # Not DRF's key itself: that held the old list of times (a deploy must
        # not INCR a pickled list).
        self.key = f"{client_key}:count"
        if self.scope == "create" and not self._rejected_writes_allowed():
            self.refused_key = self._rejected_key()
            return False
        if self.cache.count(self.key, self.duration) > self.num_requests:
            self.refused_key = self.key
            return False
        if self.scope == "create":
            setattr(getattr(request, "_request", request), REFUND_ATTR, self)
        return True

    def wait(self) -> float:
        # Until the refusing window closes; a cache that cannot say how long
        # (the in-process fallback) gets the longest it could be.
        remaining = self.cache.ttl(self.refused_key)
        return remaining if remaining else self.duration

    def get_ident(self, request) -> str:
        # The same client address as the sign-in limits (TRUSTED_PROXY_COUNT).
        return client_ip(request)

    def get_rate(self) -> str:
        # Read the settings now, not the class attribute DRF captured at import,
        # so a changed REST_FRAMEWORK (tests, override_settings) takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    @staticmethod
    def scope_for(request, view) -> str:
        if request.method not in SAFE_METHODS:
            return "create"
        if getattr(view, "action", None) == "list":
            return "list"
        return "get"

    # --- rejected writes ----------------------------------------------------------

    def refund(self) -> None:
        """This write was answered 4xx: take its hit off ``create`` and count it
        among the rejected writes instead."""
        self.cache.count(self.key, self.duration, delta=-1)
        self.cache.count(self._rejected_key(), self.duration)

    def _rejected_writes_allowed(self) -> bool:
        rejected = self.cache.get(self._rejected_key()) or 0
        if rejected < self.num_requests * REJECTED_WRITES_FACTOR:
            return True
        self.num_requests *= REJECTED_WRITES_FACTOR
        return False

    def _rejected_key(self) -> str:
        return f"{self.key}:rejected"


class RefundRejectedWritesMiddleware:
    """Gives a write's ``create`` hit back when the API answered it 4xx."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        throttle = getattr(request, REFUND_ATTR, None)
        if throttle is not None and 400 <= response.status_code < 500:
            throttle.refund()
        return response

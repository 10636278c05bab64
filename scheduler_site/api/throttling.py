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
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.scope == "create" and not self._rejected_writes_allowed(request, view):
            return False
        if not super().allow_request(request, view):
            return False
        if self.scope == "create" and self.key is not None:
            setattr(getattr(request, "_request", request), REFUND_ATTR, self)
        return True

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
        history = self.cache.get(self.key, [])
        if self.now in history:
            history.remove(self.now)
            self.cache.set(self.key, history, self.duration)
        rejected_key = self._rejected_key(self.key)
        rejected = self._unexpired(self.cache.get(rejected_key, []))
        rejected.insert(0, self.now)
        self.cache.set(rejected_key, rejected, self.duration)

    def _rejected_writes_allowed(self, request, view) -> bool:
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        self.history = self._unexpired(self.cache.get(self._rejected_key(key), []))
        if len(self.history) < self.num_requests * REJECTED_WRITES_FACTOR:
            return True
        # wait() (the Retry-After) then speaks of this allowance.
        self.num_requests *= REJECTED_WRITES_FACTOR
        return False

    def _unexpired(self, history: list) -> list:
        return [at for at in history if at > self.now - self.duration]

    @staticmethod
    def _rejected_key(key: str) -> str:
        return f"{key}:rejected"


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

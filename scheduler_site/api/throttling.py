"""Per-user rate limits with the three scopes of the original API.

Writes count against ``create``, collection reads against ``list`` and every
other read against ``get``. Counters live in the default cache, which is Redis
in production so that all web processes share them.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

from scheduler_site.lib.client_ip import client_ip

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class ActionRateThrottle(UserRateThrottle):
    def __init__(self):
        # The scope depends on the request, so the rate is read in allow_request.
        pass

    def allow_request(self, request, view):
        self.scope = self.scope_for(request, view)
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

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

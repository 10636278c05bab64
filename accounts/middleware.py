"""Ends a web session that began before the user's last "sign out everywhere"."""

from __future__ import annotations

from django.contrib.auth import logout

from accounts.services import current_generation
from accounts.signals import SESSION_GENERATION_KEY


class SignedOutEverywhereMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._signed_out_since(request):
            logout(request)
        return self.get_response(request)

    @staticmethod
    def _signed_out_since(request) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not hasattr(request, "session"):
            return False
        return request.session.get(SESSION_GENERATION_KEY, 0) != current_generation(user.pk)

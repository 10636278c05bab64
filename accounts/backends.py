"""An authentication backend that refuses sign-ins while a limit is reached.

It sits before ModelBackend, so every caller of ``authenticate()`` is covered.
It never authenticates anyone and has no ``get_user``, so sessions are never
bound to it.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from accounts import signin
from scheduler_site.lib.client_ip import client_ip


class SignInThrottleBackend:
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        ip = client_ip(request) if request is not None else None
        wait = signin.retry_after(username, ip)
        if wait is None:
            return None
        if request is not None:
            setattr(request, signin.THROTTLED_ATTR, wait)
        # Stops the backend chain: the password is not checked at all.
        raise PermissionDenied

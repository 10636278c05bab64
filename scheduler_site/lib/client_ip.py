"""The address of the client that sent a request, as far as it can be trusted.

``X-Forwarded-For`` is written by whoever sent the request, so it is only
believed for the hops added by proxies we run. ``TRUSTED_PROXY_COUNT`` says
how many there are in front of the app: 0 (the default) ignores the header
entirely and uses the socket's ``REMOTE_ADDR``; with N, the Nth address from
the right is the one our outermost proxy saw. DRF's ``NUM_PROXIES`` is set to
the same number, and this follows DRF's rule so both agree on one client.
"""

from __future__ import annotations

import ipaddress


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_ip(request, trusted_proxies: int | None = None) -> str:
    """The client's IP address for ``request`` (an HttpRequest or a DRF Request)."""
    if trusted_proxies is None:
        from django.conf import settings

        trusted_proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    meta = request.META
    remote = meta.get("REMOTE_ADDR") or ""
    if trusted_proxies > 0:
        forwarded = meta.get("HTTP_X_FORWARDED_FOR") or ""
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            candidate = hops[-min(trusted_proxies, len(hops))]
            if _valid(candidate):
                return candidate
    return remote

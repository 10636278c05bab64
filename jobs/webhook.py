"""Webhook rules without Django: signing, retry classification, URL safety.

The executor in ``jobs.executors`` does the I/O; everything that decides
something lives here so it can be tested exhaustively.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import random
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-Signature"
IDEMPOTENCY_HEADER = "X-Job-Id"
MAX_RETRY_AFTER_SECONDS = 3600.0
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 300.0


def canonical_body(payload: dict) -> bytes:
    """The exact bytes that are sent and signed."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()


def sign(body: bytes, secret: str) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(body: bytes, secret: str, header: str) -> bool:
    """What a receiver does; kept here so the README example has a tested twin."""
    return hmac.compare_digest(sign(body, secret), header or "")


# --- Retry classification -------------------------------------------------------

SUCCESS = "succeeded"
RETRY = "retry"
FAIL = "failed"

RETRYABLE_STATUSES = frozenset({408, 425, 429})


def classify_status(status: int) -> str:
    if 200 <= status < 300:
        return SUCCESS
    if status in RETRYABLE_STATUSES or status >= 500:
        return RETRY
    return FAIL


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def backoff_seconds(
    attempt: int,
    *,
    retry_after: float | None = None,
    base: float = BACKOFF_BASE_SECONDS,
    cap: float = BACKOFF_CAP_SECONDS,
    rand: Callable[[], float] = random.random,
) -> float:
    """Delay before the attempt after ``attempt`` (1-based).

    Exponential with "equal jitter" (half fixed, half random) so retries from
    many jobs spread out; a server's Retry-After wins when it asks for longer.
    """
    exponential = min(cap, base * (2 ** max(attempt - 1, 0)))
    delay = exponential / 2 + rand() * exponential / 2
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


# --- Target safety ----------------------------------------------------------------


class UnsafeTarget(ValueError):
    pass


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the vetted IP the request connects to


Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [info[4][0] for info in infos]


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def resolve_target(
    url: str, *, allow_private: bool, resolver: Resolver = system_resolver
) -> Target:
    """Check the URL and pick the address to connect to.

    Every address the name resolves to must be public (unless allowed), and
    the request then connects to that checked address, so a DNS answer that
    changes between the check and the request cannot redirect it inward.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget(f"webhook URL must be http or https, not {parts.scheme or 'none'!r}")
    if not parts.hostname:
        raise UnsafeTarget("webhook URL has no host")
    if parts.username or parts.password:
        raise UnsafeTarget("webhook URL must not carry credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeTarget("webhook URL has an invalid port") from None
    try:
        addresses = resolver(parts.hostname, port)
    except OSError as exc:
        raise UnsafeTarget(f"cannot resolve {parts.hostname!r}: {exc}") from None
    if not addresses:
        raise UnsafeTarget(f"{parts.hostname!r} resolves to no address")
    if not allow_private:
        refused = [address for address in addresses if not is_public_address(address)]
        if refused:
            raise UnsafeTarget(
                f"{parts.hostname!r} resolves to a private, loopback or link-local address "
                f"({refused[0]}); set WEBHOOK_ALLOW_PRIVATE=true to allow it"
            )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


def truncate(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

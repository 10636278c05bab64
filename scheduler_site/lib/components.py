"""What a web process depends on, whether each is up, and since when it is down.

The health endpoints (``/healthz``, ``/api/v1/schedule/status``) report every
component as ``{"ok", "since", "error"}``. ``since`` is the first failure
*this process* saw in the current outage (module memory: each web process has
its own, a restart forgets it); it is ``None`` while the component is up.

A component that just failed is not asked again for ``retry_after`` seconds
(a circuit breaker): callers go straight to their fallback instead of paying
a connection timeout on every request. Warnings are logged once per
``WARN_EVERY_SECONDS`` per component, not once per request.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

import redis
from django.core.cache import cache
from django.db import Error as DatabaseError
from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)

WARN_EVERY_SECONDS = 60
# How long a failed cache or broker is left alone before it is tried again.
RETRY_AFTER_SECONDS = 5.0
# The broker check's budget (connect and each socket operation).
BROKER_CHECK_TIMEOUT = 1.0
# What a cache backend raises when it cannot be reached (Django's RedisCache
# lets the redis client's errors through; sockets raise OSError).
CACHE_ERRORS = (redis.exceptions.RedisError, OSError)


class Component:
    """One dependency: up, or down since the first failure this process saw."""

    def __init__(self, name: str, *, retry_after: float = 0.0, consequence: str = ""):
        self.name = name
        self.retry_after = retry_after
        self.consequence = consequence
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget every failure (tests; a process starts this way)."""
        self.down_since: datetime | None = None
        self.error = ""
        self._retry_at = 0.0
        self._warned_at: float | None = None

    @property
    def ok(self) -> bool:
        return self.down_since is None

    def should_skip(self) -> bool:
        """True while a recent failure says not to try again yet."""
        return self.down_since is not None and time.monotonic() < self._retry_at

    def failed(self, exc: BaseException | str) -> None:
        now = time.monotonic()
        error = exc if isinstance(exc, str) else f"{exc.__class__.__name__}: {exc}"
        with self._lock:
            if self.down_since is None:
                self.down_since = timezone.now()
            since = self.down_since
            self.error = error[:500]
            self._retry_at = now + self.retry_after
            warn = self._warned_at is None or now - self._warned_at >= WARN_EVERY_SECONDS
            if warn:
                self._warned_at = now
        if warn:
            logger.warning(
                "%s unavailable since %s%s: %s",
                self.name,
                since.isoformat(),
                f" ({self.consequence})" if self.consequence else "",
                error[:500],
            )

    def recovered(self) -> None:
        if self.down_since is None:  # the common case: no lock, no log
            return
        with self._lock:
            since, self.down_since = self.down_since, None
            self.error, self._retry_at, self._warned_at = "", 0.0, None
        if since is not None:
            logger.info("%s available again (down since %s)", self.name, since.isoformat())

    def state(self, *, detail: bool = True) -> dict:
        """The JSON shape; without ``detail`` the error text (which may name hosts) is
        reduced to "unavailable"."""
        error = None
        if not self.ok:
            error = self.error if detail else "unavailable"
        return {"ok": self.ok, "since": self.down_since, "error": error}


DATABASE = Component("database")
CACHE = Component(
    "cache", retry_after=RETRY_AFTER_SECONDS, consequence="rate limits count per process"
)
BROKER = Component(
    "broker", retry_after=RETRY_AFTER_SECONDS, consequence="new jobs wait for the sweeper"
)
WORKERS = Component("workers")
ALL = (DATABASE, CACHE, BROKER, WORKERS)


def reset_all() -> None:
    for component in ALL:
        component.reset()


def check_database() -> Component:
    """One ``SELECT 1``; a PostgreSQL that is down costs at most its connect_timeout."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        DATABASE.failed(exc)
    else:
        DATABASE.recovered()
    return DATABASE


def check_cache() -> Component:
    if CACHE.should_skip():
        return CACHE
    try:
        cache.get("components:probe")
    except CACHE_ERRORS as exc:
        CACHE.failed(exc)
    else:
        CACHE.recovered()
    return CACHE


def broker_connection(timeout: float = BROKER_CHECK_TIMEOUT):
    """A broker connection whose connect and socket operations are bounded by ``timeout``."""
    from scheduler_site.celery import app

    # Celery merges these over the configured transport options.
    return app.connection_for_write(
        connect_timeout=timeout,
        transport_options={"socket_connect_timeout": timeout, "socket_timeout": timeout},
    )


def check_broker() -> Component:
    if BROKER.should_skip():
        return BROKER
    try:
        with broker_connection() as conn:
            conn.ensure_connection(max_retries=0, timeout=BROKER_CHECK_TIMEOUT)
    except Exception as exc:  # kombu and the transports raise many kinds
        BROKER.failed(exc)
    else:
        BROKER.recovered()
    return BROKER

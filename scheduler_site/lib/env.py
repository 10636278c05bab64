"""Strict readers for environment variables.

django-environ parses most things, but it silently reads ``DEBUG=maybe`` as
False and raises bare ``ValueError`` for a bad integer. Settings must fail at
start with a message naming the variable, so every read goes through here.
"""

from __future__ import annotations

import os

import environ
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}

env = environ.Env()


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean; use one of true/false, yes/no, on/off, 1/0."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
    return number


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}.")
    return number


def env_str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None else value


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_rate(name: str, default: str) -> str:
    """A DRF throttle rate such as ``30/minute``."""
    value = env_str(name, default)
    count, _, period = value.partition("/")
    if not count.isdigit() or period[:1] not in {"s", "m", "h", "d"}:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a rate; use a number and a period, e.g. 30/minute."
        )
    return value


def env_db(name: str, default: str) -> dict:
    value = env_str(name, default)
    scheme = value.partition("://")[0]
    if scheme not in environ.Env.DB_SCHEMES:
        # django-environ would pass an unknown scheme through as the engine name,
        # and Django would fail later without naming the variable.
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a database URL; use e.g. "
            "postgres://user@host:5432/name or sqlite:////absolute/path.sqlite3."
        )
    try:
        return environ.Env.db_url_config(value)
    except Exception as exc:  # django-environ raises several kinds for a bad URL
        raise ImproperlyConfigured(f"{name}={value!r} is not a database URL: {exc}") from None


def env_cache(name: str, default: str) -> dict:
    value = env_str(name, default)
    if value.partition("://")[0] not in environ.Env.CACHE_SCHEMES:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a cache URL; use e.g. redis://127.0.0.1:6379/1."
        )
    try:
        return environ.Env.cache_url_config(value)
    except Exception as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not a cache URL: {exc}") from None

"""Settings come from the environment, and bad ones stop the app at start."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

STRONG_SECRET = "k3y-" + "Zq9xW2vB7nM4tR8yL1pF6sD0hJ5gK3cV" * 2
PRODUCTION_VARIABLES = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    # Set by the browser fixture for Playwright's event loop; never in production.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def manage(*args: str, tmp_path, **variables: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_VARIABLES}
    env.update(VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="scheduler_site.settings")
    env.update(variables)
    return subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_checks_pass_with_production_settings(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
        DEBUG="false",
        SECRET_KEY=STRONG_SECRET,
        ALLOWED_HOSTS="example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_off_without_a_secret_key_refuses_to_start(tmp_path):
    result = manage("check", tmp_path=tmp_path, DEBUG="false", ALLOWED_HOSTS="example.com")

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert not (tmp_path / "dev-secret-key").exists()


def test_debug_off_with_a_weak_secret_key_refuses_to_start(tmp_path):
    result = manage(
        "check",
        tmp_path=tmp_path,
        DEBUG="false",
        SECRET_KEY="django-insecure-short",
        ALLOWED_HOSTS="example.com",
    )

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("CONN_MAX_AGE", "forever"),
        ("THROTTLE_CREATE", "lots"),
        ("DATABASE_URL", "nonsense://"),
        ("CACHE_URL", "memcached-ish://x"),
        ("SECURE_HSTS_SECONDS", "-5"),
    ],
)
def test_a_bad_value_fails_at_start_naming_the_variable(tmp_path, variable, value):
    result = manage("check", tmp_path=tmp_path, **{variable: value})

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {variable}=" in result.stderr


def test_with_no_environment_the_embedded_default_runs(tmp_path):
    """A newcomer's machine: SQLite for the database and the broker under var/, DEBUG on."""
    clean = dict.fromkeys(("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "REDIS_URL"), "")

    result = manage(
        "shell",
        "--verbosity",
        "0",
        "-c",
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, "
        "s.CACHES['default']['BACKEND'])",
        tmp_path=tmp_path,
        **clean,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "True",
        "django.db.backends.sqlite3",
        f"sqlite:///{tmp_path.resolve()}/celery-broker.sqlite3",
        "django.core.cache.backends.locmem.LocMemCache",
    ]
    assert (tmp_path / "dev-secret-key").exists()

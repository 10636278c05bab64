"""Fixtures shared by every app's tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from workspaces.models import Membership
from workspaces.selectors import default_workspace_for


def require_or_skip(required: bool, available: bool, what: str) -> None:
    """Skip for a newcomer without the service; fail loudly where CI requires it."""
    if available:
        return
    if required:
        pytest.fail(f"{what} is required here (REQUIRE_* is set) but is not available")
    pytest.skip(f"{what} is not available")


@pytest.fixture
def requires_postgres():
    require_or_skip(settings.REQUIRE_POSTGRES, connection.vendor == "postgresql", "PostgreSQL")


@pytest.fixture
def make_user(db, django_user_model):
    counter = {"n": 0}

    def make(username: str | None = None, **extra):
        counter["n"] += 1
        username = username or f"user{counter['n']}"
        user = django_user_model.objects.create_user(
            username=username, password="pw-for-tests-123", **extra
        )
        return user

    return make


@pytest.fixture
def user(make_user):
    return make_user("alice")


@pytest.fixture
def workspace(user):
    return default_workspace_for(user)


@pytest.fixture
def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def other_user(make_user):
    return make_user("mallory")


@pytest.fixture
def other_workspace(other_user):
    return default_workspace_for(other_user)


@pytest.fixture
def viewer_api(make_user, workspace):
    """A client for a user who is only a viewer of ``workspace``."""
    viewer = make_user("victor")
    Membership.objects.create(user=viewer, workspace=workspace, role=Membership.Role.VIEWER)
    client = APIClient()
    client.force_authenticate(viewer)
    return client


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttle counters live in the cache; each test starts with a clean slate.
    from django.core.cache import cache

    cache.clear()
    yield


# --- A real Celery worker (scheduler_site/testing.py) --------------------------------


@pytest.fixture(scope="session", autouse=True)
def celery_test_broker(tmp_path_factory):
    """The broker the test process and its worker subprocesses share.

    Autouse so that anything a test enqueues goes to the test broker (a
    private SQLite broker file on the embedded default), never to the developer's queue.
    The value is a ``TestBroker``, or the ``WorkerUnavailable`` explaining why
    none could be set up (``celery_worker`` then skips or fails).
    """
    from scheduler_site.celery import app
    from scheduler_site.testing import WorkerUnavailable, configure_test_broker

    names = ("broker_url", "broker_read_url", "broker_write_url", "broker_transport_options")
    saved = {name: app.conf.get(name) for name in names}
    try:
        broker = configure_test_broker(app, tmp_path_factory.mktemp("celery"))
    except WorkerUnavailable as exc:
        broker = exc
    yield broker
    app.conf.update(saved)


@pytest.fixture
def celery_worker_factory(celery_test_broker, transactional_db, tmp_path):
    """``start(**options)`` -> a ready ``WorkerProcess``; all are stopped at the end.

    Options: node, pool ("threads" | "prefork" | "solo"), concurrency, env
    (extra settings for the worker), visibility_timeout (Redis redelivery, in
    seconds, applied to the test process too), ready_timeout.
    """
    from scheduler_site.celery import app
    from scheduler_site.testing import WorkerUnavailable, start_worker

    if isinstance(celery_test_broker, WorkerUnavailable):
        require_or_skip(settings.REQUIRE_REDIS, False, f"A Celery broker ({celery_test_broker})")
    workers = []
    saved_options = dict(app.conf.broker_transport_options or {})

    def start(*, visibility_timeout: int | None = None, env: dict | None = None, **options):
        env = dict(env or {})
        if visibility_timeout is not None:
            env["CELERY_VISIBILITY_TIMEOUT"] = str(visibility_timeout)
            app.conf.broker_transport_options = {
                **saved_options,
                "visibility_timeout": visibility_timeout,
            }
        worker = start_worker(celery_test_broker, env=env, log_dir=tmp_path, **options)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
    app.conf.broker_transport_options = saved_options


@pytest.fixture
def celery_worker(celery_worker_factory):
    """One real worker (threads pool, 2 slots) running against the test database."""
    return celery_worker_factory()


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent / "test-artifacts"


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright; never a downloaded browser."""
    require_or_skip(settings.REQUIRE_BROWSER, os.path.exists(CHROMIUM), "Chromium")
    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # tests make between browser steps are still plain synchronous calls.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        # Subprocesses started by later tests (deploy checks, workers) must not inherit it.
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_page(chromium, live_server):
    """A fresh browser tab (own cookies) pointed at the live server."""
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1440, "height": 960}, locale="en-US"
    )
    # Generous: CI machines are shared and a page may wait on a busy CPU.
    context.set_default_timeout(20_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def artifacts_dir():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def page_client(client, user):
    """A browser-like test client signed in as ``user`` (an owner of ``workspace``)."""
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(make_user, workspace):
    """A client for a user who may only read ``workspace``."""
    from django.test import Client

    viewer = make_user("vera")
    Membership.objects.create(user=viewer, workspace=workspace, role=Membership.Role.VIEWER)
    client = Client()
    client.force_login(viewer)
    return client

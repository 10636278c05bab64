"""Fixtures shared by every app's tests."""

from __future__ import annotations

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

"""An API request with a JWT reads no user row; every revocation still ends the
token at once, because each one replaces the cached credential state."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services
from accounts.tests.test_revocation import api_status, obtain

pytestmark = pytest.mark.django_db


def _tables_read(access: str) -> str:
    api_status(access)  # the first request fills the cache
    with CaptureQueriesContext(connection) as queries:
        assert api_status(access) == 200
    return " ".join(query["sql"] for query in queries.captured_queries)


def test_a_token_request_does_no_user_or_auth_state_select(user):
    sql = _tables_read(obtain()["access"])

    assert '"auth_user"' not in sql
    assert '"accounts_authstate"' not in sql


def test_a_cached_token_ends_at_a_password_change(user):
    access = obtain()["access"]
    assert api_status(access) == 200

    user.set_password("a-new-password-456")
    user.save()

    assert api_status(access) == 401


def test_a_cached_token_ends_at_deactivation_and_works_again_after_reactivation(user):
    access = obtain()["access"]
    assert api_status(access) == 200

    user.is_active = False
    user.save(update_fields=["is_active"])
    assert api_status(access) == 401

    user.is_active = True
    user.save(update_fields=["is_active"])
    assert api_status(access) == 200


def test_a_cached_token_ends_at_sign_out_everywhere(user):
    access = obtain()["access"]
    assert api_status(access) == 200

    services.sign_out_everywhere(user)

    assert api_status(access) == 401


def test_a_cached_token_of_a_deleted_user_is_401(user):
    access = obtain()["access"]
    assert api_status(access) == 200

    user.delete()

    assert api_status(access) == 401


def test_a_committed_sign_out_replaces_the_cached_state(user, django_capture_on_commit_callbacks):
    access = obtain()["access"]
    assert api_status(access) == 200

    with django_capture_on_commit_callbacks(execute=True):
        services.sign_out_everywhere(user)

    assert api_status(access) == 401

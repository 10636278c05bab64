"""What the web does when a component is down, without starting any server:
the database made to fail at the cursor, the cache pointed at a closed port.
(The real Redis outage is ``test_redis_outage.py``.)"""

from __future__ import annotations

import copy
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import override_settings
from rest_framework.test import APIClient

from scheduler_site.lib import components
from scheduler_site.lib.fallback_cache import fallback_cache

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-123"
CLOSED_PORT_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
    }
}


@pytest.fixture(autouse=True)
def _fresh_components():
    components.reset_all()
    fallback_cache.local.clear()
    yield
    components.reset_all()
    fallback_cache.local.clear()


def rates(**scopes):
    config = copy.deepcopy(settings.REST_FRAMEWORK)
    config["DEFAULT_THROTTLE_RATES"] = {
        "create": "1000/minute",
        "list": "1000/minute",
        "get": "1000/minute",
        **scopes,
    }
    return override_settings(REST_FRAMEWORK=config)


def database_down():
    return mock.patch.object(
        connection, "cursor", side_effect=OperationalError("connection to server failed")
    )


def down(body) -> set[str]:
    return {name for name, state in body["components"].items() if not state["ok"]}


# --- the database ----------------------------------------------------------------------


def test_healthz_is_200_with_every_component_up(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["components"]) == {"database", "broker", "cache"}
    assert down(body) == set()


def test_healthz_with_the_database_down_is_503_naming_it_and_since_when(client):
    with database_down():
        first = client.get("/healthz")
        second = client.get("/healthz")

    assert first.status_code == second.status_code == 503
    body = second.json()
    assert body["healthy"] is False
    assert down(body) == {"database"}
    database = body["components"]["database"]
    # Since the first failure this process saw, not the latest.
    assert database["since"] == first.json()["components"]["database"]["since"] is not None
    assert database["error"] == "unavailable"  # the text can name hosts: logged only
    assert client.get("/healthz").status_code == 200


def test_status_with_the_database_down_is_503_with_the_components_and_no_figures(user):
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"
    ).json()["access"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    with database_down():
        response = client.get("/api/v1/schedule/status")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable: database"
    assert down(body) == {"database"}
    assert body["components"]["database"]["since"] is not None
    assert "last_24h" not in body
    assert "workspaces" not in response.content.decode()


def test_status_without_credentials_is_still_a_401_with_the_database_down():
    with database_down():
        assert APIClient().get("/api/v1/schedule/status").status_code == 401


def test_status_names_every_component_and_a_dispatcher_that_never_ran(api):
    body = api.get("/api/v1/schedule/status").json()

    assert set(body["components"]) == {"database", "broker", "cache", "workers", "dispatcher"}
    # No dispatcher has run in this test database.
    assert down(body) == {"dispatcher"}
    assert body["components"]["dispatcher"]["error"] == "the dispatcher has never run"


# --- the cache ---------------------------------------------------------------------------


def test_with_the_cache_unreachable_staff_see_its_error_and_tenants_only_that_it_is_down(
    api, make_user
):
    staff = APIClient()
    staff.force_authenticate(make_user("operator", is_staff=True))
    with override_settings(CACHES=CLOSED_PORT_CACHE):
        tenant_view = api.get("/api/v1/schedule/status").json()["components"]["cache"]
        staff_view = staff.get("/api/v1/schedule/status").json()["components"]["cache"]

    assert tenant_view["ok"] is staff_view["ok"] is False
    assert tenant_view["error"] == "unavailable"
    assert "127.0.0.1:1" in staff_view["error"]


def test_sign_in_limits_still_hold_while_the_cache_is_unreachable(user):
    def sign_in(password):
        return APIClient().post(
            "/api/v1/auth/token/", {"username": "alice", "password": password}, format="json"
        )

    with override_settings(CACHES=CLOSED_PORT_CACHE):
        codes = [sign_in(f"wrong-{n}").status_code for n in range(7)]
        right = sign_in(PASSWORD)

    assert codes == [401] * 5 + [429] * 2
    assert right.status_code == 429


def test_the_shared_cache_is_left_alone_for_a_few_seconds_after_a_failure(api):
    with override_settings(CACHES=CLOSED_PORT_CACHE):
        api.get("/api/v1/campaigns")
        with mock.patch("django.core.cache.backends.redis.RedisCacheClient.get") as get:
            for _ in range(5):
                assert api.get("/api/v1/campaigns").status_code == 200

    assert get.call_count == 0
    assert components.CACHE.should_skip()


# --- writes answered 4xx ---------------------------------------------------------------


def test_writes_answered_4xx_do_not_use_up_the_write_allowance(api):
    with rates(create="2/minute"):
        invalid = [api.post("/api/v1/campaigns", {}, format="json").status_code for _ in range(5)]
        valid = [
            api.post("/api/v1/campaigns", {"name": f"C{n}"}, format="json").status_code
            for n in range(3)
        ]

    assert invalid == [400] * 5
    assert valid == [201, 201, 429]


def test_a_stream_of_invalid_writes_is_still_slowed_down(api):
    with rates(create="1/minute"):
        codes = [api.post("/api/v1/campaigns", {}, format="json").status_code for _ in range(5)]
        last = api.post("/api/v1/campaigns", {"name": "Valid, but too soon"}, format="json")

    # Rejected writes have an allowance of their own: four times the write rate.
    assert codes == [400, 400, 400, 400, 429]
    assert last.status_code == 429
    assert 0 < int(last["Retry-After"]) <= 60


@override_settings(DEBUG=False)
@pytest.mark.parametrize("path", ["/calendar/", "/api/v1/campaigns"])
def test_a_request_failing_on_an_unreachable_database_is_a_503_not_a_500(
    client, user, monkeypatch, path
):
    from django.contrib.sessions.backends.db import SessionStore

    client.raise_request_exception = False
    client.force_login(user)

    def down(self, *args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(SessionStore, "load", down)
    response = client.get(path)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"database is unavailable" in response.content

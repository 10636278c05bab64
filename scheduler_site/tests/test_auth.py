"""API authentication: JWT bearer tokens for integrators, the session for the browser."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-123"


def obtain(client, username="alice", password=PASSWORD):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


def test_token_flow_end_to_end(user):
    client = APIClient()

    tokens = obtain(client)
    assert tokens.status_code == 200
    assert set(tokens.json()) == {"access", "refresh"}

    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")
    created = client.post("/api/v1/campaigns", {"name": "Via token"}, format="json")
    assert created.status_code == 201
    assert client.get("/api/v1/campaigns").json()["count"] == 1

    refreshed = client.post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens.json()["refresh"]}, format="json"
    )
    assert refreshed.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}")
    assert client.get("/api/v1/campaigns").status_code == 200


def test_wrong_password_gets_no_token(user):
    response = obtain(APIClient(), password="wrong")

    assert response.status_code == 401
    assert "detail" in response.json()


def test_a_refresh_token_that_is_not_one_is_401_json(user):
    response = APIClient().post(
        "/api/v1/auth/token/refresh/", {"refresh": "garbage"}, format="json"
    )

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("header", ["Bearer not.a.token", "Bearer ", "Token abc", "Bearer a.b.c"])
def test_a_bad_token_is_401_with_a_json_body(user, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/v1/campaigns")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_an_access_token_used_as_refresh_is_refused(user):
    access = obtain(APIClient()).json()["access"]

    response = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": access}, format="json")

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/campaigns"),
        ("post", "/api/v1/campaigns"),
        ("get", "/api/v1/templates"),
        ("get", "/api/v1/workspaces"),
    ],
)
def test_unauthenticated_requests_are_401_with_a_json_body_and_a_challenge(db, method, url):
    response = getattr(APIClient(), method)(url, {}, format="json")

    assert response.status_code == 401
    assert response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_session_login_works_for_the_api(user):
    client = APIClient()
    assert client.login(username="alice", password=PASSWORD)

    assert client.get("/api/v1/workspaces").status_code == 200
    assert client.post("/api/v1/campaigns", {"name": "Browser"}, format="json").status_code == 201


def test_session_writes_need_the_csrf_token(user):
    client = APIClient(enforce_csrf_checks=True)
    client.login(username="alice", password=PASSWORD)

    without = client.post("/api/v1/campaigns", {"name": "No token"}, format="json")
    page = client.get("/accounts/login/")
    token = page.cookies["csrftoken"].value
    with_token = client.post(
        "/api/v1/campaigns", {"name": "With token"}, format="json", HTTP_X_CSRFTOKEN=token
    )

    assert without.status_code == 403
    assert with_token.status_code == 201

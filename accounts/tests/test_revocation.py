"""Tokens and sessions end when they should: password change, deactivation,
refresh rotation, sign out and sign out everywhere."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-123"


def obtain(username="alice", password=PASSWORD, client=None):
    response = (client or APIClient()).post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def api_status(access: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get("/api/v1/workspaces").status_code


def refresh_status(refresh: str):
    return APIClient().post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")


def test_a_password_change_ends_old_access_and_refresh_tokens(user):
    tokens = obtain()
    assert api_status(tokens["access"]) == 200

    user.set_password("a-brand-new-pw-456")
    user.save()

    assert api_status(tokens["access"]) == 401
    assert refresh_status(tokens["refresh"]).status_code == 401
    assert api_status(obtain(password="a-brand-new-pw-456")["access"]) == 200


def test_a_password_change_through_the_page_ends_tokens(user):
    tokens = obtain()
    browser = Client()
    browser.force_login(user)

    # Django's own password change form (as the admin and any account page use).
    from django.contrib.auth.forms import PasswordChangeForm

    form = PasswordChangeForm(
        user,
        {
            "old_password": PASSWORD,
            "new_password1": "another-new-pw-789",
            "new_password2": "another-new-pw-789",
        },
    )
    assert form.is_valid(), form.errors
    form.save()

    assert api_status(tokens["access"]) == 401
    assert refresh_status(tokens["refresh"]).status_code == 401


def test_deactivation_ends_old_access_and_refresh_tokens(user):
    tokens = obtain()

    user.is_active = False
    user.save()

    assert api_status(tokens["access"]) == 401
    assert refresh_status(tokens["refresh"]).status_code == 401
    # Reactivated later, the old refresh token stays dead (it was blacklisted).
    user.is_active = True
    user.save()
    assert refresh_status(tokens["refresh"]).status_code == 401


def test_refresh_rotates_and_the_old_refresh_token_is_refused_after_use(user):
    tokens = obtain()

    first = refresh_status(tokens["refresh"])
    assert first.status_code == 200
    assert set(first.json()) == {"access", "refresh"}
    assert first.json()["refresh"] != tokens["refresh"]

    again = refresh_status(tokens["refresh"])
    assert again.status_code == 401
    assert again["Content-Type"] == "application/json"
    assert api_status(first.json()["access"]) == 200
    assert refresh_status(first.json()["refresh"]).status_code == 200


def test_refresh_token_of_a_deleted_user_is_401_not_500(user):
    tokens = obtain()
    user.delete()

    assert refresh_status(tokens["refresh"]).status_code == 401


def test_logout_ends_that_refresh_token_only(user):
    here, there = obtain(), obtain()

    response = APIClient().post("/api/v1/auth/logout/", {"refresh": here["refresh"]}, format="json")

    assert response.status_code == 204
    assert refresh_status(here["refresh"]).status_code == 401
    assert refresh_status(there["refresh"]).status_code == 200
    # Signing out twice is not an error.
    again = APIClient().post("/api/v1/auth/logout/", {"refresh": here["refresh"]}, format="json")
    assert again.status_code == 204


@pytest.mark.parametrize(
    ("body", "message"),
    [({}, "required"), ({"refresh": "garbage"}, "valid"), ({"refresh": ""}, "blank")],
)
def test_logout_with_bad_input_is_400_naming_the_field(user, body, message):
    response = APIClient().post("/api/v1/auth/logout/", body, format="json")

    assert response.status_code == 400
    assert message in " ".join(response.json()["refresh"])


def test_logout_refuses_an_access_token_and_another_users_refresh(user, make_user):
    mine = obtain()
    make_user("bob")
    bobs = obtain("bob")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {mine['access']}")

    as_refresh = client.post("/api/v1/auth/logout/", {"refresh": mine["access"]}, format="json")
    other = client.post("/api/v1/auth/logout/", {"refresh": bobs["refresh"]}, format="json")

    assert as_refresh.status_code == 400
    assert other.status_code == 400
    assert "another user" in other.json()["refresh"][0]
    assert refresh_status(bobs["refresh"]).status_code == 200


def test_logout_all_ends_every_token_and_web_session(user, make_user):
    laptop, phone = obtain(), obtain()
    browser = Client()
    browser.force_login(user)
    assert browser.get("/campaigns/").status_code == 200
    make_user("bob")
    bobs = obtain("bob")

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {laptop['access']}")
    response = client.post("/api/v1/auth/logout-all/")

    assert response.status_code == 204
    for tokens in (laptop, phone):
        assert api_status(tokens["access"]) == 401
        assert refresh_status(tokens["refresh"]).status_code == 401
    assert browser.get("/campaigns/").status_code == 302
    # Other users are untouched, and signing in again works at once.
    assert api_status(bobs["access"]) == 200
    fresh = obtain()
    assert api_status(fresh["access"]) == 200
    assert refresh_status(fresh["refresh"]).status_code == 200


def test_logout_all_needs_authentication(db):
    assert APIClient().post("/api/v1/auth/logout-all/").status_code == 401


def test_sign_out_everywhere_button_on_every_page(user):
    tokens = obtain()
    browser = Client()
    browser.force_login(user)
    other_browser = Client()
    other_browser.force_login(user)

    page = browser.get("/campaigns/")
    assert b"Sign out everywhere" in page.content

    response = browser.post("/accounts/sign-out-everywhere/", follow=True)

    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert b"Signed out everywhere" in response.content
    assert other_browser.get("/campaigns/").status_code == 302
    assert api_status(tokens["access"]) == 401
    assert refresh_status(tokens["refresh"]).status_code == 401
    # Signing in on the page again works.
    assert (
        browser.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code
        == 302
    )
    assert browser.get("/campaigns/").status_code == 200


def test_sign_out_everywhere_page_is_post_only(page_client):
    assert page_client.get("/accounts/sign-out-everywhere/").status_code == 405

"""Sign in, sign out and the signed-in landing page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_login_page_renders_with_the_sites_layout(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert "base.html" in [t.name for t in response.templates]
    assert 'name="username"' in response.content.decode()


def test_signing_in_with_the_form_lands_on_a_page_of_the_site(client, user):
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "pw-for-tests-123"}, follow=True
    )

    assert response.status_code == 200
    assert response.wsgi_request.user.is_authenticated
    assert "base.html" in [t.name for t in response.templates]


def test_a_wrong_password_shows_an_error_on_the_form(client, user):
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})

    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert "form-error" in response.content.decode()


def test_signing_out_ends_the_session_and_returns_to_sign_in(client, user):
    client.force_login(user)

    response = client.post("/accounts/logout/", follow=True)

    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")


def test_home_for_a_signed_in_user_renders_a_page_of_the_site(client, user):
    client.force_login(user)

    response = client.get("/", follow=True)

    assert response.status_code == 200
    assert "base.html" in [t.name for t in response.templates]
    assert "alice" in response.content.decode()


def test_home_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")

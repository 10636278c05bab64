"""Sign-in limits at the default rates: 5 failures a minute per username, 20
per client address, on the API token endpoint and the login page alike. A
forged X-Forwarded-For changes nothing unless proxies are trusted."""

from __future__ import annotations

import pytest
import time_machine
from django.conf import settings
from django.test import Client, RequestFactory, override_settings
from rest_framework.test import APIClient

from scheduler_site.lib.client_ip import client_ip

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock_inside_one_window():
    # The counters are one-minute windows; a burst that crossed a boundary
    # would start a new count, so each test's attempts share one window.
    with time_machine.travel("2026-12-01 09:00:05Z", tick=False):
        yield


PASSWORD = "pw-for-tests-123"


def api_sign_in(username, password, client=None, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return (client or APIClient()).post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json", **extra
    )


def page_sign_in(username, password, client=None, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return (client or Client()).post(
        "/accounts/login/", {"username": username, "password": password}, **extra
    )


def test_the_default_rates():
    assert settings.SIGN_IN_THROTTLE_RATES == {"username": "5/minute", "ip": "20/minute"}
    assert settings.TRUSTED_PROXY_COUNT == 0


def test_forty_wrong_passwords_with_a_changing_forwarded_for_hit_429_on_the_api(user):
    codes = [
        api_sign_in("alice", f"wrong-{n}", forwarded=f"203.0.113.{n}").status_code
        for n in range(40)
    ]

    assert codes[:5] == [401] * 5
    assert set(codes[5:]) == {429}
    last = api_sign_in("alice", PASSWORD, forwarded="198.51.100.7")
    # Even the right password waits until the window ends.
    assert last.status_code == 429
    assert 0 < int(last["Retry-After"]) <= 60
    assert "detail" in last.json()


def test_forty_wrong_passwords_with_a_changing_forwarded_for_hit_429_on_the_login_page(user):
    responses = [page_sign_in("alice", f"wrong-{n}", forwarded=f"203.0.113.{n}") for n in range(40)]
    codes = [r.status_code for r in responses]

    assert codes[:5] == [200] * 5  # the form again, "enter a correct username and password"
    assert set(codes[5:]) == {429}
    assert b"Too many sign-in attempts" in responses[-1].content
    assert 0 < int(responses[-1]["Retry-After"]) <= 60
    assert page_sign_in("alice", PASSWORD).status_code == 429


def test_guessing_many_usernames_from_one_address_is_limited_by_address(make_user):
    make_user("bob")
    codes = [
        api_sign_in(f"someone{n}", "guess", forwarded=f"10.9.{n}.1").status_code for n in range(25)
    ]

    assert codes[:20] == [401] * 20
    assert set(codes[20:]) == {429}
    # The address is blocked for everyone, on both paths.
    assert api_sign_in("bob", PASSWORD).status_code == 429
    assert page_sign_in("bob", PASSWORD).status_code == 429


def test_a_locked_username_does_not_block_another_user_at_the_same_address(user, make_user):
    make_user("bob")
    for n in range(6):
        api_sign_in("alice", f"wrong-{n}")

    assert api_sign_in("alice", PASSWORD).status_code == 429
    assert api_sign_in("bob", PASSWORD).status_code == 200
    assert page_sign_in("bob", PASSWORD).status_code == 302


def test_the_username_limit_is_shared_by_the_api_and_the_page_and_ignores_case(user):
    for n in range(3):
        page_sign_in("alice", f"wrong-{n}")
    for n in range(2):
        api_sign_in("ALICE", f"wrong-{n}")

    assert api_sign_in("alice", PASSWORD).status_code == 429


def test_a_correct_password_resets_the_username_count(user):
    for n in range(4):
        api_sign_in("alice", f"wrong-{n}")
    assert api_sign_in("alice", PASSWORD).status_code == 200

    codes = [api_sign_in("alice", f"again-{n}").status_code for n in range(5)]

    assert codes == [401] * 5


def test_successful_sign_ins_are_not_limited(user):
    assert {api_sign_in("alice", PASSWORD).status_code for _ in range(25)} == {200}


def test_the_admin_login_is_limited_too(user):
    for n in range(5):
        Client().post("/admin/login/", {"username": "alice", "password": f"wrong-{n}"})
    user.is_staff = True
    user.save()

    response = Client().post("/admin/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 200  # the form again: not signed in
    assert "_auth_user_id" not in response.wsgi_request.session


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_one_trusted_proxy_each_real_client_has_its_own_allowance(make_user):
    make_user("bob")
    # The proxy appends the address it saw; anything left of it is the client's own.
    for n in range(20):
        api_sign_in(f"nobody{n}", "guess", forwarded=f"1.2.3.4, 192.0.2.{n % 2 + 10}")
    blocked = api_sign_in("bob", PASSWORD, forwarded="1.2.3.4, 192.0.2.10")
    other_client = api_sign_in("bob", PASSWORD, forwarded="1.2.3.4, 192.0.2.99")

    assert blocked.status_code == 200  # only 10 failures from 192.0.2.10
    assert other_client.status_code == 200
    for n in range(10):
        api_sign_in(f"nobody{n}", "guess", forwarded=f"6.6.6.{n}, 192.0.2.10")
    assert api_sign_in("bob", PASSWORD, forwarded="9.9.9.9, 192.0.2.10").status_code == 429


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (0, "203.0.113.5", "127.0.0.1"),
        (0, None, "127.0.0.1"),
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),
        (2, "6.6.6.6, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (2, "203.0.113.5", "203.0.113.5"),
        (1, "not-an-address", "127.0.0.1"),
        (1, "", "127.0.0.1"),
    ],
)
def test_client_ip(trusted, forwarded, expected):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", **extra)

    assert client_ip(request, trusted) == expected


def test_drf_trusts_the_same_number_of_proxies():
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.TRUSTED_PROXY_COUNT

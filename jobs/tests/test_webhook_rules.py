from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobs import webhook


def test_the_signature_is_an_hmac_sha256_of_the_exact_body_with_the_secret():
    body = webhook.canonical_body({"id": "42", "name": "Forbes", "attempt": 1})
    secret = "s3cret-value"

    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()

    assert webhook.sign(body, secret) == f"sha256={expected}"
    assert webhook.verify(body, secret, f"sha256={expected}")


def test_a_signature_made_with_another_secret_or_body_does_not_verify():
    body = webhook.canonical_body({"id": "42"})
    signature = webhook.sign(body, "right")

    assert not webhook.verify(body, "wrong", signature)
    assert not webhook.verify(body + b" ", "right", signature)
    assert not webhook.verify(body, "right", "")


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_2xx_succeeds(status):
    assert webhook.classify_status(status) == webhook.SUCCESS


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504, 599])
def test_timeouts_throttling_and_server_errors_are_retried(status):
    assert webhook.classify_status(status) == webhook.RETRY


@pytest.mark.parametrize("status", [301, 400, 401, 403, 404, 409, 410, 422])
def test_other_answers_fail_at_once(status):
    assert webhook.classify_status(status) == webhook.FAIL


def test_retry_after_in_seconds_is_read():
    assert webhook.parse_retry_after("7") == 7.0


def test_retry_after_as_an_http_date_is_read_relative_to_now():
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=90), usegmt=True)

    assert webhook.parse_retry_after(header, now=now) == 90.0


@pytest.mark.parametrize("header", [None, "", "soon", "-5"])
def test_a_missing_or_garbled_retry_after_is_ignored(header):
    assert webhook.parse_retry_after(header) is None


def test_a_huge_retry_after_is_capped_at_an_hour():
    assert webhook.parse_retry_after("999999") == webhook.MAX_RETRY_AFTER_SECONDS


def test_backoff_doubles_per_attempt_with_jitter_inside_the_band():
    low = [webhook.backoff_seconds(n, base=2, rand=lambda: 0.0) for n in (1, 2, 3)]
    high = [webhook.backoff_seconds(n, base=2, rand=lambda: 1.0) for n in (1, 2, 3)]

    assert low == [1.0, 2.0, 4.0]
    assert high == [2.0, 4.0, 8.0]


def test_retry_after_wins_when_it_asks_for_longer_than_the_backoff():
    assert webhook.backoff_seconds(1, base=2, retry_after=30, rand=lambda: 0.5) == 30
    assert webhook.backoff_seconds(3, base=2, retry_after=0.1, rand=lambda: 0.0) == 4.0


@given(st.integers(min_value=1, max_value=60), st.floats(min_value=0, max_value=1))
def test_backoff_never_exceeds_the_cap(attempt, jitter):
    assert 0 < webhook.backoff_seconds(attempt, rand=lambda: jitter) <= webhook.BACKOFF_CAP_SECONDS


def resolver_for(*addresses):
    return lambda host, port: list(addresses)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "0.0.0.0",  # noqa: S104 - an address under test, not a bind
        "::ffff:127.0.0.1",
        "fd00::1",
    ],
)
def test_private_loopback_and_link_local_targets_are_refused(address):
    with pytest.raises(webhook.UnsafeTarget, match="WEBHOOK_ALLOW_PRIVATE"):
        webhook.resolve_target(
            "https://hooks.example.com/x", allow_private=False, resolver=resolver_for(address)
        )


def test_one_private_address_among_public_ones_is_enough_to_refuse():
    with pytest.raises(webhook.UnsafeTarget):
        webhook.resolve_target(
            "https://hooks.example.com/x",
            allow_private=False,
            resolver=resolver_for("93.184.216.34", "10.0.0.5"),
        )


def test_a_public_target_connects_to_the_vetted_address():
    target = webhook.resolve_target(
        "https://hooks.example.com:8443/in?x=1",
        allow_private=False,
        resolver=resolver_for("93.184.216.34"),
    )

    assert (target.host, target.port, target.path, target.address) == (
        "hooks.example.com",
        8443,
        "/in?x=1",
        "93.184.216.34",
    )


def test_private_targets_are_allowed_when_configured():
    target = webhook.resolve_target(
        "http://127.0.0.1:9999/hook", allow_private=True, resolver=resolver_for("127.0.0.1")
    )

    assert target.address == "127.0.0.1"


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "gopher://x"])
def test_only_http_and_https_are_accepted(url):
    with pytest.raises(webhook.UnsafeTarget, match="http or https"):
        webhook.resolve_target(url, allow_private=True, resolver=resolver_for("93.184.216.34"))

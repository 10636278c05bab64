"""The outbound URL policy as pure functions: addresses, URLs, resolved names.

Nothing here touches the network: every name is "resolved" by a stub, and the
save-time check is shown never to call the system resolver.
"""

from __future__ import annotations

import ipaddress
import re
import socket

import pytest

from scheduler_site.lib import outbound
from scheduler_site.lib.outbound import UnsafeTarget


def resolver_for(*addresses):
    def resolve(host, port):
        return list(addresses)

    return resolve


@pytest.fixture(autouse=True)
def no_dns(monkeypatch):
    """Any real lookup is a bug in the test (or in the save-time check)."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a test tried a real DNS lookup: {args!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)


# --- Addresses ---------------------------------------------------------------------

TABLE = [(str(network), name) for network, name in outbound.BLOCKED_NETWORKS]


@pytest.mark.parametrize(("network", "name"), TABLE)
def test_every_special_purpose_block_is_refused_from_its_first_to_its_last_address(network, name):
    net = ipaddress.ip_network(network)
    for address in (net[0], net[net.num_addresses // 2], net[-1]):
        assert not outbound.is_public_address(str(address)), address


@pytest.mark.parametrize(
    ("address", "block"),
    [
        ("100.64.0.1", "100.64.0.0/10"),  # carrier-grade NAT: the example
        ("100.127.255.254", "100.64.0.0/10"),
        ("198.18.0.1", "198.18.0.0/15"),
        ("198.19.255.255", "198.18.0.0/15"),
        ("240.0.0.1", "240.0.0.0/4"),
        ("255.255.255.255", "240.0.0.0/4"),
        ("0.0.0.0", "0.0.0.0/8"),  # noqa: S104 - an address under test, not a bind
        ("169.254.169.254", "169.254.0.0/16"),  # cloud metadata
        ("192.0.0.170", "192.0.0.0/24"),
        ("192.88.99.1", "192.88.99.0/24"),
        ("::", "::/128"),
        ("::1", "::1/128"),
        ("::127.0.0.1", "::/96"),
        ("100::1", "100::/64"),
        ("2001:db8::1", "2001:db8::/32"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001::/23"),  # Teredo
        ("fd12:3456::1", "fc00::/7"),
        ("fe80::1%eth0", "fe80::/10"),
        ("ff02::1", "ff00::/8"),
        ("64:ff9b:1::a00:1", "64:ff9b:1::/48"),
    ],
)
def test_the_refusal_names_the_block_and_tells_how_to_allow_it_locally(address, block):
    with pytest.raises(UnsafeTarget) as error:
        outbound.check_address(address)

    assert block in str(error.value)
    assert "WEBHOOK_ALLOW_PRIVATE" in str(error.value)


@pytest.mark.parametrize(
    ("address", "inner"),
    [
        ("::ffff:127.0.0.1", "127.0.0.1"),  # IPv4-mapped
        ("::ffff:10.0.0.1", "10.0.0.1"),
        ("::ffff:100.64.0.1", "100.64.0.1"),
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),  # NAT64 well-known prefix
        ("64:ff9b::7f00:1", "127.0.0.1"),
        ("2002:7f00:1::1", "127.0.0.1"),  # 6to4
        ("2002:c0a8:101::", "192.168.1.1"),
        ("2002:6440:1::", "100.64.0.1"),
    ],
)
def test_ipv6_addresses_carrying_a_special_ipv4_address_are_refused(address, inner):
    with pytest.raises(UnsafeTarget, match=re.escape(f"embeds {inner},")):
        outbound.check_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "8.8.8.8",
        "9.255.255.255",
        "11.0.0.0",
        "100.63.255.255",  # either side of 100.64.0.0/10
        "100.128.0.0",
        "172.15.255.255",  # either side of 172.16.0.0/12
        "172.32.0.0",
        "198.17.255.255",  # either side of 198.18.0.0/15
        "198.20.0.0",
        "223.255.255.255",  # the last address before multicast
        "2606:4700:4700::1111",
        "2a00:1450:4001:81c::200e",
        "::ffff:8.8.8.8",  # mapped, NAT64 and 6to4 forms of a public address
        "64:ff9b::808:808",
        "2002:808:808::1",
    ],
)
def test_public_addresses_pass(address):
    assert outbound.is_public_address(address)
    outbound.check_address(address)


def test_ipv6_outside_global_unicast_is_refused_even_where_no_block_names_it():
    assert not outbound.is_public_address("4000::1")
    assert "2000::/3" in outbound.blocked_reason("4000::1")


# --- URLs: what is refused whatever WEBHOOK_ALLOW_PRIVATE says ------------------------


@pytest.mark.parametrize("allow_private", [False, True])
@pytest.mark.parametrize(
    "url",
    [
        "http://user:pw@hooks.example.com/in",
        "https://user@hooks.example.com/in",
        "http://@hooks.example.com/in",
        "http://:@hooks.example.com/in",
        "https://hooks.example.com:pw@127.0.0.1/in",
    ],
)
def test_urls_with_a_user_name_or_password_are_refused(url, allow_private):
    with pytest.raises(UnsafeTarget, match="user name or password"):
        outbound.check_url(url, allow_private=allow_private)
    with pytest.raises(UnsafeTarget, match="user name or password"):
        outbound.resolve_target(
            url, allow_private=allow_private, resolver=resolver_for("93.184.216.34")
        )


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "ftps://example.com/x",
        "file:///etc/passwd",
        "gopher://example.com:70/_",
        "javascript:alert(1)",
        "data:text/plain,hi",
        "//hooks.example.com/in",
        "hooks.example.com/in",
    ],
)
def test_only_http_and_https_urls_are_accepted(url):
    with pytest.raises(UnsafeTarget, match="http or https"):
        outbound.check_url(url, allow_private=True)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.example.com:0/", "port"),
        ("http://hooks.example.com:65536/", "port"),
        ("http://hooks.example.com:http/", "port"),
        ("http:///only-a-path", "no host"),
        ("http://hooks.example.com\\@127.0.0.1/", "backslashes"),
        ("http://hooks.example.com /x", "spaces"),
        ("http://hooks.example.com/\r\nX-Injected: 1", "control characters"),
        ("", "empty"),
        (None, "empty"),
    ],
)
def test_malformed_urls_are_refused_with_the_reason(url, problem):
    with pytest.raises(UnsafeTarget, match=problem):
        outbound.check_url(url, allow_private=True)


# --- URLs at save time: addresses written in any spelling, no DNS ---------------------


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://127.1:8000/hook", "127.0.0.1"),
        ("http://2130706433/hook", "127.0.0.1"),
        ("http://0x7f.0.0.1/hook", "127.0.0.1"),
        ("http://0x7f000001/hook", "127.0.0.1"),
        ("http://017700000001/hook", "127.0.0.1"),
        ("http://0177.0.0.1/hook", "127.0.0.1"),
        ("http://[::ffff:127.0.0.1]:8000/hook", "::ffff:127.0.0.1"),
        ("http://[::ffff:7f00:1]/hook", "::ffff:7f00:1"),
        ("http://0.0.0.0:8000/hook", "0.0.0.0"),  # noqa: S104 - under test, not a bind
        ("http://0/hook", "0.0.0.0"),  # noqa: S104 - under test, not a bind
        ("http://[::]/hook", "::"),
        ("http://[::1]/hook", "::1"),
        ("http://100.64.0.1/hook", "100.64.0.1"),
        ("http://1681915905/hook", "100.64.0.1"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[fe80::1%25eth0]/hook", "fe80::1"),
    ],
)
def test_a_host_written_as_a_special_address_is_refused_when_saved(url, address):
    with pytest.raises(UnsafeTarget) as error:
        outbound.check_url(url, allow_private=False)

    assert "not a public address" in str(error.value)
    assert outbound.literal_address(outbound.parse_url(url).host) == ipaddress.ip_address(
        address.split("%")[0]
    )


@pytest.mark.parametrize(
    "url", ["http://localhost:8000/", "http://LOCALHOST./", "http://a.localhost/"]
)
def test_localhost_names_are_refused_when_saved(url):
    with pytest.raises(UnsafeTarget, match="always loopback"):
        outbound.check_url(url, allow_private=False)


def test_a_host_name_is_accepted_when_saved_without_looking_it_up():
    # The no_dns fixture fails the test if check_url tried to resolve it.
    parsed = outbound.check_url("HTTPS://Hooks.Example.com:8443/in?x=1#frag", allow_private=False)

    assert (parsed.scheme, parsed.host, parsed.port, parsed.path) == (
        "https",
        "hooks.example.com",
        8443,
        "/in?x=1",
    )


def test_local_addresses_are_accepted_when_private_targets_are_allowed():
    assert outbound.check_url("http://127.0.0.1:9999/hook", allow_private=True).port == 9999


# --- URLs at run time: every resolved address checked, one pinned ---------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "100.64.0.1",
        "172.16.0.9",
        "192.168.1.1",
        "198.18.0.1",
        "169.254.169.254",
        "240.0.0.1",
        "0.0.0.0",  # noqa: S104 - an address under test, not a bind
        "::1",
        "::ffff:127.0.0.1",
        "64:ff9b::7f00:1",
        "2002:7f00:1::",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "fd00::1",
        "fe80::1%2",
        "ff02::1",
    ],
)
def test_a_name_resolving_to_a_special_address_is_refused(address):
    with pytest.raises(UnsafeTarget) as error:
        outbound.resolve_target(
            "https://hooks.example.com/x", allow_private=False, resolver=resolver_for(address)
        )

    assert f"'hooks.example.com' resolves to {address}" in str(error.value)


def test_one_special_answer_among_public_ones_refuses_the_name():
    with pytest.raises(UnsafeTarget, match=re.escape("100.64.0.7")):
        outbound.resolve_target(
            "https://hooks.example.com/x",
            allow_private=False,
            resolver=resolver_for("93.184.216.34", "2606:2800:220:1::1", "100.64.0.7"),
        )


def test_a_public_name_is_pinned_to_its_first_vetted_address():
    target = outbound.resolve_target(
        "https://hooks.example.com:8443/in?x=1",
        allow_private=False,
        resolver=resolver_for("93.184.216.34", "93.184.216.35"),
    )

    assert target == outbound.Target("https", "hooks.example.com", 8443, "/in?x=1", "93.184.216.34")


def test_a_literal_address_is_checked_before_any_lookup():
    def resolver(host, port):
        raise AssertionError("resolved a URL that was already refused")

    with pytest.raises(UnsafeTarget, match=re.escape("0.0.0.0/8")):
        outbound.resolve_target("http://0.0.0.0:80/", allow_private=False, resolver=resolver)


@pytest.mark.parametrize(
    ("resolver", "problem"),
    [(resolver_for(), "resolves to no address"), (None, "cannot resolve")],
)
def test_a_name_that_does_not_resolve_is_refused_at_run_time(resolver, problem):
    def failing(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(UnsafeTarget, match=problem):
        outbound.resolve_target(
            "https://nowhere.example/x", allow_private=False, resolver=resolver or failing
        )


def test_private_answers_are_used_when_allowed():
    target = outbound.resolve_target(
        "http://receiver.test:9999/hook", allow_private=True, resolver=resolver_for("127.0.0.1")
    )

    assert (target.address, target.port) == ("127.0.0.1", 9999)


# --- GitHub repositories -----------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["acme/videos", "a/b", "Acme-1/my.repo_name-2", f"{'o' * 39}/{'r' * 100}", "a/.x"]
)
def test_github_owner_slash_name_is_a_repository(value):
    assert outbound.github_repository_error(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "acme",
        "acme/videos/extra",
        "acme/../../orgs/x",
        "../x",
        "acme/..",
        "acme/.",
        "acme/a b",
        "acme/a?b",
        "acme/a#b",
        "acme/a%2f..",
        "acme/a:b@evil.example",
        f"{'o' * 40}/x",
        f"acme/{'x' * 101}",
        "/videos",
        "acme/",
        "",
        123,
        None,
        ["acme/videos"],
    ],
)
def test_anything_else_is_not_a_repository(value):
    assert "repository" in outbound.github_repository_error(value)

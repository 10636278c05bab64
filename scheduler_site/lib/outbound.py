"""The outbound URL policy: where this server may send a request (no Django).

Every URL the server posts to (a job's ``webhook_url``, a workspace's default
webhook URL, a channel's ``target_url``, ``GITHUB_API_URL`` with a channel's
repository) goes through the same two checks:

- ``check_url`` when the URL is saved: http or https, a host, no user name or
  password, a valid port, and a host written as an IP address in any spelling
  (``127.1``, ``2130706433``, ``0x7f.1``, ``[::ffff:127.0.0.1]``) must be a
  public address. A host *name* is not looked up when saving: DNS answers
  change, and the check that counts is the next one.
- ``resolve_target`` when the request is made: the same URL rules, then every
  address the host resolves to must be public, and the request connects to
  that vetted address (pinned), so a DNS answer that changes between the check
  and the connection cannot point it inward.

"Public" means outside every block of the IANA IPv4 and IPv6 Special-Purpose
Address Registries that is not globally reachable (``BLOCKED_NETWORKS``), and,
for IPv6, inside global unicast 2000::/3. Addresses that carry an IPv4 address
inside (IPv4-mapped, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by that
IPv4 address. Redirects are never followed by the executors: a 3xx answer is
a failed delivery.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

ALLOW_PRIVATE_HINT = "set WEBHOOK_ALLOW_PRIVATE=true to allow it"
ALLOWED_SCHEMES = ("http", "https")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeTarget(ValueError):
    """A URL or address this server must not send a request to."""


def _table(*rows: tuple[str, str]):
    return tuple((ipaddress.ip_network(network), name) for network, name in rows)


# https://www.iana.org/assignments/iana-ipv4-special-registry
BLOCKED_IPV4 = _table(
    ("0.0.0.0/8", "'this network' (RFC 791)"),
    ("10.0.0.0/8", "private-use (RFC 1918)"),
    ("100.64.0.0/10", "shared address space / carrier-grade NAT (RFC 6598)"),
    ("127.0.0.0/8", "loopback (RFC 1122)"),
    ("169.254.0.0/16", "link-local (RFC 3927)"),
    ("172.16.0.0/12", "private-use (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments (RFC 6890)"),
    ("192.0.2.0/24", "documentation TEST-NET-1 (RFC 5737)"),
    ("192.88.99.0/24", "6to4 relay anycast (RFC 7526)"),
    ("192.168.0.0/16", "private-use (RFC 1918)"),
    ("198.18.0.0/15", "benchmarking (RFC 2544)"),
    ("198.51.100.0/24", "documentation TEST-NET-2 (RFC 5737)"),
    ("203.0.113.0/24", "documentation TEST-NET-3 (RFC 5737)"),
    ("224.0.0.0/4", "multicast (RFC 5771)"),
    ("240.0.0.0/4", "reserved (RFC 1112)"),
    ("255.255.255.255/32", "limited broadcast (RFC 919)"),
)

# https://www.iana.org/assignments/iana-ipv6-special-registry
BLOCKED_IPV6 = _table(
    ("::/128", "unspecified (RFC 4291)"),
    ("::1/128", "loopback (RFC 4291)"),
    ("::/96", "IPv4-compatible, deprecated (RFC 4291)"),
    ("::ffff:0:0:0/96", "IPv4-translated (RFC 2765)"),
    ("64:ff9b:1::/48", "local-use IPv4/IPv6 translation (RFC 8215)"),
    ("100::/64", "discard-only (RFC 6666)"),
    ("2001::/23", "IETF protocol assignments, incl. Teredo 2001::/32 (RFC 2928, 4380)"),
    ("2001:db8::/32", "documentation (RFC 3849)"),
    ("3fff::/20", "documentation (RFC 9637)"),
    ("5f00::/16", "segment routing SIDs (RFC 9602)"),
    ("fc00::/7", "unique-local (RFC 4193)"),
    ("fe80::/10", "link-local unicast (RFC 4291)"),
    ("fec0::/10", "site-local, deprecated (RFC 3879)"),
    ("ff00::/8", "multicast (RFC 4291)"),
)

BLOCKED_NETWORKS = BLOCKED_IPV4 + BLOCKED_IPV6

# IPv6 blocks whose address is an IPv4 address in disguise: judged by it.
IPV4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")  # RFC 4291
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")  # RFC 3056
GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip in IPV4_MAPPED or ip in NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in SIX_TO_FOUR:
        return ipaddress.IPv4Address((int(ip) >> 80) & 0xFFFFFFFF)
    return None


def parse_address(address: str) -> IPAddress:
    """An IP address as a resolver returns it (an IPv6 zone id is dropped)."""
    return ipaddress.ip_address(str(address).split("%", 1)[0])


def blocked_reason(address: str | IPAddress) -> str | None:
    """Why a request must not go to ``address``, or None when it is public."""
    ip = address if isinstance(address, IPAddress) else parse_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            reason = blocked_reason(inner)
            return f"it embeds {inner}, {reason}" if reason else None
    for network, name in BLOCKED_NETWORKS:
        if ip.version == network.version and ip in network:
            return f"{network} is {name}"
    if isinstance(ip, ipaddress.IPv6Address) and ip not in GLOBAL_UNICAST:
        return "it is outside IPv6 global unicast 2000::/3"
    return None


def is_public_address(address: str | IPAddress) -> bool:
    return blocked_reason(address) is None


def check_address(address: str | IPAddress, *, host: str | None = None) -> None:
    """Raise UnsafeTarget naming the special-purpose block ``address`` is in."""
    reason = blocked_reason(address)
    if reason:
        where = f"{host!r} resolves to {address}" if host and host != str(address) else address
        raise UnsafeTarget(
            f"{where}, which is not a public address ({reason}); {ALLOW_PRIVATE_HINT}"
        )


# --- URLs ---------------------------------------------------------------------------

_LEGACY_IPV4_RE = re.compile(r"^[0-9a-fx.]+$", re.IGNORECASE)
_LOCALHOST_NAMES = ("localhost", "localhost.")


@dataclass(frozen=True)
class OutboundURL:
    scheme: str
    host: str  # as written, IPv6 without brackets, lower case
    port: int
    path: str  # path and query, never empty


def parse_url(url: str) -> OutboundURL:
    """The URL rules that need no DNS: scheme, host, no userinfo, port."""
    if not isinstance(url, str) or not url.strip():
        raise UnsafeTarget("the URL is empty")
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url) or "\\" in url:
        raise UnsafeTarget("the URL contains spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise UnsafeTarget(f"the URL cannot be parsed ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeTarget(f"the URL must be http or https, not {parts.scheme or 'none'!r}")
    if "@" in parts.netloc:
        raise UnsafeTarget("the URL must not carry a user name or password (user:pass@host)")
    host = parts.hostname
    if not host:
        raise UnsafeTarget("the URL has no host")
    try:
        port = parts.port
    except ValueError:
        raise UnsafeTarget("the URL has an invalid port (1-65535)") from None
    if port == 0:
        raise UnsafeTarget("the URL has an invalid port (1-65535)")
    if port is None:
        port = 443 if scheme == "https" else 80
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return OutboundURL(scheme, host, port, path)


def literal_address(host: str) -> IPAddress | None:
    """The address a host written as an IP stands for, in every spelling the
    C resolver accepts (``127.1``, ``2130706433``, ``0x7f.0.0.1``, ``017700000001``)."""
    try:
        return parse_address(host)
    except ValueError:
        pass
    if _LEGACY_IPV4_RE.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def check_url(url: str, *, allow_private: bool) -> OutboundURL:
    """Save-time check (no DNS): see the module docstring."""
    parsed = parse_url(url)
    if not allow_private:
        if parsed.host in _LOCALHOST_NAMES or parsed.host.endswith(".localhost"):
            raise UnsafeTarget(
                f"{parsed.host!r} is always loopback (RFC 6761); {ALLOW_PRIVATE_HINT}"
            )
        address = literal_address(parsed.host)
        if address is not None:
            check_address(address, host=parsed.host)
    return parsed


# --- Run time: resolve, check every answer, pin one ---------------------------------


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the vetted IP the request connects to


Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [info[4][0] for info in infos]


def resolve_target(
    url: str, *, allow_private: bool, resolver: Resolver = system_resolver
) -> Target:
    """Check the URL, resolve its host and pick the address to connect to.

    Every address the name resolves to must be public (unless allowed): one
    private answer among public ones refuses the URL, since a later lookup
    could return it.
    """
    parsed = check_url(url, allow_private=allow_private)
    try:
        addresses = resolver(parsed.host, parsed.port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget(f"cannot resolve {parsed.host!r}: {exc}") from None
    if not addresses:
        raise UnsafeTarget(f"{parsed.host!r} resolves to no address")
    if not allow_private:
        for address in addresses:
            check_address(address, host=parsed.host)
    return Target(parsed.scheme, parsed.host, parsed.port, parsed.path, addresses[0])


# --- GitHub repositories -----------------------------------------------------------

# GitHub's rules: an owner is 1-39 letters, digits or hyphens; a repository
# name is 1-100 letters, digits, '.', '_' or '-', and never '.' or '..'.
GITHUB_REPOSITORY_RE = re.compile(
    r"^(?P<owner>[A-Za-z0-9-]{1,39})/(?P<name>[A-Za-z0-9._-]{1,100})$"
)


def github_repository_error(value) -> str | None:
    """Why ``value`` is not a GitHub "owner/name", or None when it is one."""
    if not isinstance(value, str):
        return 'The repository must be a string "owner/name".'
    match = GITHUB_REPOSITORY_RE.match(value)
    if not match or match["name"] in (".", ".."):
        return (
            f'{value[:120]!r} is not a GitHub repository: use "owner/name" (owner: letters, '
            "digits and '-', up to 39; name: letters, digits, '.', '_' and '-', up to 100)."
        )
    return None

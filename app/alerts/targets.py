"""Where a webhook may point: http(s) URLs whose addresses are public, checked when a saved
search is stored and again, after DNS resolution, before every delivery (a name may be
re-pointed at an internal address after it was accepted).

Never reachable: cloud metadata services (169.254.169.254, fd00:ec2::254, 100.100.100.200,
...), link-local, unspecified, multicast and reserved addresses, and metadata host names.
Reachable only with ALERT_WEBHOOK_ALLOW_PRIVATE: loopback, private and other non-public
ranges (RFC 1918, CGNAT, ULA, ...), and this server itself (its own addresses, or the host
name and port the API was called by). IPv4 addresses inside IPv6 ones (mapped, NAT64, 6to4,
Teredo) are judged as the IPv4 address they carry.
"""

import concurrent.futures
import ipaddress
import socket
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Name -> addresses; raises OSError when the name does not resolve.
Resolver = Callable[[str, int], list[str]]

MAX_URL_LENGTH = 2048
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, DigitalOcean, OpenStack, ...
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)
METADATA_NAMES = frozenset(
    {"metadata", "metadata.google.internal", "metadata.goog", "instance-data", "metadata.azure.com"}
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: Time to wait for DNS when a saved search is stored; a slower name is judged at delivery.
CREATE_RESOLVE_SECONDS = 2.0


class RefusedTarget(ValueError):
    """The URL or an address it leads to is not one a webhook may reach."""


@dataclass(frozen=True)
class WebhookTarget:
    url: str
    scheme: str
    host: str
    port: int
    #: Path and query, as the request line sends them.
    target: str


def parse(url: str) -> WebhookTarget:
    """The parts of a webhook URL, or RefusedTarget saying what is wrong with it."""
    if len(url) > MAX_URL_LENGTH:
        raise RefusedTarget(f"longer than {MAX_URL_LENGTH} characters")
    if any(ord(char) < 33 or ord(char) == 127 for char in url):
        raise RefusedTarget("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedTarget(f"not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise RefusedTarget("must be an http:// or https:// URL")
    if not parts.hostname:
        raise RefusedTarget("needs a host")
    if parts.username is not None or parts.password is not None:
        raise RefusedTarget("must not carry credentials; the secret authenticates deliveries")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return WebhookTarget(
        url=url,
        scheme=scheme,
        host=parts.hostname.lower().rstrip("."),
        port=port or (443 if scheme == "https" else 80),
        target=target,
    )


def _embedded_ipv4(address: IPAddress) -> list[IPAddress]:
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    embedded: list[IPAddress] = []
    if address.ipv4_mapped is not None:
        embedded.append(address.ipv4_mapped)
    if address in _NAT64:
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour is not None:
        embedded.append(address.sixtofour)
    if address.teredo is not None:
        embedded.append(address.teredo[1])
    return embedded


def is_own_address(address: IPAddress) -> bool:
    """Whether this machine holds the address: only then can a socket bind to it."""
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((str(address), 0))
    except OSError:
        return False
    return True


def refusal(
    address: IPAddress,
    *,
    allow_private: bool,
    own_address: Callable[[IPAddress], bool] = is_own_address,
) -> str | None:
    """Why a webhook may not reach `address`, or None when it may."""
    embedded = _embedded_ipv4(address)
    if embedded:
        # Judged by the IPv4 address it carries (the IPv6 wrapper itself counts as reserved).
        reasons = [
            refusal(inner, allow_private=allow_private, own_address=own_address)
            for inner in embedded
        ]
        return next((reason for reason in reasons if reason), None)
    if address in METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    if address.is_loopback:
        return None if allow_private else f"{address} is a loopback address"
    if address.is_unspecified or address.is_multicast or address.is_link_local:
        return f"{address} is an unspecified, multicast or link-local address"
    if address.is_reserved or address == ipaddress.IPv4Address("255.255.255.255"):
        return f"{address} is a reserved address"
    if allow_private:
        return None
    if not address.is_global:
        return f"{address} is a private or otherwise non-public address"
    if own_address(address):
        return f"{address} is this server's own address"
    return None


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (OSError when none)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def resolve_within(resolver: Resolver, host: str, port: int, seconds: float) -> list[str]:
    """`resolver` with a deadline (getaddrinfo itself takes none); TimeoutError past it."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(resolver, host, port).result(timeout=seconds)
    except concurrent.futures.TimeoutError as exc:
        raise TimeoutError(f"resolving {host} took over {seconds:g}s") from exc
    finally:
        pool.shutdown(wait=False)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def check_name(
    target: WebhookTarget, *, allow_private: bool, own_hosts: Collection[str] = ()
) -> None:
    """Refuse what the URL's host name alone shows: metadata names, localhost, literal
    addresses that may not be reached, and this API's own host and port."""
    host = target.host
    if host in METADATA_NAMES:
        raise RefusedTarget(f"{host} is a cloud metadata host")
    literal = _literal(host)
    if literal is not None:
        reason = refusal(literal, allow_private=allow_private)
        if reason:
            raise RefusedTarget(reason)
        return
    if allow_private:
        return
    if host == "localhost" or host.endswith(".localhost"):
        raise RefusedTarget(f"{host} is a loopback host")
    if f"{host}:{target.port}" in own_hosts:
        raise RefusedTarget(f"{host}:{target.port} is this API's own host")


def check_addresses(addresses: Iterable[str], *, allow_private: bool) -> list[IPAddress]:
    """The addresses, each judged; RefusedTarget when any may not be reached (a name that
    resolves to a public and a private address is refused, whichever a client would pick)."""
    checked = []
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        reason = refusal(address, allow_private=allow_private)
        if reason:
            raise RefusedTarget(reason)
        checked.append(address)
    if not checked:
        raise RefusedTarget("the host resolves to no address")
    return checked


def check_on_create(
    url: str,
    *,
    allow_private: bool,
    own_hosts: Collection[str] = (),
    resolver: Resolver = resolve,
) -> WebhookTarget:
    """Check a webhook URL being stored: its form, its name, and the addresses it resolves to
    now. A name that does not resolve (yet) is accepted: delivery resolves it again anyway."""
    target = parse(url)
    check_name(target, allow_private=allow_private, own_hosts=own_hosts)
    if _literal(target.host) is None:
        try:
            addresses = resolve_within(resolver, target.host, target.port, CREATE_RESOLVE_SECONDS)
        except (OSError, UnicodeError):
            return target
        check_addresses(addresses, allow_private=allow_private)
    return target

"""Where webhooks may point: URL form, address classes, names, and the check after resolution
(no database, no network: resolvers are given)."""

import ipaddress

import pytest

from app.alerts import targets
from app.alerts.webhook import WebhookSender, sign


def refusal(address: str, *, allow_private: bool = False) -> str | None:
    return targets.refusal(
        ipaddress.ip_address(address), allow_private=allow_private, own_address=lambda _a: False
    )


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("169.254.169.254", "169.254.169.254 is a cloud metadata address"),
        ("fd00:ec2::254", "fd00:ec2::254 is a cloud metadata address"),
        ("100.100.100.200", "100.100.100.200 is a cloud metadata address"),
        ("169.254.1.1", "169.254.1.1 is an unspecified, multicast or link-local address"),
        ("fe80::1", "fe80::1 is an unspecified, multicast or link-local address"),
        ("0.0.0.0", "0.0.0.0 is an unspecified, multicast or link-local address"),
        ("224.0.0.1", "224.0.0.1 is an unspecified, multicast or link-local address"),
        ("240.0.0.1", "240.0.0.1 is a reserved address"),
        # IPv4 inside IPv6 is judged as the IPv4 address it carries.
        ("::ffff:169.254.169.254", "169.254.169.254 is a cloud metadata address"),
        ("64:ff9b::a9fe:a9fe", "169.254.169.254 is a cloud metadata address"),
        ("2002:a9fe:a9fe::1", "169.254.169.254 is a cloud metadata address"),
    ],
)
def test_never_reachable_even_when_private_is_allowed(address: str, reason: str) -> None:
    assert refusal(address) == reason
    assert refusal(address, allow_private=True) == reason


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("::1", "::1 is a loopback address"),
        ("::ffff:127.0.0.1", "127.0.0.1 is a loopback address"),
        ("10.1.2.3", "10.1.2.3 is a private or otherwise non-public address"),
        ("172.16.0.1", "172.16.0.1 is a private or otherwise non-public address"),
        ("192.168.1.1", "192.168.1.1 is a private or otherwise non-public address"),
        ("100.64.0.1", "100.64.0.1 is a private or otherwise non-public address"),
        ("fd12::1", "fd12::1 is a private or otherwise non-public address"),
    ],
)
def test_private_ranges_only_when_allowed(address: str, reason: str) -> None:
    assert refusal(address) == reason
    assert refusal(address, allow_private=True) is None


def test_public_addresses_pass_and_own_addresses_do_not() -> None:
    assert refusal("93.184.216.34") is None
    assert refusal("2606:2800:220:1:248:1893:25c8:1946") is None
    own = targets.refusal(
        ipaddress.ip_address("93.184.216.34"), allow_private=False, own_address=lambda _a: True
    )
    assert own == "93.184.216.34 is this server's own address"


def test_own_address_is_what_this_machine_can_bind() -> None:
    assert targets.is_own_address(ipaddress.ip_address("127.0.0.1")) is True
    assert targets.is_own_address(ipaddress.ip_address("93.184.216.34")) is False


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example.org/x", "must be an http:// or https:// URL"),
        ("hooks.example.org/x", "must be an http:// or https:// URL"),
        ("http:///path", "needs a host"),
        (
            "https://user:pw@hooks.example.org/",
            "must not carry credentials; the secret authenticates deliveries",
        ),
        ("https://hooks.example.org:99999/", "not a valid URL (Port out of range 0-65535)"),
        ("https://hooks.example.org/a b", "must not contain spaces or control characters"),
        ("https://" + "a" * 2050 + ".org/", "longer than 2048 characters"),
        (
            "http://metadata.google.internal/computeMetadata/v1/",
            "metadata.google.internal is a cloud metadata host",
        ),
        ("http://localhost:9000/", "localhost is a loopback host"),
        ("http://api.localhost/", "api.localhost is a loopback host"),
        ("http://[::1]:9000/", "::1 is a loopback address"),
        ("http://archive.example.org/hook", "archive.example.org:80 is this API's own host"),
    ],
)
def test_refused_on_create_by_form_or_name(url: str, reason: str) -> None:
    with pytest.raises(targets.RefusedTarget) as refused:
        targets.check_on_create(
            url,
            allow_private=False,
            own_hosts={"archive.example.org:80"},
            resolver=lambda _h, _p: ["93.184.216.34"],
        )
    assert str(refused.value) == reason


def test_on_create_a_name_is_judged_by_what_it_resolves_to() -> None:
    def internal(_host: str, _port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.7"]

    with pytest.raises(targets.RefusedTarget, match=r"^10\.0\.0\.7 is a private"):
        targets.check_on_create(
            "https://hooks.example.org/", allow_private=False, resolver=internal
        )
    target = targets.check_on_create(
        "https://hooks.example.org:8443/in?x=1",
        allow_private=False,
        resolver=lambda _h, _p: ["93.184.216.34"],
    )
    assert (target.scheme, target.host, target.port, target.target) == (
        "https",
        "hooks.example.org",
        8443,
        "/in?x=1",
    )


def test_on_create_a_name_that_does_not_resolve_yet_is_taken() -> None:
    def nowhere(host: str, _port: int) -> list[str]:
        raise OSError(f"{host}: Name or service not known")

    target = targets.check_on_create(
        "https://later.example.org/", allow_private=False, resolver=nowhere
    )
    assert target.host == "later.example.org"


def test_delivery_refuses_a_name_rebound_to_metadata_after_creation() -> None:
    sender = WebhookSender(
        timeout=1.0, allow_private=True, resolver=lambda _h, _p: ["169.254.169.254"]
    )
    outcome = sender.send(
        url="http://hooks.example.org/", secret="x" * 16, body=b"{}", idempotency_key="k"
    )
    assert (outcome.status_code, outcome.error) == (
        None,
        "refused: 169.254.169.254 is a cloud metadata address",
    )
    assert not outcome.delivered


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    # Known answer from `printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 0123456789abcdef`.
    assert sign("0123456789abcdef", 1_700_000_000, b'{"a":1}') == (
        "sha256=9eb18f493f8ec135d9eb2dad817c369bb4e9cbfa818657897a7437c1cd8c3a23"
    )

"""Send one signed webhook request, to an address checked after resolution, within a deadline.

Headers of every delivery:

- ``X-Newsarchive-Timestamp``: Unix seconds when the request was signed.
- ``X-Newsarchive-Signature``: ``sha256=`` and the hex HMAC-SHA256, keyed with the saved
  search's secret, of ``{timestamp}.{raw body}``. A receiver recomputes it over the bytes it
  received, compares in constant time, and refuses timestamps more than a few minutes old
  (a replayed request keeps its old timestamp, and changing it breaks the signature).
- ``Idempotency-Key``: the same for every attempt at one (saved search, article) match.
- ``X-Newsarchive-Event``: ``saved_search.match``.

The connection goes to the address that was checked (the name is not looked up a second
time, so it cannot be re-pointed in between); HTTPS still verifies the certificate for the
name. Redirects are not followed. The whole attempt (resolution, connection, request,
response) is cut off at the timeout, so a hanging receiver holds one delivery thread for that
long at most.
"""

import contextlib
import hashlib
import hmac
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from app import __version__
from app.alerts import targets

SIGNATURE_HEADER = "X-Newsarchive-Signature"
TIMESTAMP_HEADER = "X-Newsarchive-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
EVENT_HEADER = "X-Newsarchive-Event"
EVENT = "saved_search.match"
#: A receiver's answer is read up to this much, then dropped: only its status matters.
MAX_RESPONSE_BYTES = 64 * 1024


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: a status code, or an error that kept it from getting one."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to a given address, whatever the host name would resolve to now."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a given address, the certificate checked against the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


class WebhookSender:
    def __init__(
        self,
        *,
        timeout: float,
        allow_private: bool,
        resolver: targets.Resolver = targets.resolve,
    ) -> None:
        self.timeout = timeout
        self.allow_private = allow_private
        self.resolver = resolver

    def send(self, *, url: str, secret: str, body: bytes, idempotency_key: str) -> Outcome:
        started = time.monotonic()

        def outcome(status: int | None = None, error: str | None = None) -> Outcome:
            elapsed = int((time.monotonic() - started) * 1000)
            return Outcome(status_code=status, error=error and error[:500], duration_ms=elapsed)

        try:
            target = targets.parse(url)
            targets.check_name(target, allow_private=self.allow_private)
            addresses = targets.resolve_within(
                self.resolver, target.host, target.port, self.timeout
            )
            address = targets.check_addresses(addresses, allow_private=self.allow_private)[0]
        except targets.RefusedTarget as exc:
            return outcome(error=f"refused: {exc}")
        except (OSError, UnicodeError) as exc:
            return outcome(error=f"could not resolve host: {exc}")
        remaining = self.timeout - (time.monotonic() - started)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"newsarchive/{__version__}",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(secret, timestamp, body),
            IDEMPOTENCY_HEADER: idempotency_key,
            EVENT_HEADER: EVENT,
        }
        connection_class = (
            _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
        )
        connection = connection_class(target.host, target.port, str(address), max(remaining, 0.01))
        deadline = threading.Event()

        def cut_off() -> None:
            deadline.set()
            if connection.sock is not None:
                with contextlib.suppress(OSError):
                    connection.sock.shutdown(socket.SHUT_RDWR)

        timer = threading.Timer(max(remaining, 0.01), cut_off)
        timer.daemon = True
        timer.start()
        try:
            connection.request("POST", target.target, body=body, headers=headers)
            response = connection.getresponse()
            response.read(MAX_RESPONSE_BYTES)
            return outcome(status=response.status)
        except (OSError, http.client.HTTPException) as exc:
            if deadline.is_set() or isinstance(exc, TimeoutError):
                return outcome(error=f"timed out after {self.timeout:g}s")
            return outcome(error=f"{type(exc).__name__}: {exc}")
        finally:
            timer.cancel()
            connection.close()

"""`newsarchive serve --server granian`: the API on granian (a Rust HTTP server) instead of
uvicorn, with the same app, proxy-header handling and worker count."""

from typing import Any

from granian import Granian
from granian.constants import Interfaces, Loops
from granian.utils.proxies import wrap_asgi_with_proxy_headers

from app.main import create_app


def create_proxied_app() -> Any:
    """The app, taking the client address from X-Forwarded-For when a loopback proxy sends
    it (as uvicorn's --proxy-headers does)."""
    return wrap_asgi_with_proxy_headers(create_app(), trusted_hosts="127.0.0.1")


def run_granian(*, host: str, port: int, workers: int) -> None:
    Granian(
        "app.server_granian:create_proxied_app",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        loop=Loops.uvloop,
        websockets=False,
        log_access=False,
    ).serve()

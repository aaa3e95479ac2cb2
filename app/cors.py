"""CORS for browser clients on other origins, off unless CORS_ALLOW_ORIGINS names some."""

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

#: Response headers a browser script may read; the rest stay hidden from it.
EXPOSED_HEADERS = [
    "X-Request-ID",
    "Location",
    "X-Upsert-Outcome",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
    "Retry-After",
]
ALLOWED_HEADERS = ["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"]
ALLOWED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


def add_cors(app: FastAPI, origins: list[str]) -> None:
    """Answer preflights and mark responses for `origins`; keys travel in headers, not
    cookies, so credentials mode stays off."""
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=ALLOWED_METHODS,
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        allow_credentials=False,
        max_age=600,
    )

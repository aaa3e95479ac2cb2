"""CORS for browser clients on other origins, off unless CORS_ALLOW_ORIGINS names some."""

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from app.errors import problem_response

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
    "X-Total-Count",
    "Content-Disposition",
]
ALLOWED_HEADERS = ["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"]
ALLOWED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered as problem+json like every other
    error (Starlette's own answer is a text/plain "Disallowed CORS origin")."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        headers = {
            name: value
            for name, value in response.headers.items()
            if name not in ("content-type", "content-length")
        }
        return problem_response(
            response.status_code,
            f"CORS preflight refused: its {refused} is not allowed here.",
            slug="cors-preflight-refused",
            headers=headers,
        )


def add_cors(app: FastAPI, origins: list[str]) -> None:
    """Answer preflights and mark responses for `origins`; keys travel in headers, not
    cookies, so credentials mode stays off."""
    if not origins:
        return
    app.add_middleware(
        ProblemCORSMiddleware,
        allow_origins=origins,
        allow_methods=ALLOWED_METHODS,
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        allow_credentials=False,
        max_age=600,
    )

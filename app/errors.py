"""Typed errors rendered as RFC 9457 problem details (`application/problem+json`).

Routes and services raise `ApiError` subclasses; the handlers here are the only place that
turns an exception into a response, so no traceback, SQL or upstream text reaches a client.
"""

import logging
import traceback
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from app.db import is_statement_timeout

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://newsarchive.dev/problems/"


class FieldError(BaseModel):
    loc: list[str | int] = Field(
        description="Where the bad value is: ['body', 'title'], ['query', 'limit'], ..."
    )
    msg: str


class Problem(BaseModel):
    """An RFC 9457 problem detail."""

    type: str = Field(examples=[PROBLEM_TYPE_BASE + "not-found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["No article with id 42."])
    errors: list[FieldError] | None = Field(
        default=None, description="Validation failures, one per bad field."
    )


class ApiError(Exception):
    """An error with an HTTP status and a message safe to show to clients."""

    status: HTTPStatus = HTTPStatus.INTERNAL_SERVER_ERROR
    slug: str = "internal-error"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class BadRequest(ApiError):
    status, slug = HTTPStatus.BAD_REQUEST, "bad-request"


class Unauthorized(ApiError):
    status, slug = HTTPStatus.UNAUTHORIZED, "unauthorized"


class Forbidden(ApiError):
    status, slug = HTTPStatus.FORBIDDEN, "forbidden"


class NotFound(ApiError):
    status, slug = HTTPStatus.NOT_FOUND, "not-found"


class Conflict(ApiError):
    status, slug = HTTPStatus.CONFLICT, "conflict"


class PayloadTooLarge(ApiError):
    status, slug = HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "payload-too-large"


class UnsupportedMediaType(ApiError):
    status, slug = HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type"


class ServiceUnavailable(ApiError):
    status, slug = HTTPStatus.SERVICE_UNAVAILABLE, "service-unavailable"

    def __init__(self, detail: str, *, retry_after: int = 5) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class InvalidParameter(ApiError):
    """A semantically invalid parameter (422) that the schema alone could not catch."""

    status, slug = HTTPStatus.UNPROCESSABLE_ENTITY, "validation-error"

    def __init__(self, loc: Sequence[str | int], msg: str) -> None:
        super().__init__(f"{'.'.join(str(part) for part in loc)}: {msg}")
        self.errors = [FieldError(loc=list(loc), msg=msg)]


def problem_response(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    phrase = HTTPStatus(status).phrase
    problem = Problem(
        type=PROBLEM_TYPE_BASE + (slug or phrase.lower().replace(" ", "-")),
        title=phrase,
        status=status,
        detail=detail,
        errors=errors,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _validation_errors(raw: Sequence[Any]) -> list[FieldError]:
    errors = []
    for error in raw:
        loc = [part for part in error.get("loc", ()) if isinstance(part, str | int)]
        msg = str(error.get("msg", "invalid value"))
        if error.get("type") == "json_invalid":
            msg = f"malformed JSON: {error.get('ctx', {}).get('error', 'could not parse body')}"
        errors.append(FieldError(loc=loc, msg=msg))
    return errors


def api_error_response(exc: ApiError) -> JSONResponse:
    """The problem+json answer for one of our own errors."""
    return problem_response(
        exc.status,
        exc.detail,
        slug=exc.slug,
        errors=getattr(exc, "errors", None),
        headers=exc.headers,
    )


async def _handle_api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return api_error_response(exc)


async def _handle_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc.errors())
    summary = "; ".join(f"{'.'.join(str(p) for p in e.loc)}: {e.msg}" for e in errors[:5])
    return problem_response(
        422, summary or "invalid request", slug="validation-error", errors=errors
    )


#: Methods an `Allow` header may name, in the order it names them.
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(app: FastAPI, scope: Scope) -> list[str]:
    """The methods the request's path takes, for an `Allow` header.

    A path the OpenAPI document names as it is (/articles/bulk) takes only its own methods,
    although a template (/articles/{article_id}) matches it too: concrete paths come before
    templates, as OpenAPI reads them, and `concrete_paths_first` routes so. Otherwise each
    method is tried on every route (Starlette's 405 names only those of the first route
    matching the path). Empty when no route serves the path.
    """
    concrete = _concrete_paths(app).get(scope["path"])
    if concrete is not None:
        return [method for method in _METHODS if method in concrete]
    candidates: list[BaseRoute] = list(app.routes)
    return [
        method
        for method in _METHODS
        if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in candidates)
    ]


def documented_concrete_paths(routers: Iterable[APIRouter]) -> dict[str, frozenset[str]]:
    """Paths without a template in the OpenAPI document, with the methods each takes.

    Read from the routers an app includes, once when it is built: the document itself, or
    FastAPI's per-app view of every route, took seconds to build on an app's first request.
    """
    methods: dict[str, set[str]] = {}
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.include_in_schema and "{" not in route.path:
                methods.setdefault(route.path, set()).update(route.methods or ())
    return {path: frozenset(taken) for path, taken in methods.items()}


def _concrete_paths(app: FastAPI) -> dict[str, frozenset[str]]:
    found: dict[str, frozenset[str]] = app.state.concrete_paths
    return found


async def concrete_paths_first(request: Request) -> None:
    """An app-wide dependency: a request for a concrete path that a template route caught
    (PUT /articles/bulk reaching PUT /articles/{article_id}) is a method the path does not
    take, answered 405 before the template's own checks (415, 422) can say otherwise."""
    route = request.scope.get("route")
    template = getattr(route, "path", "")
    if "{" in template and request.url.path in _concrete_paths(request.app):
        raise StarletteHTTPException(status_code=HTTPStatus.METHOD_NOT_ALLOWED)


async def _handle_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    headers = dict(exc.headers or {})
    if exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        allowed = allowed_methods(request.app, request.scope)
        headers["Allow"] = ", ".join(allowed) or headers.get("Allow", "")
        detail = f"{request.method} is not allowed here; allowed: {headers['Allow']}."
    return problem_response(exc.status_code, detail, headers=headers)


async def _handle_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # Connection refused, server restarting, pool exhausted, lock timeout: the request may
    # succeed shortly, so say so instead of a 500. Nothing of the driver's text leaks.
    if is_statement_timeout(exc):
        logger.warning(
            "statement stopped by the time limit",
            extra={"path": request.url.path, "statement": getattr(exc, "statement", None)},
        )
        return problem_response(
            503,
            "The database stopped this request's work: it ran longer than the server allows. "
            "Narrow the request (fewer values, a shorter range) or try again later.",
            slug="statement-timeout",
        )
    logger.warning(
        "database unavailable", extra={"path": request.url.path, "error_type": type(exc).__name__}
    )
    return problem_response(
        503,
        "The database is temporarily unavailable; try again shortly.",
        slug="database-unavailable",
        headers={"Retry-After": "2"},
    )


async def _handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, sa_exc.StatementError):
        _log_database_error(request, exc)
    else:
        logger.exception(
            "unhandled error", extra={"path": request.url.path, "error_type": type(exc).__name__}
        )
    return problem_response(500, "An internal error occurred; it has been logged.")


def _log_database_error(request: Request, exc: sa_exc.StatementError) -> None:
    """Log a failed statement by its shape: the SQL, the driver's error class and code, the
    stack. Not the message: PostgreSQL's quotes values ('Key (url)=(...)', 'Failing row
    contains (...)', 'invalid input syntax ... "..."'), so it can hold article text."""
    driver_error = exc.orig
    diag = getattr(driver_error, "diag", None)  # psycopg: which constraint, table, column
    facts = {
        "path": request.url.path,
        "error_type": type(exc).__name__,
        "driver_error": type(driver_error).__name__,
        "sqlstate": getattr(driver_error, "sqlstate", None)
        or getattr(driver_error, "sqlite_errorname", None),
        "constraint": getattr(diag, "constraint_name", None),
        "table": getattr(diag, "table_name", None),
        "column": getattr(diag, "column_name", None),
        "statement": exc.statement,
    }
    stack = "".join(traceback.format_tb(exc.__traceback__))
    if driver_error is not None:
        raised_at = traceback.format_tb(driver_error.__traceback__)
        stack += f"{type(driver_error).__name__} raised at:\n" + "".join(raised_at)
    shown = ", ".join(
        f"{key}={value}" for key, value in facts.items() if value and key != "statement"
    )
    logger.error(
        "unhandled database error (%s) in: %s\n%s",
        shown,
        exc.statement,
        stack,
        extra={**facts, "stack": stack},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _handle_api_error)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
    for database_error in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError):
        app.add_exception_handler(database_error, _handle_database_unavailable)
    app.add_exception_handler(Exception, _handle_unexpected)


#: Reusable OpenAPI `responses=` entries so every route documents its problem shapes. The
#: problem+json entry names the schema too, so generated clients type the error they get.
def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "model": Problem,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            "description": HTTPStatus(status).phrase,
        }
        for status in statuses
    }

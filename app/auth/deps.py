"""FastAPI dependencies for API keys, as named types.

    @router.post("", dependencies=[RequireWrite])       # needs a write (or admin) key
    def create(key: WriteKey) -> ...                    # the same, and the route gets the key
    @router.get("", dependencies=[RequireRead])         # public unless REQUIRE_KEY_FOR_READS
    def show(key: ReadAccess) -> ...                    # the same; key is None when anonymous

A key is taken from `Authorization: Bearer <key>` or `X-API-Key: <key>`. A key that is sent
is always checked, even on a public route: a wrong key is a 401, never silently anonymous.
"""

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.auth import service
from app.auth.models import ApiKey, Scope
from app.deps import SettingsDep
from app.errors import Forbidden, Unauthorized

#: Set on the request scope's state once a key checks out; the rate limiter keys on it.
STATE_KEY_ID = "api_key_id"


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key a request carries, from Authorization (Bearer) or X-API-Key, or None."""
    authorization = headers.get("authorization")
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized(
                "Send the key as `Authorization: Bearer <key>` or `X-API-Key: <key>`.",
                headers=service.challenge("invalid_token"),
            )
        return value.strip()
    api_key = headers.get("x-api-key")
    return api_key.strip() if api_key and api_key.strip() else None


def _authenticate(engine: Engine, plaintext: str) -> ApiKey:
    with Session(engine, expire_on_commit=False) as session:
        return service.authenticate(session=session, plaintext=plaintext)


async def optional_api_key(request: Request) -> ApiKey | None:
    """The request's key when one is sent (401 when it is wrong), else None.

    Async, and touching the database only when a key is sent: anonymous reads (the hot path
    of search) then cost no thread hop and no session.
    """
    plaintext = presented_key(request.headers)
    if plaintext is None:
        return None
    record = await run_in_threadpool(_authenticate, request.app.state.engine, plaintext)
    setattr(request.state, STATE_KEY_ID, record.key_id)
    return record


OptionalKey = Annotated[ApiKey | None, Depends(optional_api_key)]


async def key_checked_first(_key: OptionalKey) -> None:
    """For `dependencies=[...]` ahead of the app-wide input rules: a key that is sent is checked
    before anything else about the request, so a wrong key is a 401 whatever else is wrong.
    The route's own key dependency reuses this result (FastAPI's per-request cache)."""


def require_scope(needed: Scope | str) -> Callable[[ApiKey | None], Awaitable[ApiKey]]:
    """A dependency that returns the request's key, or fails with 401 (none) / 403 (too weak)."""
    needed = Scope(needed)

    async def dependency(key: OptionalKey) -> ApiKey:
        if key is None:
            raise Unauthorized(
                f"This needs an API key with the {needed} scope.", headers=service.challenge()
            )
        if not key.allows(needed):
            raise Forbidden(f"The API key {key.key_id} has scope {key.scope}; this needs {needed}.")
        return key

    dependency.__name__ = f"require_{needed}_scope"
    return dependency


async def read_access(key: OptionalKey, settings: SettingsDep) -> ApiKey | None:
    """Anyone may read unless REQUIRE_KEY_FOR_READS; then a key (any scope includes read)."""
    if key is None and settings.REQUIRE_KEY_FOR_READS:
        raise Unauthorized("Reading needs an API key on this server.", headers=service.challenge())
    return key


ReadKey = Annotated[ApiKey, Depends(require_scope(Scope.read))]
WriteKey = Annotated[ApiKey, Depends(require_scope(Scope.write))]
AdminKey = Annotated[ApiKey, Depends(require_scope(Scope.admin))]
ReadAccess = Annotated[ApiKey | None, Depends(read_access)]

#: For `dependencies=[...]` when the route does not need the key object itself.
RequireWrite = Depends(require_scope(Scope.write))
RequireAdmin = Depends(require_scope(Scope.admin))
RequireRead = Depends(read_access)

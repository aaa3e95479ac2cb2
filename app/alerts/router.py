"""HTTP routes for /saved-searches.

Saved searches belong to the server, not to a key: every key may read them (they show
webhook URLs, never secrets), write keys may change them. The feed also opens with the
search's own feed token (`?token=`), for feed readers that cannot send an API key.
"""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlmodel import Session

from app.alerts import delivery, feed, service
from app.alerts.delivery import idempotency_key
from app.alerts.models import DeliveryStatus, SavedSearch
from app.alerts.schemas import (
    AttemptPublic,
    DeliveryList,
    DeliveryPublic,
    FeedPublic,
    RetryResult,
    SavedSearchCreate,
    SavedSearchList,
    SavedSearchPublic,
    SavedSearchUpdate,
    WebhookPublic,
)
from app.auth.deps import OptionalKey, ReadKey, WriteKey
from app.auth.service import challenge
from app.deps import JsonBody, SessionDep, SettingsDep
from app.entities import service as entity_service
from app.errors import NotFound, Unauthorized, problem_responses

router = APIRouter(prefix="/saved-searches", tags=["saved searches"])

FEED_EXAMPLE = """<?xml version='1.0' encoding='utf-8'?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:uuid:5f0c0c3e2c7a4c0e9a3c2d1e0f9b8a7d</id>\
<title>newsarchive: Harbour bridge</title><updated>2024-05-17T07:30:00+00:00</updated>\
<link rel="self" href="http://127.0.0.1:8000/saved-searches/1/feed" />\
<author><name>newsarchive</name></author><generator>newsarchive</generator>\
<entry><id>urn:newsarchive:5f0c0c3e2c7a4c0e9a3c2d1e0f9b8a7d:article:7</id>\
<title>Harbour bridge reopens</title><link rel="alternate" href="https://example.org/news/bridge" />\
<updated>2024-05-17T07:30:00+00:00</updated><category term="bridge" />\
<summary type="html">&lt;p&gt;Harbour &lt;b&gt;bridge&lt;/b&gt; reopens&lt;/p&gt;</summary></entry></feed>"""


class AtomResponse(Response):
    media_type = feed.MEDIA_TYPE


def _policy(request: Request, allow_private: bool) -> service.WebhookPolicy:
    url = request.url
    port = url.port or (443 if url.scheme == "https" else 80)
    own = {f"{(url.hostname or '').lower()}:{port}"}
    return service.WebhookPolicy(allow_private=allow_private, own_hosts=own)


def _resolver(session: Session) -> service.EntityResolver:
    return partial(entity_service.resolve_for_search, session)


def _public(
    request: Request,
    search: SavedSearch,
    *,
    token: str | None = None,
    warnings: list[str] | None = None,
) -> SavedSearchPublic:
    assert search.id is not None
    webhook = None
    if search.webhook_url and search.webhook_secret:
        webhook = WebhookPublic(
            url=search.webhook_url, secret_hint="…" + search.webhook_secret[-4:]
        )
    feed_public = None
    if search.feed_enabled:
        url = str(request.url_for("saved_search_feed", saved_search_id=search.id))
        feed_public = FeedPublic(url=url, token=token)
    return SavedSearchPublic(
        id=search.id,
        name=search.name,
        search=search.params,
        webhook=webhook,
        feed=feed_public,
        active=search.active,
        created_at=search.created_at,
        updated_at=search.updated_at,
        warnings=warnings or [],
    )


@router.post(
    "",
    response_model=SavedSearchPublic,
    status_code=status.HTTP_201_CREATED,
    dependencies=[JsonBody],
    responses=problem_responses(400, 401, 403, 415, 422),
    summary="Save a search and how to deliver its new matches",
)
def create_saved_search(
    data: SavedSearchCreate,
    key: WriteKey,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
) -> SavedSearchPublic:
    """Articles stored from now on that match `search` are delivered once each: POSTed to
    `webhook` (signed) and/or listed in the Atom feed. The feed token is shown only here."""
    saved = service.create(
        session=session,
        data=data,
        created_by=key.key_id,
        policy=_policy(request, settings.ALERT_WEBHOOK_ALLOW_PRIVATE),
        resolve_entities=_resolver(session),
    )
    response.headers["Location"] = f"/saved-searches/{saved.search.id}"
    return _public(request, saved.search, token=saved.feed_token, warnings=saved.warnings)


@router.get(
    "",
    response_model=SavedSearchList,
    responses=problem_responses(401, 422),
    summary="List saved searches, oldest first",
)
def list_saved_searches(
    _key: ReadKey,
    session: SessionDep,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(description="`next` from the previous page.")] = None,
) -> SavedSearchList:
    rows, last = service.list_searches(
        session=session, limit=limit, after_id=service.decode_cursor(cursor)
    )
    return SavedSearchList(
        data=[_public(request, row) for row in rows],
        next=service.encode_cursor(last) if last is not None else None,
    )


@router.get(
    "/{saved_search_id}",
    response_model=SavedSearchPublic,
    responses=problem_responses(401, 404, 422),
    summary="A saved search",
)
def get_saved_search(
    saved_search_id: int, _key: ReadKey, session: SessionDep, request: Request
) -> SavedSearchPublic:
    return _public(request, service.get(session=session, saved_search_id=saved_search_id))


@router.patch(
    "/{saved_search_id}",
    response_model=SavedSearchPublic,
    dependencies=[JsonBody],
    responses=problem_responses(400, 401, 403, 404, 415, 422),
    summary="Change a saved search (name, search, webhook, feed, paused or not)",
)
def patch_saved_search(
    saved_search_id: int,
    changes: SavedSearchUpdate,
    _key: WriteKey,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
) -> SavedSearchPublic:
    search = service.get(session=session, saved_search_id=saved_search_id)
    saved = service.update(
        session=session,
        search=search,
        changes=changes,
        policy=_policy(request, settings.ALERT_WEBHOOK_ALLOW_PRIVATE),
        resolve_entities=_resolver(session),
    )
    return _public(request, saved.search, token=saved.feed_token, warnings=saved.warnings)


@router.delete(
    "/{saved_search_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403, 404, 422),
    summary="Delete a saved search with its matches and delivery log",
)
def delete_saved_search(saved_search_id: int, _key: WriteKey, session: SessionDep) -> Response:
    search = service.get(session=session, saved_search_id=saved_search_id)
    service.delete(session=session, search=search)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{saved_search_id}/feed",
    name="saved_search_feed",
    response_class=AtomResponse,
    responses={
        200: {
            "description": "Atom 1.0, newest match first",
            "content": {feed.MEDIA_TYPE: {"schema": {"type": "string"}, "example": FEED_EXAMPLE}},
        },
        **problem_responses(401, 404, 422),
    },
    summary="The saved search's matches as an Atom feed (API key or feed token)",
)
def saved_search_feed(
    saved_search_id: int,
    key: OptionalKey,
    session: SessionDep,
    request: Request,
    token: Annotated[
        str | None, Query(max_length=200, description="The feed token, instead of an API key.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AtomResponse:
    if key is None:
        search = (
            session.get(SavedSearch, saved_search_id)
            if 0 < saved_search_id <= service.MAX_ID
            else None
        )
        # No key: the token alone decides, and a bad one says nothing about which ids exist.
        if search is None or token is None or not service.feed_token_matches(search, token):
            raise Unauthorized(
                "The feed needs an API key or this saved search's feed token (`?token=`).",
                headers=challenge(),
            )
    else:
        search = service.get(session=session, saved_search_id=saved_search_id)
        if not search.feed_enabled:
            raise NotFound(
                f"Saved search {saved_search_id} has no feed; PATCH it with `feed: true`."
            )
    matches = service.feed_matches(session=session, search=search, limit=limit)
    body = feed.render(
        search=search,
        matches=matches,
        self_url=str(request.url_for("saved_search_feed", saved_search_id=saved_search_id)),
        article_url=str(request.base_url).rstrip("/") + "/articles/{id}",
    )
    return AtomResponse(content=body)


@router.get(
    "/{saved_search_id}/deliveries",
    response_model=DeliveryList,
    responses=problem_responses(401, 404, 422),
    summary="The webhook delivery log: each match's attempts, status codes, errors, next retry",
)
def list_deliveries(
    saved_search_id: int,
    _key: ReadKey,
    session: SessionDep,
    status_filter: Annotated[
        DeliveryStatus | None, Query(alias="status", description="Only deliveries in this state.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(description="`next` from the previous page.")] = None,
) -> DeliveryList:
    search = service.get(session=session, saved_search_id=saved_search_id)
    page, last = service.deliveries(
        session=session,
        search=search,
        limit=limit,
        before_id=service.decode_cursor(cursor),
        status=status_filter,
    )
    data = []
    for match, attempts in page:
        assert match.id is not None and match.delivery_status is not None
        data.append(
            DeliveryPublic(
                id=match.id,
                article_id=match.article_id,
                title=match.title,
                url=match.url,
                idempotency_key=idempotency_key(search, match.article_id),
                status=match.delivery_status,
                attempts=match.attempts,
                next_attempt_at=match.next_attempt_at,
                delivered_at=match.delivered_at,
                last_status_code=match.last_status_code,
                last_error=match.last_error,
                matched_at=match.matched_at,
                why=match.why,
                log=[
                    AttemptPublic(
                        attempt=a.attempt,
                        at=a.at,
                        duration_ms=a.duration_ms,
                        status_code=a.status_code,
                        error=a.error,
                        outcome=a.outcome,
                    )
                    for a in attempts
                ],
            )
        )
    return DeliveryList(data=data, next=service.encode_cursor(last) if last is not None else None)


@router.post(
    "/{saved_search_id}/deliveries/retry",
    response_model=RetryResult,
    responses=problem_responses(401, 403, 404, 422),
    summary="Give failed deliveries a fresh set of attempts",
)
def retry_failed_deliveries(
    saved_search_id: int, _key: WriteKey, session: SessionDep
) -> RetryResult:
    search = service.get(session=session, saved_search_id=saved_search_id)
    assert search.id is not None
    requeued = delivery.retry_failed(session, search.id)
    session.commit()
    return RetryResult(requeued=requeued)

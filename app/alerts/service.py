"""Saved searches: store, read, change and remove them; their feed entries and delivery log.

Everything a request gives is checked before anything is written, so a refused request
stores nothing: the search parameters through the same `plan()` as /search, the webhook URL
by app/alerts/targets.py, and that at least one way of delivering remains.
"""

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.alerts import targets
from app.alerts.models import AlertMatch, DeliveryAttempt, DeliveryStatus, SavedSearch
from app.alerts.schemas import SavedSearchCreate, SavedSearchUpdate, WebhookIn
from app.db import integer_max, utcnow
from app.errors import InvalidParameter, NotFound
from app.search import service as search_service
from app.search.schemas import SearchParams

MAX_ID = integer_max(sa.Integer())

#: Resolves entity values as /search does; returns slugs and warnings.
EntityResolver = Callable[[Sequence[str]], tuple[list[str], list[str]]]


@dataclass(frozen=True)
class WebhookPolicy:
    allow_private: bool
    #: host:port pairs this API was called by: a webhook must not point back at it.
    own_hosts: Collection[str] = ()


@dataclass
class Saved:
    search: SavedSearch
    #: The feed token, only when one was issued by this call.
    feed_token: str | None
    warnings: list[str]


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_feed_token(search: SavedSearch) -> str:
    token = secrets.token_urlsafe(32)
    search.feed_token_hash = _hash_token(token)
    return token


def feed_token_matches(search: SavedSearch, token: str) -> bool:
    if not search.feed_enabled or not search.feed_token_hash:
        return False
    return hmac.compare_digest(search.feed_token_hash, _hash_token(token))


def stored_params(params: SearchParams) -> dict[str, Any]:
    """The parameters as kept: JSON, by their /search names, defaults left out."""
    dumped: dict[str, Any] = params.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return dumped


def check_search(params: SearchParams, resolve_entities: EntityResolver) -> list[str]:
    """Validate as /search does (422 at body.search...); return its warnings."""
    if params.cursor is not None:
        raise InvalidParameter(
            ["body", "search", "cursor"],
            "a saved search matches new articles as they come; cursor does not apply",
        )
    try:
        plan = search_service.plan(
            index_uid="saved-search",
            params=params,
            where="search",
            resolve_entities=resolve_entities,
        )
    except InvalidParameter as exc:
        raise InvalidParameter(["body", *exc.errors[0].loc], exc.errors[0].msg) from exc
    return plan.warnings


def check_webhook(webhook: WebhookIn, policy: WebhookPolicy) -> None:
    try:
        targets.check_on_create(
            webhook.url, allow_private=policy.allow_private, own_hosts=policy.own_hosts
        )
    except targets.RefusedTarget as exc:
        raise InvalidParameter(["body", "webhook", "url"], str(exc)) from exc


def _require_delivery(search: SavedSearch) -> None:
    if not search.webhook_url and not search.feed_enabled:
        raise InvalidParameter(
            ["body"], "give a way to deliver matches: a webhook, `feed: true`, or both"
        )


def create(
    *,
    session: Session,
    data: SavedSearchCreate,
    created_by: str | None,
    policy: WebhookPolicy,
    resolve_entities: EntityResolver,
) -> Saved:
    warnings = check_search(data.search, resolve_entities)
    if data.webhook is not None:
        check_webhook(data.webhook, policy)
    search = SavedSearch(
        uid=uuid.uuid4().hex,
        name=data.name,
        params=stored_params(data.search),
        webhook_url=data.webhook.url if data.webhook else None,
        webhook_secret=data.webhook.secret if data.webhook else None,
        feed_enabled=data.feed,
        active=data.active,
        created_by=created_by,
    )
    _require_delivery(search)
    token = _new_feed_token(search) if data.feed else None
    session.add(search)
    session.commit()
    session.refresh(search)
    return Saved(search, token, warnings)


def get(*, session: Session, saved_search_id: int) -> SavedSearch:
    search = session.get(SavedSearch, saved_search_id) if 0 < saved_search_id <= MAX_ID else None
    if search is None:
        raise NotFound(f"No saved search with id {saved_search_id}.")
    return search


def update(
    *,
    session: Session,
    search: SavedSearch,
    changes: SavedSearchUpdate,
    policy: WebhookPolicy,
    resolve_entities: EntityResolver,
) -> Saved:
    given = changes.model_fields_set
    for field in ("name", "search", "feed", "active"):
        if field in given and getattr(changes, field) is None:
            raise InvalidParameter(["body", field], "may not be null")
    warnings: list[str] = []
    if changes.search is not None:
        warnings = check_search(changes.search, resolve_entities)
    if changes.webhook is not None:
        check_webhook(changes.webhook, policy)
    webhook_removed = "webhook" in given and changes.webhook is None and search.webhook_url
    if changes.name is not None:
        search.name = changes.name
    if changes.search is not None:
        search.params = stored_params(changes.search)
    if "webhook" in given:
        search.webhook_url = changes.webhook.url if changes.webhook else None
        search.webhook_secret = changes.webhook.secret if changes.webhook else None
    token = None
    if changes.feed is not None:
        if changes.feed and not search.feed_enabled:
            token = _new_feed_token(search)
        search.feed_enabled = changes.feed
        if not changes.feed:
            search.feed_token_hash = None
    if changes.rotate_feed_token:
        if changes.feed is False:
            raise InvalidParameter(
                ["body", "rotate_feed_token"], "can't be combined with `feed: false`"
            )
        if not search.feed_enabled:
            raise InvalidParameter(["body", "rotate_feed_token"], "this saved search has no feed")
        token = _new_feed_token(search)
    if changes.active is not None:
        search.active = changes.active
    # Nothing is committed when this refuses: the request's session is closed unflushed.
    _require_delivery(search)
    search.updated_at = utcnow()
    session.add(search)
    if webhook_removed:
        session.execute(
            sa.update(AlertMatch)
            .where(
                col(AlertMatch.saved_search_id) == search.id,
                col(AlertMatch.delivery_status) == DeliveryStatus.pending.value,
            )
            .values(delivery_status=DeliveryStatus.cancelled.value, next_attempt_at=None)
        )
    session.commit()
    session.refresh(search)
    return Saved(search, token, warnings)


def delete(*, session: Session, search: SavedSearch) -> None:
    """The search, its matches and their delivery log."""
    match_ids = select(AlertMatch.id).where(col(AlertMatch.saved_search_id) == search.id)
    session.execute(sa.delete(DeliveryAttempt).where(col(DeliveryAttempt.match_id).in_(match_ids)))
    session.execute(sa.delete(AlertMatch).where(col(AlertMatch.saved_search_id) == search.id))
    session.delete(search)
    session.commit()


# --- cursors ------------------------------------------------------------------------------


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"i": last_id}).encode()).decode().rstrip("=")


def decode_cursor(token: str | None) -> int | None:
    """The id a `next` value names; anything this API could not have issued is a 422."""
    if token is None:
        return None
    not_valid = InvalidParameter(
        ["query", "cursor"], "not a cursor from this API; pass `next` back"
    )
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, RecursionError) as exc:
        raise not_valid from exc
    if not isinstance(payload, dict) or payload.keys() != {"i"}:
        raise not_valid
    last_id = payload["i"]
    if type(last_id) is not int or not 0 < last_id <= MAX_ID:
        raise not_valid
    return last_id


# --- reading ------------------------------------------------------------------------------


def list_searches(
    *, session: Session, limit: int, after_id: int | None
) -> tuple[list[SavedSearch], int | None]:
    query = select(SavedSearch).order_by(col(SavedSearch.id)).limit(limit + 1)
    if after_id is not None:
        query = query.where(col(SavedSearch.id) > after_id)
    rows = list(session.exec(query).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def feed_matches(*, session: Session, search: SavedSearch, limit: int) -> list[AlertMatch]:
    return list(
        session.exec(
            select(AlertMatch)
            .where(col(AlertMatch.saved_search_id) == search.id)
            .order_by(col(AlertMatch.matched_at).desc(), col(AlertMatch.id).desc())
            .limit(limit)
        ).all()
    )


def deliveries(
    *,
    session: Session,
    search: SavedSearch,
    limit: int,
    before_id: int | None,
    status: DeliveryStatus | None,
) -> tuple[list[tuple[AlertMatch, list[DeliveryAttempt]]], int | None]:
    """Matches that have a delivery, newest first, each with its attempts, oldest first."""
    query = (
        select(AlertMatch)
        .where(
            col(AlertMatch.saved_search_id) == search.id,
            col(AlertMatch.delivery_status).is_not(None),
        )
        .order_by(col(AlertMatch.id).desc())
        .limit(limit + 1)
    )
    if status is not None:
        query = query.where(col(AlertMatch.delivery_status) == status.value)
    if before_id is not None:
        query = query.where(col(AlertMatch.id) < before_id)
    matches = list(session.exec(query).all())
    more = len(matches) > limit
    matches = matches[:limit]
    attempts: dict[int, list[DeliveryAttempt]] = {}
    if matches:
        for attempt in session.exec(
            select(DeliveryAttempt)
            .where(col(DeliveryAttempt.match_id).in_([m.id for m in matches]))
            .order_by(col(DeliveryAttempt.id))
        ).all():
            attempts.setdefault(attempt.match_id, []).append(attempt)
    page = [(m, attempts.get(m.id or 0, [])) for m in matches]
    return page, (matches[-1].id if more and matches else None)

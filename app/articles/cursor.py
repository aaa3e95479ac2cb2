"""Opaque keyset cursors for walking a sorted list of articles."""

import base64
import binascii
import enum
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from app.articles.models import MAX_ARTICLE_ID
from app.errors import InvalidParameter


class SortOrder(enum.StrEnum):
    newest = "newest"
    oldest = "oldest"


_NOT_VALID = "cursor is not valid; pass back a `next` value unchanged"
_SORTS = frozenset(order.value for order in SortOrder)


def _is_article_id(value: object) -> bool:
    # bool is an int subclass, and JSON's 1.0 is a float: neither is an id.
    return type(value) is int and 0 < value <= MAX_ARTICLE_ID


class InvalidCursor(ValueError):
    """The cursor was not issued by this API, or was issued for another sort order."""


@dataclass(frozen=True)
class Cursor:
    """The last row of a page: (published_at, id) in `sort` order."""

    sort: SortOrder
    published_at: datetime | None
    id: int

    def encode(self) -> str:
        payload = {
            "s": self.sort.value,
            "p": self.published_at.isoformat() if self.published_at else None,
            "i": self.id,
        }
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> "Cursor":
        """The position `token` names; anything but a `next` this API could have issued is
        refused, since its values go into the query as they are."""
        try:
            payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        except (binascii.Error, ValueError, RecursionError) as exc:
            raise InvalidCursor(_NOT_VALID) from exc
        if not isinstance(payload, dict) or payload.keys() != {"s", "p", "i"}:
            raise InvalidCursor(_NOT_VALID)
        sort, published, article_id = payload["s"], payload["p"], payload["i"]
        if not isinstance(sort, str) or sort not in _SORTS or not _is_article_id(article_id):
            raise InvalidCursor(_NOT_VALID)
        if published is None:
            return cls(sort=SortOrder(sort), published_at=None, id=article_id)
        if not isinstance(published, str):
            raise InvalidCursor(_NOT_VALID)
        try:
            published_at = datetime.fromisoformat(published)
            if published_at.tzinfo is None:
                raise ValueError("naive")
            published_at.astimezone(UTC)  # a time with no UTC equivalent could not be compared
        except (ValueError, OverflowError) as exc:
            raise InvalidCursor(_NOT_VALID) from exc
        return cls(sort=SortOrder(sort), published_at=published_at, id=article_id)


def page_position(
    *,
    cursor: str | None,
    sort: SortOrder,
    published_from: datetime | None,
    published_to: datetime | None,
) -> Cursor | None:
    """Check a list request's date window and cursor; the position to continue from.

    Shared by every database-backed list (articles, an entity's articles), so they reject
    the same inputs with the same messages.
    """
    if published_from and published_to and published_from > published_to:
        raise InvalidParameter(["query", "published_from"], "must not be after published_to")
    if cursor is None:
        return None
    try:
        position = Cursor.decode(cursor)
    except InvalidCursor as exc:
        raise InvalidParameter(["query", "cursor"], str(exc)) from exc
    if position.sort is not sort:
        raise InvalidParameter(["query", "cursor"], f"cursor was issued for sort={position.sort}")
    return position

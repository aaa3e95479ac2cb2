"""Opaque keyset cursors for walking a sorted list of articles."""

import base64
import binascii
import enum
import json
from dataclasses import dataclass
from datetime import datetime

from app.errors import InvalidParameter


class SortOrder(enum.StrEnum):
    newest = "newest"
    oldest = "oldest"


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
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            payload = json.loads(raw)
            published = payload["p"]
            cursor = cls(
                sort=SortOrder(payload["s"]),
                published_at=datetime.fromisoformat(published) if published else None,
                id=int(payload["i"]),
            )
        except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise InvalidCursor("cursor is not valid; pass back a `next` value unchanged") from exc
        if cursor.published_at is not None and cursor.published_at.tzinfo is None:
            raise InvalidCursor("cursor is not valid; pass back a `next` value unchanged")
        return cursor


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

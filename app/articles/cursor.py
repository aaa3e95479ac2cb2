"""Opaque keyset cursors for walking a sorted list of articles."""

import base64
import binascii
import enum
import json
from dataclasses import dataclass
from datetime import datetime


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

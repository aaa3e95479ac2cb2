"""The api_keys table; `Scope` (app.auth.scopes) is re-exported for existing imports."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.auth.scopes import Scope as Scope
from app.db import UTCDateTime, utcnow


class ApiKey(SQLModel, table=True):
    """A key's public id, the SHA-256 of the whole key, and its life cycle; never the key."""

    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    key_id: str = Field(sa_column=sa.Column(sa.String(32), nullable=False, unique=True))
    key_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False, unique=True))
    scope: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    expires_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    last_used_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    revoked_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))

    def allows(self, needed: Scope) -> bool:
        return Scope(self.scope).allows(needed)

    def is_active(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at

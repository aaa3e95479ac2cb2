"""Create, check, list and revoke API keys.

A key reads `na_<key id>_<secret>`. The key id is public (it appears in listings and logs and
finds the row); the secret is 32 random bytes. Only the SHA-256 of the whole key is stored.
A fast hash is enough here: slow password hashes exist to make guessing low-entropy
passwords expensive, but guessing a 256-bit random secret is already out of reach, and a
fast hash keeps checking a key on every request cheap.
"""

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from app.auth.models import ApiKey, Scope
from app.db import utcnow
from app.errors import Conflict, NotFound, Unauthorized

KEY_PREFIX = "na_"
#: last_used_at is written at most this often per key, so reads do not turn into writes.
TOUCH_INTERVAL = timedelta(minutes=1)

_KEY_ID_BYTES = 6
_SECRET_BYTES = 32
_KEY_SHAPE = re.compile(r"^na_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class CreatedKey:
    """A freshly made key: the stored row and the plaintext, which exists only here."""

    record: ApiKey
    plaintext: str


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def key_id_of(plaintext: str) -> str | None:
    """The public key id of a well-formed key, or None; does not check the key is real."""
    match = _KEY_SHAPE.match(plaintext)
    return match.group(1) if match else None


def _new_plaintext() -> tuple[str, str]:
    key_id = secrets.token_hex(_KEY_ID_BYTES)
    return key_id, f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(_SECRET_BYTES)}"


def create(
    *,
    session: Session,
    name: str,
    scope: Scope,
    expires_in: timedelta | None = None,
    now: datetime | None = None,
) -> CreatedKey:
    name = name.strip()
    if not name:
        raise ValueError("a key needs a name")
    now = now or utcnow()
    key_id, plaintext = _new_plaintext()
    record = ApiKey(
        key_id=key_id,
        key_hash=hash_key(plaintext),
        name=name,
        scope=scope.value,
        created_at=now,
        expires_at=now + expires_in if expires_in is not None else None,
    )
    session.add(record)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(f"A key named {name!r} already exists.") from exc
    return CreatedKey(record=record, plaintext=plaintext)


def authenticate(*, session: Session, plaintext: str, now: datetime | None = None) -> ApiKey:
    """The active key matching `plaintext`, with last_used_at refreshed; else Unauthorized."""
    now = now or utcnow()
    key_id = key_id_of(plaintext)
    record = None
    if key_id is not None:
        record = session.exec(select(ApiKey).where(ApiKey.key_id == key_id)).first()
    if record is None or not hmac.compare_digest(record.key_hash, hash_key(plaintext)):
        raise Unauthorized("The API key is not valid.", headers=challenge("invalid_token"))
    if record.revoked_at is not None:
        raise Unauthorized("The API key has been revoked.", headers=challenge("invalid_token"))
    if not record.is_active(now):
        raise Unauthorized("The API key has expired.", headers=challenge("invalid_token"))
    _touch(session, record, now)
    return record


def _touch(session: Session, record: ApiKey, now: datetime) -> None:
    cutoff = now - TOUCH_INTERVAL
    if record.last_used_at is not None and record.last_used_at > cutoff:
        return
    # Conditional, so concurrent requests with one key write the row once, not each.
    session.execute(
        sa.update(ApiKey)
        .where(col(ApiKey.id) == record.id)
        .where(or_(col(ApiKey.last_used_at).is_(None), col(ApiKey.last_used_at) <= cutoff))
        .values(last_used_at=now)
    )
    session.commit()
    record.last_used_at = now


def challenge(error: str | None = None) -> dict[str, str]:
    """The WWW-Authenticate header of a 401 (RFC 6750); `error` only when a key was sent."""
    value = 'Bearer realm="newsarchive"'
    if error:
        value += f', error="{error}"'
    return {"WWW-Authenticate": value}


def list_keys(*, session: Session) -> Sequence[ApiKey]:
    return session.exec(select(ApiKey).order_by(col(ApiKey.id))).all()


def get_by_id_or_name(*, session: Session, ident: str) -> ApiKey:
    record = session.exec(select(ApiKey).where(ApiKey.key_id == ident)).first()
    if record is None:
        record = session.exec(select(ApiKey).where(ApiKey.name == ident)).first()
    if record is None:
        raise NotFound(f"No API key with id or name {ident!r}.")
    return record


def revoke(*, session: Session, record: ApiKey, now: datetime | None = None) -> ApiKey:
    """Mark a key revoked (idempotent: the first revocation time is kept)."""
    if record.revoked_at is None:
        record.revoked_at = now or utcnow()
        session.add(record)
        session.commit()
    return record

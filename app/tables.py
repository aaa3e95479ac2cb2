"""Imports every table so `SQLModel.metadata` is complete (for migrations and drift checks)."""

from sqlmodel import SQLModel

from app.articles.models import Article
from app.auth.models import ApiKey
from app.search.outbox import OutboxEntry, SyncState

metadata = SQLModel.metadata

__all__ = ["ApiKey", "Article", "OutboxEntry", "SyncState", "metadata"]

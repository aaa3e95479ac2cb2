"""Imports every table so `SQLModel.metadata` is complete (for migrations and drift checks)."""

from sqlmodel import SQLModel

from app.articles.models import Article
from app.search.outbox import OutboxEntry, SyncState

metadata = SQLModel.metadata

__all__ = ["Article", "OutboxEntry", "SyncState", "metadata"]

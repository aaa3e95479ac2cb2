"""Imports every table so `SQLModel.metadata` is complete (for migrations and drift checks)."""

from sqlmodel import SQLModel

from app.alerts.models import AlertMatch, AlertQueueEntry, DeliveryAttempt, SavedSearch
from app.articles.models import Article
from app.articles.revisions import ArticleRevision
from app.auth.models import ApiKey
from app.embeddings.models import ArticleEmbedding, EmbeddingQueueEntry
from app.entities.models import (
    ArticleEntityLink,
    Entity,
    EntityAlias,
    EntityAuditEntry,
    EntityBlockedForm,
    EntityDistinctPair,
    EntityMerge,
    EntityRedirect,
    EntitySurfaceForm,
    EntityTypeVote,
)
from app.outbox import OutboxEntry, SyncState
from app.stories.models import StoryBand

metadata = SQLModel.metadata

__all__ = [
    "AlertMatch",
    "AlertQueueEntry",
    "ApiKey",
    "Article",
    "ArticleEmbedding",
    "ArticleEntityLink",
    "ArticleRevision",
    "DeliveryAttempt",
    "EmbeddingQueueEntry",
    "Entity",
    "EntityAlias",
    "EntityAuditEntry",
    "EntityBlockedForm",
    "EntityDistinctPair",
    "EntityMerge",
    "EntityRedirect",
    "EntitySurfaceForm",
    "EntityTypeVote",
    "OutboxEntry",
    "SavedSearch",
    "StoryBand",
    "SyncState",
    "metadata",
]

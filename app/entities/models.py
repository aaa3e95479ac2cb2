"""Entity tables: one row per real thing, the names it goes by, and the articles naming it."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow

SLUG_MAX_CHARS = 200
NAME_MAX_CHARS = 500


class Entity(SQLModel, table=True):
    __tablename__ = "entities"
    __table_args__ = (
        sa.UniqueConstraint("slug", name="uq_entities_slug"),
        sa.Index("ix_entities_type", "type"),
        sa.Index("ix_entities_within_id", "within_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_column=sa.Column(sa.String(SLUG_MAX_CHARS), nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(NAME_MAX_CHARS), nullable=False))
    type: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    #: The place containing this one (a city's or state's country).
    within_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("entities.id", ondelete="SET NULL", name="fk_entities_within_id"),
        ),
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )


class EntityAlias(SQLModel, table=True):
    """Another name of an entity. A normalised name belongs to at most one entity."""

    __tablename__ = "entity_aliases"
    __table_args__ = (
        sa.UniqueConstraint("normalised", name="uq_entity_aliases_normalised"),
        sa.Index("ix_entity_aliases_entity_id", "entity_id"),
        # Autocomplete is a prefix LIKE; PostgreSQL only uses a btree for it with this opclass
        # when the database collation is not C.
        sa.Index(
            "ix_entity_aliases_normalised_prefix",
            "normalised",
            postgresql_ops={"normalised": "varchar_pattern_ops"},
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("entities.id", ondelete="CASCADE", name="fk_entity_aliases_entity_id"),
            nullable=False,
        )
    )
    alias: str = Field(sa_column=sa.Column(sa.String(NAME_MAX_CHARS), nullable=False))
    normalised: str = Field(sa_column=sa.Column(sa.String(NAME_MAX_CHARS), nullable=False))


class EntityRedirect(SQLModel, table=True):
    """The slug of an entity merged into another, so later articles naming it link to the
    survivor instead of bringing the merged entity back."""

    __tablename__ = "entity_redirects"
    __table_args__ = (sa.Index("ix_entity_redirects_entity_id", "entity_id"),)

    slug: str = Field(sa_column=sa.Column(sa.String(SLUG_MAX_CHARS), primary_key=True))
    entity_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("entities.id", ondelete="CASCADE", name="fk_entity_redirects_entity_id"),
            nullable=False,
        )
    )


class ArticleEntityLink(SQLModel, table=True):
    """An entity named in an article. `published_at` repeats the article's so one index
    walks an entity's articles in date order."""

    __tablename__ = "article_entities"
    __table_args__ = (
        sa.Index("ix_article_entities_entity_published", "entity_id", "published_at", "article_id"),
    )

    article_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE", name="fk_article_entities_article_id"),
            primary_key=True,
        )
    )
    entity_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("entities.id", ondelete="CASCADE", name="fk_article_entities_entity_id"),
            primary_key=True,
        )
    )
    mentions: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    first_position: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    #: "client" (named in the payload) or "extracted".
    source: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    published_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))

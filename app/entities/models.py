"""Entity tables: one row per real thing, the names it goes by, and the articles naming it."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import JSONType, UTCDateTime, utcnow

SLUG_MAX_CHARS = 200
NAME_MAX_CHARS = 500


class Entity(SQLModel, table=True):
    __tablename__ = "entities"
    __table_args__ = (
        sa.UniqueConstraint("slug", name="uq_entities_slug"),
        sa.Index("ix_entities_type", "type"),
        sa.Index("ix_entities_within_id", "within_id"),
        # Person-name variants are found by slug prefix ("joe-..."); PostgreSQL uses a btree
        # for a prefix LIKE only with this opclass when the database collation is not C.
        sa.Index("ix_entities_slug_prefix", "slug", postgresql_ops={"slug": "varchar_pattern_ops"}),
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
    #: "evidence" or "operator" (TYPE_FROM_*).
    type_source: str = Field(
        default="evidence",
        sa_column=sa.Column(sa.String(16), nullable=False, server_default="evidence"),
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


#: How an entity's type was decided: by the evidence of every article naming it, by knowledge
#: (a known country or body), or by an operator, whom evidence never overrules.
TYPE_FROM_EVIDENCE = "evidence"
TYPE_FROM_OPERATOR = "operator"


class EntitySurfaceForm(SQLModel, table=True):
    """A way articles name an entity ("Obama", "FBI"), with how many articles used it and in
    how many of those the article itself said what it stood for (its full name was there too).
    The in-context counts are the archive's evidence for resolving the form elsewhere."""

    __tablename__ = "entity_surface_forms"
    __table_args__ = (sa.Index("ix_entity_surface_forms_normalised", "normalised"),)

    entity_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("entities.id", ondelete="CASCADE", name="fk_entity_surface_forms_entity"),
            primary_key=True,
        )
    )
    normalised: str = Field(sa_column=sa.Column(sa.String(NAME_MAX_CHARS), primary_key=True))
    form: str = Field(sa_column=sa.Column(sa.String(NAME_MAX_CHARS), nullable=False))
    articles: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    in_context: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))


class EntityTypeVote(SQLModel, table=True):
    """Articles whose text made the entity this type: the evidence behind its type."""

    __tablename__ = "entity_type_votes"

    entity_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("entities.id", ondelete="CASCADE", name="fk_entity_type_votes_entity"),
            primary_key=True,
        )
    )
    type: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    articles: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))


class EntityMerge(SQLModel, table=True):
    """One entity folded into another, automatically or by an operator, with what it took to
    undo it: the merged entity's row and every link, alias, form and redirect that moved."""

    __tablename__ = "entity_merges"
    __table_args__ = (
        sa.Index("ix_entity_merges_into_slug", "into_slug"),
        sa.Index("ix_entity_merges_merged_slug", "merged_slug"),
    )

    id: int | None = Field(default=None, primary_key=True)
    into_slug: str = Field(sa_column=sa.Column(sa.String(SLUG_MAX_CHARS), nullable=False))
    merged_slug: str = Field(sa_column=sa.Column(sa.String(SLUG_MAX_CHARS), nullable=False))
    merged_name: str = Field(sa_column=sa.Column(sa.String(NAME_MAX_CHARS), nullable=False))
    automatic: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))
    evidence: dict[str, Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    undo: dict[str, Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    actor: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(2000)))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    undone_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    undone_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(200)))


class EntityBlockedForm(SQLModel, table=True):
    """A name that never becomes an entity of its own ("State", a byline, page debris)."""

    __tablename__ = "entity_blocked_forms"

    normalised: str = Field(sa_column=sa.Column(sa.String(NAME_MAX_CHARS), primary_key=True))
    form: str = Field(sa_column=sa.Column(sa.String(NAME_MAX_CHARS), nullable=False))
    actor: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(2000)))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )


class EntityDistinctPair(SQLModel, table=True):
    """Two entities an operator (or an undone merge) said are different things: never merged
    automatically. Kept by slug, which survives merges through redirects; `first` < `second`."""

    __tablename__ = "entity_distinct_pairs"

    first: str = Field(sa_column=sa.Column(sa.String(SLUG_MAX_CHARS), primary_key=True))
    second: str = Field(sa_column=sa.Column(sa.String(SLUG_MAX_CHARS), primary_key=True))
    actor: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(2000)))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )


class EntityAuditEntry(SQLModel, table=True):
    """Who changed which entity, when, how and why: every curation and automatic merge."""

    __tablename__ = "entity_audit"
    __table_args__ = (sa.Index("ix_entity_audit_entity_slug", "entity_slug"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False))
    actor: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    action: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    entity_slug: str = Field(sa_column=sa.Column(sa.String(SLUG_MAX_CHARS), nullable=False))
    other_slug: str | None = Field(default=None, sa_column=sa.Column(sa.String(SLUG_MAX_CHARS)))
    detail: dict[str, Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.String(2000)))

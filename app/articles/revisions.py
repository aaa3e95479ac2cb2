"""Revision history: the previous versions of an article whose content changed.

An update (an upsert by url or external_id, PUT or PATCH) that changes what a reader sees
(title, summary, body, publication date and its source, modification date, url, authors)
first copies the version it replaces
into `article_revisions`, in the same transaction. Revisions are numbered from 1 per article;
the current version is the article itself. Deleting an article deletes its history (the
foreign key cascades).
"""

from __future__ import annotations

import difflib
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, select

from app.articles.models import Article
from app.db import JSONType, UTCDateTime, utcnow
from app.errors import NotFound

#: The fields whose change makes a revision (tags, section and entities do not).
REVISED_FIELDS = (
    "title",
    "summary",
    "body",
    "published_at",
    "published_at_source",
    "modified_at",
    "url",
    "authors",
)


class ArticleRevision(SQLModel, table=True):
    """A version of an article as it was until `replaced_at`."""

    __tablename__ = "article_revisions"
    __table_args__ = (sa.UniqueConstraint("article_id", "number", name="uq_article_revisions"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("articles.id", ondelete="CASCADE", name="fk_article_revisions_article"),
            nullable=False,
            index=True,
        )
    )
    number: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    title: str = Field(sa_column=sa.Column(sa.String(1000), nullable=False))
    summary: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    url: str | None = Field(default=None, sa_column=sa.Column(sa.String(2048)))
    authors: list[str] = Field(default_factory=list, sa_column=sa.Column(JSONType, nullable=False))
    published_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    published_at_source: str | None = Field(default=None, sa_column=sa.Column(sa.String(16)))
    modified_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    #: When this version was first stored (the article's updated_at then).
    stored_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    #: When the next version replaced it.
    replaced_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    #: The fields the next version changed.
    changed: list[str] = Field(default_factory=list, sa_column=sa.Column(JSONType, nullable=False))


def changed_fields(article: Article, values: dict[str, Any]) -> list[str]:
    return [
        name for name in REVISED_FIELDS if name in values and getattr(article, name) != values[name]
    ]


def keep_previous(session: Session, article: Article, changed: list[str]) -> None:
    """Store the article as it is now as its newest revision (call before changing it)."""
    assert article.id is not None
    # The number is taken by the INSERT itself, which the flush runs after the article's
    # UPDATE: under that write's lock (PostgreSQL's row lock, SQLite's write lock), so a
    # writer that read the article before another one stored a revision numbers after it.
    next_number = (
        select(sa.func.coalesce(sa.func.max(ArticleRevision.number), 0) + 1)
        .where(col(ArticleRevision.article_id) == article.id)
        .scalar_subquery()
    )
    revision = ArticleRevision(
        article_id=article.id,
        number=0,
        title=article.title,
        summary=article.summary,
        body=article.body,
        url=article.url,
        authors=list(article.authors),
        published_at=article.published_at,
        published_at_source=article.published_at_source,
        modified_at=article.modified_at,
        stored_at=article.updated_at,
        replaced_at=utcnow(),
        changed=changed,
    )
    # A SQL expression the INSERT evaluates, where the model types the stored value.
    revision.number = next_number  # type: ignore[assignment]
    session.add(revision)


def list_revisions(session: Session, article_id: int) -> list[ArticleRevision]:
    return list(
        session.exec(
            select(ArticleRevision)
            .where(col(ArticleRevision.article_id) == article_id)
            .order_by(col(ArticleRevision.number).desc())
        ).all()
    )


#: The largest number the `number` column holds (a 32-bit integer on PostgreSQL).
MAX_REVISION_NUMBER = 2**31 - 1


def get_revision(session: Session, article: Article, number: int) -> tuple[ArticleRevision, Any]:
    """Revision `number` and the version that replaced it (a later revision or the article)."""
    # The last number the column holds has no successor to look for (PostgreSQL would
    # refuse the comparison with a number past its integer type).
    wanted = [number, number + 1] if number < MAX_REVISION_NUMBER else [number]
    found = session.exec(
        select(ArticleRevision).where(
            col(ArticleRevision.article_id) == article.id,
            col(ArticleRevision.number).in_(wanted),
        )
    ).all()
    by_number = {revision.number: revision for revision in found}
    if number not in by_number:
        raise NotFound(f"Article {article.id} has no revision {number}.")
    return by_number[number], by_number.get(number + 1, article)


def body_diff(before: str, after: str, *, number: int, to_name: str) -> str:
    """A unified diff of two bodies, a line per paragraph."""
    lines = difflib.unified_diff(
        before.splitlines(),
        after.splitlines(),
        fromfile=f"revision {number}",
        tofile=to_name,
        lineterm="",
    )
    return "".join(line + "\n" for line in lines)

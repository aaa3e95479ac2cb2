"""Match newly indexed articles against every active saved search.

Each saved search becomes its /search query (the same `plan()`, so the same validation,
entity resolution and filters) plus a filter on the new articles' ids, and all of them go to
Meilisearch in a few multi-search requests: the cost grows with new articles × saved
searches, never with the size of the archive. A search is asked only about articles stored
after it was created; an article matches a search at most once (a unique pair in
`alert_matches`), however often it is edited and re-indexed, across restarts and workers.
The matches, their deliveries and the removal of the queue entries are one transaction.
"""

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from meilisearch.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchTimeoutError,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.alerts import queue
from app.alerts.models import AlertMatch, DeliveryStatus, SavedSearch
from app.articles.models import Article
from app.db import utcnow
from app.errors import ApiError
from app.search import service as search_service
from app.search.client import SearchClient
from app.search.schemas import SearchParams

logger = logging.getLogger(__name__)

#: New article ids per query: the filter stays short and every hit fits one page.
IDS_PER_QUERY = 100
#: Queries per multi-search request.
QUERIES_PER_REQUEST = 200
#: Matches per INSERT statement (SQLite caps the parameters of one statement).
INSERT_ROWS = 500

#: Resolves entity values for a saved search's plan, inside one matching round.
EntityResolver = Callable[[Session, Sequence[str]], tuple[list[str], list[str]]]


class MeilisearchUnavailable(Exception):
    """Meilisearch could not answer; the claimed articles go back to the queue."""


@dataclass(frozen=True)
class NewArticle:
    id: int
    created_at: Any
    title: str
    url: str | None
    source: str | None
    published_at: Any


@dataclass
class _Query:
    search: SavedSearch
    body: dict[str, Any]
    filters: dict[str, Any]
    pre_tag: str
    post_tag: str


def _no_entities(_session: Session, values: Sequence[str]) -> tuple[list[str], list[str]]:
    return list(values), []


def why(document: dict[str, Any], query: _Query) -> dict[str, Any]:
    """Why a hit matched: the highlighted fields that hold a match, the words matched, where,
    and the filters it passed."""
    formatted = document.get("_formatted") or {}
    highlights = {
        name: formatted[name]
        for name in search_service.HIGHLIGHTED
        if isinstance(formatted.get(name), str) and query.pre_tag in formatted[name]
    }
    pattern = re.compile(re.escape(query.pre_tag) + "(.*?)" + re.escape(query.post_tag), re.S)
    terms: dict[str, None] = {}
    for text in highlights.values():
        for term in pattern.findall(text):
            if term.strip():
                terms.setdefault(term.strip().lower())
    return {
        "terms": list(terms),
        "highlights": highlights,
        "matches_position": document.get("_matchesPosition") or {},
        "filters": query.filters,
    }


class Matcher:
    def __init__(
        self,
        *,
        engine: Engine,
        client: SearchClient,
        index_uid: str,
        batch_size: int = 500,
        resolve_entities: EntityResolver = _no_entities,
    ) -> None:
        self.engine = engine
        self.client = client
        self.index_uid = index_uid
        self.batch_size = batch_size
        self.resolve_entities = resolve_entities

    def run_once(self) -> tuple[int, int]:
        """Match one claimed batch of the queue; return (articles taken, matches stored).

        Raises MeilisearchUnavailable (the batch is released untouched).
        """
        entries = queue.claim(self.engine, self.batch_size)
        if not entries:
            return 0, 0
        try:
            rows = self._match(sorted({e.article_id for e in entries}))
        except MeilisearchUnavailable:
            queue.release(self.engine, entries)
            raise
        with Session(self.engine) as session:
            stored = _store(session, rows)
            queue.delete(session, entries)
            session.commit()
        if rows:
            logger.info(
                "saved searches matched",
                extra={"articles": len(entries), "matches": stored},
            )
        return len(entries), stored

    def _match(self, article_ids: Sequence[int]) -> list[dict[str, Any]]:
        with Session(self.engine) as session:
            columns = [
                col(Article.id),
                col(Article.created_at),
                col(Article.title),
                col(Article.url),
                col(Article.source),
                col(Article.published_at),
            ]
            found = session.execute(
                sa.select(*columns).where(col(Article.id).in_(article_ids))
            ).all()
            articles = {row[0]: NewArticle(*row) for row in found}
            if not articles:
                return []
            searches = session.exec(
                select(SavedSearch)
                .where(col(SavedSearch.active).is_(True))
                .order_by(col(SavedSearch.id))
            ).all()
            queries = list(self._queries(session, searches, list(articles.values())))
        rows: list[dict[str, Any]] = []
        now = utcnow()
        for query, result in self._run(queries):
            for document in result.get("hits", []):
                article = articles.get(document.get("id"))
                if article is None:
                    continue
                rows.append(_match_row(query, article, why(document, query), now))
        return rows

    def _queries(
        self, session: Session, searches: Sequence[SavedSearch], articles: list[NewArticle]
    ) -> Iterator[_Query]:
        cache: dict[str, tuple[list[str], list[str]]] = {}

        def resolver(values: Sequence[str]) -> tuple[list[str], list[str]]:
            slugs: list[str] = []
            warnings: list[str] = []
            for value in values:
                if value not in cache:
                    cache[value] = self.resolve_entities(session, [value])
                found, said = cache[value]
                slugs += found
                warnings += said
            return slugs, warnings

        for search in searches:
            newer = [a.id for a in articles if a.created_at >= search.created_at]
            if not newer:
                continue
            try:
                params = SearchParams.model_validate(
                    {**search.params, "highlight": True, "page": 1, "per_page": 1}
                )
                search_plan = search_service.plan(
                    index_uid=self.index_uid, params=params, resolve_entities=resolver
                )
            except (ApiError, ValueError) as exc:
                # A search stored under older rules: skipped, not blocking everyone else's.
                logger.warning(
                    "saved search no longer plans",
                    extra={"saved_search_id": search.id, "error": str(exc)},
                )
                continue
            base = search_plan.queries[0]
            filters = search_service.finish(search_plan, [{"hits": [], "totalHits": 0}])
            for start in range(0, len(newer), IDS_PER_QUERY):
                chunk = newer[start : start + IDS_PER_QUERY]
                body = {
                    key: value
                    for key, value in base.items()
                    if key not in ("sort", "facets", "page", "hitsPerPage")
                }
                # Ids are integers from our own database: safe in a filter as they are.
                id_clause = f"id IN [{', '.join(str(i) for i in chunk)}]"
                body |= {
                    "filter": [*base["filter"], id_clause],
                    "attributesToRetrieve": ["id"],
                    "limit": len(chunk),
                    "offset": 0,
                }
                yield _Query(
                    search=search,
                    body=body,
                    filters=filters["query"]["filters"],
                    pre_tag=params.highlight_pre_tag,
                    post_tag=params.highlight_post_tag,
                )

    def _run(self, queries: list[_Query]) -> Iterator[tuple[_Query, dict[str, Any]]]:
        for start in range(0, len(queries), QUERIES_PER_REQUEST):
            group = queries[start : start + QUERIES_PER_REQUEST]
            try:
                results = self._multi_search([q.body for q in group])
            except MeilisearchApiError:
                # One bad query fails the request: ask one at a time, skipping the bad ones.
                yield from self._one_by_one(group)
                continue
            yield from zip(group, results, strict=True)

    def _one_by_one(self, group: list[_Query]) -> Iterator[tuple[_Query, dict[str, Any]]]:
        for query in group:
            try:
                [result] = self._multi_search([query.body])
            except MeilisearchApiError as exc:
                logger.warning(
                    "saved search query refused by meilisearch",
                    extra={"saved_search_id": query.search.id, "error_code": exc.code},
                )
                continue
            yield query, result

    def _multi_search(self, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            results: list[dict[str, Any]] = self.client.multi_search(bodies)["results"]
        except (MeilisearchCommunicationError, MeilisearchTimeoutError) as exc:
            raise MeilisearchUnavailable(str(exc)) from exc
        except MeilisearchApiError as exc:
            if exc.code in search_service.SETTINGS_NOT_APPLIED or exc.code == "index_not_found":
                # The index is being (re)built: nothing to learn until it is back.
                raise MeilisearchUnavailable(exc.code or "") from exc
            raise
        return results


def _match_row(
    query: _Query, article: NewArticle, reason: dict[str, Any], now: Any
) -> dict[str, Any]:
    has_webhook = query.search.webhook_url is not None
    return {
        "saved_search_id": query.search.id,
        "article_id": article.id,
        "matched_at": now,
        "title": article.title,
        "url": article.url,
        "source": article.source,
        "published_at": article.published_at,
        "why": reason,
        "delivery_status": DeliveryStatus.pending.value if has_webhook else None,
        "attempts": 0,
        "next_attempt_at": now if has_webhook else None,
    }


def _store(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert the matches, leaving out pairs already stored (by another worker, or before
    the article was edited and indexed again); return how many are new."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stored = 0
    for start in range(0, len(rows), INSERT_ROWS):
        statement = (
            insert(AlertMatch)
            .values(rows[start : start + INSERT_ROWS])
            .on_conflict_do_nothing(index_elements=["saved_search_id", "article_id"])
            .returning(col(AlertMatch.id))
        )
        # rowcount is not reliable for a multi-row INSERT on every driver; returned ids are.
        stored += len(session.execute(statement).all())
    return stored


def drain(matcher: Matcher) -> int:
    """Match until the queue is empty (tests, `newsarchive alerts run --once`); return the
    number of matches stored."""
    stored = 0
    while True:
        taken, new = matcher.run_once()
        stored += new
        if taken == 0:
            return stored


def pending_articles(engine: Engine) -> int:
    return queue.waiting(engine)

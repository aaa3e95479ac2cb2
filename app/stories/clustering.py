"""Near-duplicate story clusters, kept up to date as articles are written.

An article joins the cluster of any stored article whose text is nearly the same: MinHash
band keys (app/stories/minhash.py) find the candidates in one indexed look-up of the band
store, and each candidate is verified on the exact Jaccard similarity of the two texts' word
shingles (recomputed from the stored text, so no estimate decides), then on what differs
(app/stories/verify.py: two bulletins of one template, different names and figures, are two
stories; so are two texts of one source that are not versions of each other, such as a
follow-up and the story it follows, or whose headlines each name a subject the other lacks,
or a next report that keeps the first one's opening with another day or other figures, or
a flash sent again a day later, app/stories/reports.py). A candidate counts only if its
cluster's first publication is within the window of the new article's date (both dated), and
its cluster only if no member compared and not the cluster's first member is another report of
the new article's template or source (a chain of copies must not join two reports). When the
new article verifies against members of several clusters, it joins the one it is most like,
merged with those whose first publications are within the window of that one's and whose
first members are not two reports of one template or source with its first member, under the
oldest cluster id. A cluster's id is the id of the article that started it; an article alone
has its own id and size 1. Articles stored before clustering existed, or while it was off,
have no cluster until `newsarchive clusters rebuild`.

The cost per article is bounded: at most PER_KEY rows per band key (the newest), at most
MAX_CANDIDATES candidates ranked by shared bands, at most MAX_VERIFIED of them verified (at
most MEMBERS_COMPARED per cluster), their texts (and sources) read in one query per batch,
and the first member of each cluster matched. Members whose `cluster_size` (or cluster) changed are queued for re-indexing in the
same transaction.

Clusters are not split when a member leaves (edited or deleted); `clusters rebuild` recomputes
them from scratch. Two near-duplicates written at the same moment by two transactions do not
see each other's band rows and stay apart until a rebuild.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app import outbox
from app.articles.models import Article
from app.config import Settings, get_settings
from app.stories.minhash import Fingerprint, Hashes, jaccard
from app.stories.models import StoryBand
from app.stories.reports import Report, next_report, repeated_flash
from app.stories.verify import (
    CONFLICT_FLOOR,
    NEAR_IDENTICAL,
    BodyShingles,
    Headline,
    body_tokens,
    conflicting,
    later_report,
    one_source,
    same_story,
    subjects_apart,
)

ARTICLES: sa.Table = Article.__table__  # type: ignore[attr-defined]
BANDS: sa.Table = StoryBand.__table__  # type: ignore[attr-defined]
OUTBOX: sa.Table = outbox.OutboxEntry.__table__  # type: ignore[attr-defined]
#: What a stored article's profile is made of.
_PROFILE_COLUMNS = (
    ARTICLES.c.title,
    ARTICLES.c.summary,
    ARTICLES.c.body,
    ARTICLES.c.source,
    ARTICLES.c.published_at,
)

#: Values in one IN (...) list.
SLICE = 500
#: Articles read per band key, newest first.
PER_KEY = 20
#: Band keys looked up per query (SQLite allows 500 terms in a compound SELECT).
KEYS_PER_QUERY = 200
#: Bands a candidate must share: two texts with Jaccard similarity 0.3 share fewer than two of
#: the 64 bands 1.8 % of the time (0.3 % at 0.35), one at 0.1 in 13 does.
MIN_SHARED_BANDS = 2
#: Candidates taken from the band store per article, most shared bands first.
MAX_CANDIDATES = 50
#: Candidates whose text is compared per article.
MAX_VERIFIED = 10
#: Candidates of one cluster compared per article: one to match, the others to find a
#: member that is another report of the template (besides the cluster's first member).
MEMBERS_COMPARED = 3


@dataclass(frozen=True)
class ClusterConfig:
    enabled: bool = True
    #: Least Jaccard similarity of the two texts' word 3-shingles for two articles to be one story.
    similarity: float = 0.3
    #: Most time between an article and its cluster's first publication; None: no limit.
    window: timedelta | None = timedelta(days=7)

    @classmethod
    def from_settings(cls, settings: Settings) -> ClusterConfig:
        days = settings.CLUSTER_WINDOW_DAYS
        return cls(
            enabled=settings.CLUSTERING_ENABLED,
            similarity=settings.CLUSTER_SIMILARITY,
            window=timedelta(days=days) if days > 0 else None,
        )


def current_config() -> ClusterConfig:
    return ClusterConfig.from_settings(get_settings())


@dataclass(frozen=True)
class StoryText:
    """The part of an article clustering reads."""

    article_id: int
    title: str
    summary: str | None
    body: str
    published_at: datetime | None
    #: As stored: two texts of one source are told apart by more checks.
    source: str | None


@dataclass(frozen=True)
class _Profile:
    """What verifying a pair compares: shingle hashes, then, only for a pair over the
    similarity threshold, body tokens, and the body's shingles for two texts of one source
    (most articles and candidates never need them)."""

    hashes: Hashes
    body: str
    source: str | None
    title: str = ""
    published_at: datetime | None = None

    @functools.cached_property
    def tokens(self) -> Counter[str]:
        return body_tokens(self.body)

    @functools.cached_property
    def shingles(self) -> BodyShingles:
        return BodyShingles.of(self.body)

    @functools.cached_property
    def headline(self) -> Headline:
        return Headline.of(self.title, self.body)

    @functools.cached_property
    def report(self) -> Report:
        return Report.of(self.body, self.published_at, self.title)

    @classmethod
    def of(cls, row: sa.Row[Any]) -> _Profile:
        """From a row of title, summary, body, source and published_at."""
        return cls(
            Fingerprint.of(row.title, row.summary, row.body).hashes,
            row.body,
            row.source,
            row.title,
            _aware(row.published_at),
        )


@dataclass
class _Known:
    """Clusters and texts met while clustering one batch."""

    cluster_of: dict[int, int] = field(default_factory=dict)
    earliest: dict[int, datetime | None] = field(default_factory=dict)
    published: dict[int, datetime | None] = field(default_factory=dict)
    profiles: dict[int, _Profile] = field(default_factory=dict)


def _slices(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), SLICE):
        yield values[start : start + SLICE]


def assign(
    *,
    session: Session,
    texts: Sequence[StoryText],
    config: ClusterConfig | None = None,
    also_resize: Iterable[int] = (),
    requeue: bool = True,
) -> dict[int, int]:
    """Cluster articles just stored (with no cluster yet), in order; returns their clusters.

    Runs in the caller's transaction. Articles earlier in `texts` are candidates for later
    ones. `also_resize` names clusters that lost a member meanwhile. With `requeue`, other
    articles whose cluster or size changed get an outbox row (the caller queues `texts`).
    """
    config = config or current_config()
    if not config.enabled or not texts:
        return {}
    prints = {
        text.article_id: Fingerprint.of(text.title, text.summary, text.body) for text in texts
    }
    stored = _stored_matches(session, [key for p in prints.values() for key in p.keys])
    known = _Known()
    batch_keys: dict[int, list[int]] = {}
    new_ids = [text.article_id for text in texts]
    votes: dict[int, Counter[int]] = {}
    for text in texts:
        counter: Counter[int] = Counter()
        for key in prints[text.article_id].keys:
            counter.update(stored.get(key, ()))
            counter.update(batch_keys.get(key, ()))
            batch_keys.setdefault(key, []).append(text.article_id)
        counter.pop(text.article_id, None)
        votes[text.article_id] = Counter(
            {
                candidate: shared
                for candidate, shared in counter.items()
                if shared >= MIN_SHARED_BANDS
            }
        )
    wanted = {
        candidate
        for counter in votes.values()
        for candidate, _ in counter.most_common(MAX_CANDIDATES)
    } - set(new_ids)
    _load(session, known, sorted(wanted))
    _prefetch(
        session,
        known,
        {
            candidate
            for counter in votes.values()
            for candidate, _ in counter.most_common(MAX_VERIFIED)
            if candidate in known.cluster_of and candidate not in prints
        },
    )
    merged_away: set[int] = set()
    for text in texts:
        fingerprint = prints[text.article_id]
        known.profiles[text.article_id] = _Profile(
            fingerprint.hashes,
            text.body,
            text.source,
            text.title,
            text.published_at,
        )
        known.published[text.article_id] = text.published_at
        matched = _verified_clusters(session, known, text, votes[text.article_id], config)
        target = text.article_id
        if matched:
            # The story most like the article, and those close to it in time whose first
            # members are not two reports of one template or source: one cluster, the oldest.
            nearest = min(matched, key=lambda cluster: (-matched[cluster], cluster))
            joined = {nearest} | {
                other
                for other in matched
                if other != nearest
                and _within_window(
                    known.earliest.get(other), known.earliest.get(nearest), config.window
                )
                and not _firsts_conflict(session, known, other, nearest)
            }
            target = min(joined)
            for other in sorted(joined - {target}):
                _merge(session, known, other, into=target)
                merged_away.add(other)
        known.cluster_of[text.article_id] = target
        known.earliest[target] = _earlier(known.earliest.get(target), text.published_at)
    session.execute(
        sa.update(ARTICLES)
        .where(ARTICLES.c.id == sa.bindparam("article_id"))
        .values(cluster_id=sa.bindparam("cluster"), cluster_size=None),
        [{"article_id": i, "cluster": known.cluster_of[i]} for i in new_ids],
    )
    bands = [
        {"band_key": key, "article_id": article_id}
        for article_id, fingerprint in prints.items()
        for key in dict.fromkeys(fingerprint.keys)
    ]
    if bands:
        session.execute(sa.insert(BANDS), bands)
    touched = {known.cluster_of[i] for i in new_ids} | merged_away | set(also_resize)
    resize(session=session, clusters=touched, skip=set(new_ids) if requeue else None)
    return {i: known.cluster_of[i] for i in new_ids}


@functools.lru_cache(maxsize=8)
def _newest_per_key(count: int) -> sa.TextClause:
    """One query reading the newest PER_KEY rows of each of `count` band keys: an index range
    scan per key (plain SQL: building the same statement as an expression costs far more
    than running it)."""
    parts = [
        # Only numbers are formatted in; the keys are bound parameters.
        f"SELECT * FROM (SELECT band_key, article_id FROM story_bands "  # noqa: S608
        f"WHERE band_key = :k{n} ORDER BY article_id DESC LIMIT {PER_KEY}) AS s{n}"
        for n in range(count)
    ]
    return sa.text(" UNION ALL ".join(parts))


def _stored_matches(session: Session, keys: list[int]) -> dict[int, list[int]]:
    """Band key -> the newest stored articles holding it (at most PER_KEY each: a bucket
    that templated or boilerplate texts fill stays as cheap to read as any other)."""
    found: dict[int, list[int]] = {}
    unique = sorted(set(keys))
    for start in range(0, len(unique), KEYS_PER_QUERY):
        part = unique[start : start + KEYS_PER_QUERY]
        rows = session.execute(
            _newest_per_key(len(part)), {f"k{n}": key for n, key in enumerate(part)}
        )
        for key, article_id in rows:
            found.setdefault(key, []).append(article_id)
    return found


def _load(session: Session, known: _Known, ids: list[int]) -> None:
    """Clusters and dates of stored candidates, and their clusters' first publication."""
    clusters: set[int] = set()
    for part in _slices(ids):
        rows = session.execute(
            sa.select(ARTICLES.c.id, ARTICLES.c.cluster_id, ARTICLES.c.published_at).where(
                ARTICLES.c.id.in_(part), ARTICLES.c.cluster_id.is_not(None)
            )
        )
        for article_id, cluster_id, published_at in rows:
            known.cluster_of[article_id] = cluster_id
            known.published[article_id] = published_at
            clusters.add(cluster_id)
    ordered = sorted(clusters)
    for part in _slices(ordered):
        rows = session.execute(
            sa.select(ARTICLES.c.cluster_id, sa.func.min(ARTICLES.c.published_at))
            .where(ARTICLES.c.cluster_id.in_(part))
            .group_by(ARTICLES.c.cluster_id)
        )
        for cluster_id, earliest in rows:
            known.earliest[cluster_id] = _aware(earliest)


def _aware(value: datetime | str | None) -> datetime | None:
    # min() of a TypeDecorator column comes back raw (naive, or text on SQLite).
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _earlier(first: datetime | None, second: datetime | None) -> datetime | None:
    if first is None:
        return second
    if second is None:
        return first
    return min(first, second)


def _within_window(
    published_at: datetime | None, earliest: datetime | None, window: timedelta | None
) -> bool:
    if window is None or published_at is None or earliest is None:
        return True
    return abs(published_at - earliest) <= window


def _verified_clusters(
    session: Session,
    known: _Known,
    text: StoryText,
    votes: Counter[int],
    config: ClusterConfig,
) -> dict[int, float]:
    """The clusters `text` is the same story as (app/stories/verify.py), each with the highest
    similarity of a member that matched: one of its members compared is, and none of them (up
    to MEMBERS_COMPARED of each cluster) nor the cluster's first member is another report of
    its template or of its source (`_apart`). Checking only the member that matched would let
    a chain join two reports: A like B, B like C, A and C two days' bulletins."""
    own = known.profiles[text.article_id]
    best: dict[int, float] = {}
    refused: set[int] = set()
    per_cluster: Counter[int] = Counter()
    compared = 0
    for candidate, _shared in votes.most_common(MAX_CANDIDATES):
        cluster = known.cluster_of.get(candidate)
        if cluster is None or cluster in refused or per_cluster[cluster] >= MEMBERS_COMPARED:
            continue
        if not _within_window(text.published_at, known.earliest.get(cluster), config.window):
            refused.add(cluster)
            continue
        if compared >= MAX_VERIFIED:
            break
        compared += 1
        per_cluster[cluster] += 1
        other = _profile(session, known, candidate)
        similarity = jaccard(own.hashes, other.hashes)
        if _apart(similarity, own, other):
            refused.add(cluster)
        elif (
            similarity >= config.similarity
            and same_story(similarity, own.tokens, other.tokens, threshold=config.similarity)
            and not _reports_of_one_source(similarity, own, other)
        ):
            best[cluster] = max(best.get(cluster, 0.0), similarity)
    return {
        cluster: similarity
        for cluster, similarity in best.items()
        if cluster not in refused and not _conflicts_with_first(session, known, own, cluster)
    }


def _reports_of_one_source(similarity: float, own: _Profile, other: _Profile) -> bool:
    """Two texts of one source, neither a version of the other: a next bulletin or a
    follow-up (app/stories/verify.py `later_report`), one template's bulletins on two
    subjects their headlines name (`subjects_apart`), or a next report keeping the first
    one's opening with another day or other figures (app/stories/reports.py); and, however
    alike, two flashes filed a day or more apart (`repeated_flash`)."""
    if not one_source(own.source, other.source):
        return False
    if repeated_flash(own.report, other.report):
        return True
    return similarity < NEAR_IDENTICAL and (
        later_report(own.shingles, other.shingles)
        or subjects_apart(own.headline, other.headline)
        or next_report(own.report, other.report)
    )


def _apart(similarity: float, own: _Profile, other: _Profile) -> bool:
    """Two texts that must not share a cluster, however it was reached: two reports of one
    template, or (from the same least likeness, `CONFLICT_FLOOR`) two reports of one source."""
    return conflicting(similarity, own.tokens, other.tokens) or (
        similarity >= CONFLICT_FLOOR and _reports_of_one_source(similarity, own, other)
    )


def _conflicts_with_first(session: Session, known: _Known, own: _Profile, cluster: int) -> bool:
    """Whether the text is another report of the template of the cluster's first member (the
    article whose id the cluster has; none when it has left the cluster)."""
    first = _first_member(session, known, cluster)
    if first is None or first is own:
        return False
    return _apart(jaccard(own.hashes, first.hashes), own, first)


def _first_member(session: Session, known: _Known, cluster: int) -> _Profile | None:
    member_of = known.cluster_of.get(cluster)
    if member_of is not None and member_of != cluster:
        return None
    if member_of == cluster and cluster in known.profiles:
        return known.profiles[cluster]
    row = session.execute(
        sa.select(*_PROFILE_COLUMNS).where(
            ARTICLES.c.id == cluster, ARTICLES.c.cluster_id == cluster
        )
    ).one_or_none()
    if row is None:
        return None
    known.profiles[cluster] = _Profile.of(row)
    known.cluster_of.setdefault(cluster, cluster)
    return known.profiles[cluster]


def _firsts_conflict(session: Session, known: _Known, first: int, second: int) -> bool:
    """Whether the first members of two clusters are two reports of one template (then an
    article like both joins one of them and the two stay apart)."""
    ours, theirs = _first_member(session, known, first), _first_member(session, known, second)
    if ours is None or theirs is None:
        return False
    return _apart(jaccard(ours.hashes, theirs.hashes), ours, theirs)


def _profile(session: Session, known: _Known, article_id: int) -> _Profile:
    if article_id not in known.profiles:
        row = session.execute(sa.select(*_PROFILE_COLUMNS).where(ARTICLES.c.id == article_id)).one()
        known.profiles[article_id] = _Profile.of(row)
    return known.profiles[article_id]


def _prefetch(session: Session, known: _Known, ids: set[int]) -> None:
    """The profiles of the candidates most likely to be compared, in one query."""
    ordered = sorted(ids - known.profiles.keys())
    for part in _slices(ordered):
        rows = session.execute(
            sa.select(ARTICLES.c.id, *_PROFILE_COLUMNS).where(ARTICLES.c.id.in_(part))
        )
        for row in rows:
            known.profiles[row.id] = _Profile.of(row)


def _merge(session: Session, known: _Known, cluster: int, *, into: int) -> None:
    """Move every member of `cluster` into `into` (their size is set again by `resize`)."""
    session.execute(
        sa.update(ARTICLES)
        .where(ARTICLES.c.cluster_id == cluster)
        .values(cluster_id=into, cluster_size=None)
    )
    for article_id, member_of in known.cluster_of.items():
        if member_of == cluster:
            known.cluster_of[article_id] = into
    known.earliest[into] = _earlier(known.earliest.get(into), known.earliest.pop(cluster, None))


def resize(*, session: Session, clusters: Iterable[int], skip: set[int] | None) -> None:
    """Set `cluster_size` on every member of `clusters`; queue the members whose size changed
    for re-indexing (not those in `skip`; none at all when `skip` is None)."""
    ordered = sorted(set(clusters))
    for part in _slices(ordered):
        sizes = dict(
            session.execute(
                sa.select(ARTICLES.c.cluster_id, sa.func.count())
                .where(ARTICLES.c.cluster_id.in_(part))
                .group_by(ARTICLES.c.cluster_id)
            ).all()
        )
        for cluster, size in sizes.items():
            stale = ARTICLES.c.cluster_size.is_distinct_from(size)
            changed = session.execute(
                sa.select(ARTICLES.c.id).where(ARTICLES.c.cluster_id == cluster, stale)
            ).scalars()
            ids = list(changed)
            if not ids:
                continue
            session.execute(
                sa.update(ARTICLES)
                .where(ARTICLES.c.cluster_id == cluster, stale)
                .values(cluster_size=size)
            )
            if skip is not None:
                covered = _queued_unclaimed(session, ids)
                for article_id in ids:
                    if article_id not in skip and article_id not in covered:
                        outbox.enqueue_upsert(session=session, article_id=article_id)


def _queued_unclaimed(session: Session, ids: list[int]) -> set[int]:
    """Articles whose upsert is queued and not yet taken by a worker: it will send their
    state as committed, cluster size included, so another row would only send it twice
    (without this, every copy joining a wire story of n members would queue n rows).
    On PostgreSQL the rows are locked until commit, so a worker claiming them meanwhile
    (FOR UPDATE SKIP LOCKED) passes them over and reads the committed state later; on
    SQLite a worker's claim waits for this transaction's write lock."""
    query = sa.select(OUTBOX.c.article_id).where(
        OUTBOX.c.article_id.in_(ids),
        OUTBOX.c.op == outbox.OutboxOp.upsert.value,
        OUTBOX.c.status == outbox.OutboxStatus.pending.value,
        OUTBOX.c.claimed_by.is_(None),
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return set(session.execute(query).scalars())


def detach(*, session: Session, article_id: int) -> int | None:
    """Take an article out of its cluster and the band store; return the cluster it was in."""
    cluster = session.execute(
        sa.select(ARTICLES.c.cluster_id).where(ARTICLES.c.id == article_id)
    ).scalar()
    session.execute(sa.delete(BANDS).where(BANDS.c.article_id == article_id))
    session.execute(
        sa.update(ARTICLES)
        .where(ARTICLES.c.id == article_id)
        .values(cluster_id=None, cluster_size=None)
    )
    return cluster


def recluster(
    *, session: Session, text: StoryText, config: ClusterConfig | None = None
) -> int | None:
    """After an article's text changed: out of its cluster, then clustered anew."""
    config = config or current_config()
    old = detach(session=session, article_id=text.article_id)
    if not config.enabled:
        if old is not None:
            resize(session=session, clusters=[old], skip={text.article_id})
        return None
    assigned = assign(
        session=session,
        texts=[text],
        config=config,
        also_resize=[old] if old is not None else [],
    )
    return assigned.get(text.article_id)


def remove(*, session: Session, article_id: int) -> None:
    """Before an article is deleted: the rest of its cluster gets its new size."""
    old = detach(session=session, article_id=article_id)
    if old is not None:
        resize(session=session, clusters=[old], skip={article_id})

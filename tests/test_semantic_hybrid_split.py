"""A hybrid search split in two (keyword side while the model runs, then the vector side,
merged in the API: app/search/hybrid_merge.py, app/search/hybrid_split.py) answers exactly
as Meilisearch's own hybrid search, against a real Meilisearch with real vectors from the
bundled model."""

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.embeddings.backfill import embed_and_send
from app.embeddings.worker import EmbedSync
from app.main import create_app
from app.search import hybrid_merge, hybrid_split, semantic, service
from app.search.backend import SearchBackend
from app.search.schemas import Facet, SearchMode, SearchParams
from tests.conftest import auth_headers, sync_index

#: The database is not what is tested here.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

#: Short articles of our own: a few on each of four subjects, so that a query shares words
#: with some and meaning with others.
ARTICLES: list[tuple[str, str, str]] = [
    ("Wire", "Central bank lifts interest rates", "The bank raised its rate to curb inflation."),
    ("Gazette", "Monetary policy tightened again", "Borrowing costs rose as prices kept rising."),
    ("Wire", "Mortgage rates climb to a ten year high", "Home buyers face dearer loans."),
    ("Herald", "Inflation slows for a third month", "Consumer prices rose less than expected."),
    ("Wire", "Cup final ends in penalties", "The football final was decided on penalties."),
    ("Gazette", "Striker signs for city club", "The forward joined on a four year contract."),
    ("Herald", "Tennis champion retires", "The player said goodbye after twenty seasons."),
    ("Wire", "Wheat harvest beats forecasts", "Farmers brought in a record grain crop."),
    ("Gazette", "Drought hurts maize growers", "Dry weather cut the corn yield in the south."),
    ("Herald", "Coffee prices jump after frost", "Cold nights damaged the bean harvest."),
    ("Wire", "Bank profits rise on higher rates", "Lenders earned more from interest margins."),
    ("Gazette", "Farm loans get cheaper", "A state bank cut the rate it charges growers."),
]

QUERIES = [
    "interest rates",
    "central bank lifts interest rates",
    "soccer transfer news",
    "bad weather ruins crops",
    "bank",
    "prices",
]


def backend_of(client: TestClient) -> SearchBackend:
    backend: SearchBackend = client.app.state.search  # type: ignore[attr-defined]
    return backend


@pytest.fixture
def embedded(search_settings: Settings, write_key: str) -> Iterator[TestClient]:
    settings = search_settings.model_copy(
        update={"EMBEDDINGS_ENABLED": True, "ENTITY_EXTRACTION_ENABLED": False}
    )
    with TestClient(create_app(settings), headers=auth_headers(write_key)) as client:
        for n, (source, title, body) in enumerate(ARTICLES, start=1):
            article = {"title": title, "body": body, "source": source}
            article |= {
                "url": f"https://ex.org/h{n}",
                "published_at": f"2024-03-{n:02d}T08:00:00+00:00",
            }
            response = client.post("/articles", json=article)
            assert response.status_code == 201, response.text
        sync_index(client)
        backend = backend_of(client)
        assert isinstance(backend.embed_sync, EmbedSync)
        assert embed_and_send(embed_sync=backend.embed_sync, index_sync=backend.sync) == len(
            ARTICLES
        )
        yield client


def meili(client: TestClient, request: dict[str, Any]) -> dict[str, Any]:
    """Meilisearch's answer through the app's own transport, on the app's event loop."""
    assert client.portal is not None
    answers: list[dict[str, Any]] = client.portal.call(
        service.run_async, backend_of(client), [request]
    )
    return answers[0]


def essentials(answer: dict[str, Any]) -> tuple[Any, ...]:
    return (
        [hit["id"] for hit in answer["hits"]],
        answer["totalHits"],
        answer["semanticHitCount"],
        answer["facetDistribution"],
    )


@SQLITE_ONLY
def test_the_merged_page_is_meilisearchs_hybrid_page(embedded: TestClient) -> None:
    """Every query, ratio, page and filter: the same hits in the same order, the same total,
    semantic hit count and facets as Meilisearch's hybrid search with the same vector."""
    backend = backend_of(embedded)
    pages = [(1, 1), (1, 3), (2, 3), (3, 2), (1, 20)]
    filters: list[dict[str, Any]] = [{}, {"source": ["Wire", "Herald"], "facets": [Facet.source]}]
    skipped = mixed = 0
    cases = itertools.product(QUERIES, (0.2, 0.5, 0.8), pages, filters)
    for q, ratio, (page, per_page), extra in cases:
        params = SearchParams(
            q=q, mode=SearchMode.hybrid, semantic_ratio=ratio, page=page, per_page=per_page
        )
        search_plan = service.plan(
            index_uid=backend.index_uid, params=params.model_copy(update=extra)
        )
        request = search_plan.queries[0]
        assert hybrid_merge.splittable(request, ratio)
        vector = semantic.query_vector(backend.embeddings, q)
        keyword = meili(embedded, hybrid_merge.keyword_request(request))
        if hybrid_merge.keyword_suffices(keyword, page * per_page, ratio):
            ours = hybrid_merge.keyword_answer(request, keyword)
            skipped += 1
        else:
            vector_side = meili(embedded, hybrid_merge.vector_request(request, vector))
            ours = hybrid_merge.merge(request, keyword, vector_side, ratio)
        search_plan.with_vector(vector)
        theirs = meili(embedded, search_plan.queries[0])
        assert essentials(ours) == essentials(theirs), (q, ratio, page, per_page, extra)
        mixed += 0 < theirs["semanticHitCount"] < len(theirs["hits"])
    # Both of Meilisearch's paths were compared, and pages mixing both sides' hits.
    assert skipped > 0
    assert mixed > 0


@SQLITE_ONLY
def test_a_new_query_is_split_and_answers_as_a_kept_one(
    embedded: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the API: a hybrid query whose vector is not kept goes the split way; asked
    again (its vector now kept), Meilisearch's hybrid search answers: the same response."""
    split = hybrid_split.search
    calls: list[str] = []

    async def counted(*args: Any) -> dict[str, Any]:
        calls.append("split")
        return await split(*args)

    monkeypatch.setattr(hybrid_split, "search", counted)
    shapes: list[dict[str, Any]] = [
        {},
        {"per_page": 2, "page": 2},
        {"semantic_ratio": 0.9, "facets": "source"},
    ]
    for q, params in itertools.product(["mortgage costs", "football", "harvest weather"], shapes):
        asked: dict[str, Any] = {"q": q, "mode": "hybrid"} | params
        with semantic._recent_lock:
            semantic._recent.clear()
        first = embedded.get("/search", params=asked).json()
        assert calls == ["split"]
        again = embedded.get("/search", params=asked).json()
        assert calls == ["split"]
        calls.clear()
        assert first == again | {"processing_time_ms": first["processing_time_ms"]}


def hits(scores: list[tuple[int, float]]) -> list[dict[str, Any]]:
    return [{"id": article_id, "_rankingScore": score} for article_id, score in scores]


def test_merge_order_ties_duplicates_and_offset() -> None:
    """Meilisearch's merge rule on answers made up to provoke it: a tie (equal weighted
    scores) goes to the vector side, a document already taken is skipped without counting
    towards the offset, and the semantic hit count is the page's hits from the vector side."""
    request = {"page": 2, "hitsPerPage": 2}
    keyword = {"hits": hits([(1, 0.9), (2, 0.6), (3, 0.5)]), "totalHits": 3}
    vector = {"hits": hits([(2, 0.6), (4, 0.55), (5, 0.1)]), "totalHits": 9}
    vector["facetDistribution"] = {"source": {"Wire": 9}}
    # ratio 0.5: keyword 0.45, 0.3, 0.25; vector 0.3, 0.275, 0.05
    # merged: 1 (kw 0.45), 2 (vector 0.3 ties kw 0.3: vector first), 2 (kw, skipped),
    # 4 (vector 0.275), 3 (kw 0.25), 5 (vector 0.05)
    merged = hybrid_merge.merge(request, keyword, vector, 0.5)
    assert [hit["id"] for hit in merged["hits"]] == [4, 3]
    assert merged["semanticHitCount"] == 1
    assert (merged["totalHits"], merged["facetDistribution"]) == (9, {"source": {"Wire": 9}})
    first = hybrid_merge.merge({"page": 1, "hitsPerPage": 2}, keyword, vector, 0.5)
    assert [hit["id"] for hit in first["hits"]] == [1, 2]
    assert first["semanticHitCount"] == 1


def test_keyword_side_suffices_by_meilisearchs_rule() -> None:
    """A full span of hits, each scoring at least 0.45 once weighted by 1 - ratio (in f32)."""
    good = {"hits": hits([(1, 0.9), (2, 0.9)])}
    assert hybrid_merge.keyword_suffices(good, 2, 0.5)
    assert not hybrid_merge.keyword_suffices(good, 3, 0.5)  # not a full span
    assert not hybrid_merge.keyword_suffices(good, 2, 0.6)  # 0.9 x 0.4 < 0.45
    weak = {"hits": hits([(1, 0.9), (2, 0.89)])}
    assert not hybrid_merge.keyword_suffices(weak, 2, 0.5)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, True),
        ({"semantic_ratio": 0.0}, False),  # Meilisearch answers it as keyword search
        ({"semantic_ratio": 1.0}, False),  # ... and this as semantic search
        ({"highlight": True}, False),  # the vector side has no matched words
        ({"collapse": "cluster"}, False),  # distinct across both sides
    ],
)
def test_what_is_split(params: dict[str, Any], expected: bool) -> None:
    search_plan = service.plan(
        index_uid="articles",
        params=SearchParams.model_validate({"q": "rates", "mode": "hybrid"} | params),
    )
    assert hybrid_merge.splittable(search_plan.queries[0], search_plan.semantic_ratio) is expected

"""Hybrid and semantic /search and /articles/{id}/related against a real Meilisearch, with
real vectors from the bundled model: written articles are keyword-searchable at once and
searchable by meaning once the embedding worker and the index worker have run."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.embeddings.backfill import embed_and_send
from app.embeddings.worker import EmbedSync
from app.main import create_app
from app.search.backend import SearchBackend
from tests.conftest import auth_headers, sync_index

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ARTICLES: list[dict[str, Any]] = [
    {
        "title": "Central bank lifts interest rates",
        "body": "The central bank raised its benchmark rate by half a point to curb inflation.",
        "source": "Wire",
        "published_at": "2024-03-01T08:00:00+00:00",
    },
    {
        "title": "Monetary policy tightened again",
        "body": "Borrowing costs went up for the second month as the bank fought rising prices.",
        "source": "Gazette",
        "published_at": "2024-03-05T08:00:00+00:00",
    },
    {
        "title": "Cup final ends in penalties",
        "body": "The football final was decided on penalties after a goalless draw.",
        "source": "Wire",
        "published_at": "2024-03-02T08:00:00+00:00",
    },
    {
        "title": "Wheat harvest beats forecasts",
        "body": "Farmers brought in a record grain crop after a mild and wet spring.",
        "source": "Gazette",
        "published_at": "2024-03-03T08:00:00+00:00",
    },
]


def backend_of(client: TestClient) -> SearchBackend:
    backend: SearchBackend = client.app.state.search  # type: ignore[attr-defined]
    return backend


def embed_all(client: TestClient) -> int:
    """What the workers do in the background: index, embed, index the vectors."""
    sync_index(client)
    backend = backend_of(client)
    assert isinstance(backend.embed_sync, EmbedSync)
    return embed_and_send(embed_sync=backend.embed_sync, index_sync=backend.sync)


@pytest.fixture
def semantic_settings(search_settings: Settings) -> Settings:
    # Entities are not what is tested here; spaCy would only slow every write down.
    return search_settings.model_copy(
        update={"EMBEDDINGS_ENABLED": True, "ENTITY_EXTRACTION_ENABLED": False}
    )


@pytest.fixture
def semantic_client(semantic_settings: Settings, write_key: str) -> Iterator[TestClient]:
    with TestClient(create_app(semantic_settings), headers=auth_headers(write_key)) as client:
        yield client


def post_articles(client: TestClient) -> list[int]:
    ids = []
    for n, article in enumerate(ARTICLES, start=1):
        response = client.post("/articles", json={**article, "url": f"https://ex.org/s{n}"})
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


@pytest.fixture
def embedded(semantic_client: TestClient) -> tuple[TestClient, list[int]]:
    ids = post_articles(semantic_client)
    assert embed_all(semantic_client) == len(ARTICLES)
    return semantic_client, ids


def hit_ids(answer: dict[str, Any]) -> list[int]:
    return [hit["id"] for hit in answer["hits"]]


def test_keyword_search_works_before_any_vector(semantic_client: TestClient) -> None:
    ids = post_articles(semantic_client)
    sync_index(semantic_client)
    answer = semantic_client.get("/search", params={"q": "penalties"}).json()
    assert hit_ids(answer) == [ids[2]]
    assert answer["mode"] == "keyword"
    assert answer["semantic_ratio"] is None
    assert answer["semantic_hits"] is None
    ready = semantic_client.get("/ready").json()["embeddings"]
    assert ready["enabled"] is True
    assert ready["pending"] == len(ARTICLES)
    assert ready["failed"] == 0
    # Not yet related: the article has no vector in the index.
    refused = semantic_client.get(f"/articles/{ids[0]}/related")
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/no-vector-yet")


def test_semantic_mode_finds_by_meaning(
    embedded: tuple[TestClient, list[int]],
) -> None:
    client, ids = embedded
    query = "borrowing costs raised by monetary authority"
    keyword = client.get("/search", params={"q": "soccer match"}).json()
    assert keyword["total"] == 0
    semantic = client.get("/search", params={"q": "soccer match", "mode": "semantic"}).json()
    assert hit_ids(semantic)[0] == ids[2]
    assert semantic["mode"] == "semantic"
    assert semantic["semantic_ratio"] == 1.0
    assert semantic["semantic_hits"] == len(ARTICLES)
    hybrid = client.post("/search", json={"q": query, "mode": "hybrid", "per_page": 2}).json()
    assert set(hit_ids(hybrid)) == {ids[0], ids[1]}
    assert hybrid["semantic_ratio"] == 0.5
    assert 1 <= hybrid["semantic_hits"] <= 2
    assert client.get("/ready").json()["embeddings"]["pending"] == 0
    # Anonymous GETs take the lean path (app/search/fast_path.py), by meaning too: same answer.
    key = client.headers.pop("Authorization")
    try:
        lean = client.get("/search", params={"q": "soccer match", "mode": "semantic"}).json()
    finally:
        client.headers["Authorization"] = key
    assert lean == semantic | {"processing_time_ms": lean["processing_time_ms"]}


def test_hybrid_keeps_filters_facets_and_ratio(embedded: tuple[TestClient, list[int]]) -> None:
    client, ids = embedded
    answer = client.get(
        "/search",
        params={
            "q": "interest rates",
            "mode": "hybrid",
            "semantic_ratio": "0.8",
            "source": "Gazette",
            "facets": "source",
            "fields": "id,title",
        },
    ).json()
    assert hit_ids(answer)[0] == ids[1]
    assert {hit["id"] for hit in answer["hits"]} <= {ids[1], ids[3]}
    assert answer["semantic_ratio"] == 0.8
    assert answer["facets"]["source"] == {"Gazette": 2}
    assert set(answer["hits"][0]) == {"id", "title"}
    shaped = client.get(
        "/search",
        params={
            "q": "interest rates",
            "mode": "hybrid",
            "highlight": "true",
            "collapse": "cluster",
        },
    ).json()
    assert hit_ids(shaped)[0] == ids[0]
    assert shaped["counts"] == "stories"
    assert "<mark>" in shaped["hits"][0]["_highlights"]["title"]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"mode": "hybrid"}, "q", "mode=hybrid needs a query"),
        ({"mode": "semantic", "q": "  "}, "q", "mode=semantic needs a query"),
        ({"mode": "hybrid", "q": "x", "sort": "newest"}, "sort", "ranks by relevance only"),
        ({"mode": "hybrid", "q": "x", "sort": "newest", "cursor": "*"}, "cursor", "cursors"),
        ({"q": "x", "semantic_ratio": "0.3"}, "semantic_ratio", "applies to mode=hybrid only"),
        ({"q": "x", "mode": "semantic", "semantic_ratio": "1"}, "semantic_ratio", "hybrid only"),
    ],
)
def test_what_meaning_cannot_combine_with_is_a_422(
    semantic_client: TestClient, params: dict[str, str], field: str, message: str
) -> None:
    response = semantic_client.get("/search", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["loc"] == ["query", field]
    assert message in error["msg"]


def test_out_of_range_ratio_and_unknown_mode_are_422(semantic_client: TestClient) -> None:
    for params in ({"q": "x", "mode": "hybrid", "semantic_ratio": "1.5"}, {"q": "x", "mode": "x"}):
        response = semantic_client.get("/search", params=params)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
    # A JSON body gives the ratio as a JSON number: text or a boolean is refused.
    for ratio in ("0.5", True):
        body = {"q": "x", "mode": "hybrid", "semantic_ratio": ratio}
        response = semantic_client.post("/search", json=body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "semantic_ratio"]


def test_related_articles_nearest_first(embedded: tuple[TestClient, list[int]]) -> None:
    client, ids = embedded
    response = client.get(f"/articles/{ids[0]}/related")
    assert response.status_code == 200
    answer = response.json()
    assert answer["article_id"] == ids[0]
    assert hit_ids(answer)[0] == ids[1]
    assert ids[0] not in hit_ids(answer)
    assert sorted(hit_ids(answer)) == sorted(ids[1:])
    scores = [hit["score"] for hit in answer["hits"]]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < score <= 1 for score in scores)

    close = client.get(
        f"/articles/{ids[0]}/related", params={"min_score": str(scores[0] - 0.001)}
    ).json()
    assert hit_ids(close) == [ids[1]]
    wire = client.get(
        f"/articles/{ids[0]}/related", params={"source": "Wire", "fields": "id,source"}
    ).json()
    assert hit_ids(wire) == [ids[2]]
    assert wire["filters"] == {"source": ["Wire"]}
    assert set(wire["hits"][0]) == {"id", "source", "score"}
    dated = client.get(f"/articles/{ids[0]}/related", params={"from": "2024-03-04"}).json()
    assert hit_ids(dated) == [ids[1]]
    unknown = client.get(f"/articles/{ids[0]}/related", params={"entity": "nosuchthing"}).json()
    assert unknown["hits"] == []
    assert unknown["filters"] == {"entity": ["nosuchthing"]}
    assert len(unknown["warnings"]) == 1
    backwards = client.get(
        f"/articles/{ids[0]}/related", params={"from": "2024-03-05", "to": "2024-03-01"}
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["loc"] == ["query", "from"]


def test_related_hides_duplicates_unless_asked(embedded: tuple[TestClient, list[int]]) -> None:
    client, ids = embedded
    # The same text under another URL is recorded as a duplicate of the first.
    copy = client.post("/articles", json={**ARTICLES[1], "url": "https://ex.org/copy"})
    assert copy.status_code == 201, copy.text
    assert copy.json()["duplicate_of"] == ids[1]
    copy_id = copy.json()["id"]
    embed_all(client)
    shown = client.get(f"/articles/{ids[0]}/related").json()
    assert copy_id not in hit_ids(shown)
    everything = client.get(
        f"/articles/{ids[0]}/related", params={"include_duplicates": "true"}
    ).json()
    assert copy_id in hit_ids(everything)


def test_related_of_unknown_article_is_404(semantic_client: TestClient) -> None:
    response = semantic_client.get("/articles/987654/related")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_an_edited_article_loses_its_stale_vector_until_embedded_again(
    embedded: tuple[TestClient, list[int]],
) -> None:
    client, ids = embedded
    edited = client.patch(
        f"/articles/{ids[3]}",
        json={"title": "Striker scores twice in derby", "body": "A football derby, won 2-0."},
    )
    assert edited.status_code == 200, edited.text
    sync_index(client)
    assert client.get(f"/articles/{ids[3]}/related").status_code == 409
    embed_all(client)
    related = client.get(f"/articles/{ids[3]}/related").json()
    assert hit_ids(related)[0] == ids[2]


def test_reindex_keeps_the_stored_vectors(embedded: tuple[TestClient, list[int]]) -> None:
    from app.search.reindex import reindex

    client, ids = embedded
    backend = backend_of(client)
    reindex(
        engine=backend.sync.engine,
        client=backend.client,
        index_uid=backend.index_uid,
        vector_loader=backend.sync.vector_loader,
    )
    assert hit_ids(client.get(f"/articles/{ids[0]}/related").json())[0] == ids[1]


@pytest.mark.parametrize("broken", ["off", "missing"])
def test_without_a_model_meaning_is_a_503_and_keywords_still_work(
    search_settings: Settings, write_key: str, tmp_path: Any, broken: str
) -> None:
    update: dict[str, Any] = (
        {"EMBEDDINGS_ENABLED": False}
        if broken == "off"
        else {"EMBEDDINGS_ENABLED": True, "EMBEDDING_MODEL_PATH": tmp_path / "absent"}
    )
    settings = search_settings.model_copy(update=update | {"ENTITY_EXTRACTION_ENABLED": False})
    with TestClient(create_app(settings), headers=auth_headers(write_key)) as client:
        [first, *_] = post_articles(client)
        sync_index(client)
        assert hit_ids(client.get("/search", params={"q": "penalties"}).json()) != []
        for mode in ("hybrid", "semantic"):
            refused = client.get("/search", params={"q": "penalties", "mode": mode})
            assert refused.status_code == 503
            assert refused.headers["content-type"] == "application/problem+json"
            problem = refused.json()
            assert problem["type"].endswith("/embeddings-unavailable")
            assert "mode=keyword" in problem["detail"]
        related = client.get(f"/articles/{first}/related")
        assert related.status_code == 503 if broken == "off" else 409


def test_an_index_from_before_embeddings_answers_503_until_reindexed(
    semantic_settings: Settings, write_key: str, meili_client: Any
) -> None:
    from app.search.client import wait_for_success
    from app.search.index_settings import ensure_index
    from app.search.reindex import reindex

    uid = semantic_settings.MEILI_INDEX
    ensure_index(meili_client, uid)
    old = meili_client.index(uid).add_documents([{"id": 999, "title": "written before"}])
    wait_for_success(meili_client, old.task_uid)
    with TestClient(create_app(semantic_settings), headers=auth_headers(write_key)) as client:
        ids = post_articles(client)
        sync_index(client)
        assert hit_ids(client.get("/search", params={"q": "penalties"}).json()) == [ids[2]]
        refused = client.get("/search", params={"q": "penalties", "mode": "hybrid"})
        assert refused.status_code == 503
        assert "newsarchive reindex" in refused.json()["detail"]
        backend = backend_of(client)
        reindex(
            engine=backend.sync.engine,
            client=backend.client,
            index_uid=uid,
            vector_loader=backend.sync.vector_loader,
        )
        embed_all(client)
        answer = client.get("/search", params={"q": "soccer match", "mode": "semantic"}).json()
        assert hit_ids(answer)[0] == ids[2]


UNEMBEDDED = {
    "title": "Harbour ferries strike over pay",
    "body": "Ferry crews walked out after talks on wages broke down.",
    "source": "Wire",
    "url": "https://ex.org/not-embedded-yet",
}


def test_semantic_total_counts_every_article_under_the_filters(
    embedded: tuple[TestClient, list[int]],
) -> None:
    """A vector search has no "no match": every article the filters let through is ranked by
    closeness, those still waiting for a vector last. So `total` is that count, whatever `q`."""
    client, ids = embedded
    waiting = client.post("/articles", json=UNEMBEDDED).json()["id"]
    sync_index(client)  # keyword-searchable; no vector yet
    everything = [*ARTICLES, UNEMBEDDED]
    wire = [article for article in everything if article["source"] == "Wire"]
    for q in ("soccer match", "central bank lifts interest rates"):
        keyword = client.get("/search", params={"q": q}).json()
        semantic = client.get("/search", params={"q": q, "mode": "semantic"}).json()
        assert keyword["total"] < len(everything)
        assert semantic["total"] == len(everything)
        assert sorted(hit_ids(semantic)) == sorted([*ids, waiting])
        assert hit_ids(semantic)[-1] == waiting
        assert semantic["semantic_hits"] == len(everything)
        filtered = client.get(
            "/search", params={"q": q, "mode": "semantic", "source": "Wire"}
        ).json()
        assert filtered["total"] == len(wire)
        assert hit_ids(filtered)[-1] == waiting


def test_hybrid_total_depends_on_whether_the_vector_side_ran(
    embedded: tuple[TestClient, list[int]],
) -> None:
    """Meilisearch skips the vector side when a full page of keyword hits all score at least
    0.45 / (1 - semantic_ratio): `total` is then the keyword count and `semantic_hits` 0.
    When the vector side runs, `total` counts every article under the filters, as semantic."""
    client, ids = embedded
    q = ARTICLES[0]["title"]
    keyword = client.get("/search", params={"q": q, "per_page": 1}).json()
    skipped = client.get("/search", params={"q": q, "mode": "hybrid", "per_page": 1}).json()
    assert (skipped["total"], skipped["semantic_hits"]) == (keyword["total"], 0)
    assert hit_ids(skipped) == hit_ids(keyword) == [ids[0]]
    ran = client.get("/search", params={"q": q, "mode": "hybrid", "per_page": 2}).json()
    assert ran["total"] == len(ARTICLES)
    assert ran["semantic_hits"] >= 1

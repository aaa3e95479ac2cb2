"""A first page of a hybrid search for a query not seen before: the keyword page is asked for
while the model runs, and answers when Meilisearch's own rule says the vector side would be
skipped. Either way the answer is the one the vector-first hybrid search gives, on a real
Meilisearch with real vectors."""

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from app.search import hybrid, semantic, service
from app.search.backend import SearchBackend
from app.search.schemas import SearchParams
from tests.test_semantic_search import (  # noqa: F401 - fixtures used by name
    ARTICLES,
    backend_of,
    embedded,
    hit_ids,
    semantic_client,
    semantic_settings,
)

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@dataclass
class Sent:
    """The API with the articles embedded, and every request it sends Meilisearch."""

    client: TestClient
    ids: list[int]
    requests: list[tuple[str, dict[str, Any]]]


@pytest.fixture
def sent(
    embedded: tuple[TestClient, list[int]],  # noqa: F811 - the fixture imported above
    monkeypatch: pytest.MonkeyPatch,
) -> Sent:
    """Every request the API sends Meilisearch, as sent (passed on unchanged); and no
    query vector kept from earlier tests."""
    monkeypatch.setattr(semantic, "_recent", OrderedDict())
    client, ids = embedded
    backend = backend_of(client)
    http, post = backend.async_http, backend.async_http.post
    requests: list[tuple[str, dict[str, Any]]] = []

    async def recording(path: str, body: Any) -> Any:
        requests.append((path, body))
        return await post(path, body)

    monkeypatch.setattr(http, "post", recording)
    return Sent(client, ids, requests)


def vector_first(backend: SearchBackend, params: dict[str, Any]) -> dict[str, Any]:
    """The answer as the API gave it before: the query's vector, then the hybrid search."""
    search_plan = service.plan(index_uid=backend.index_uid, params=SearchParams(**params))
    search_plan.with_vector(semantic.query_vector(backend.embeddings, params["q"]))
    answer = service.finish(search_plan, service._run(backend, search_plan.queries))
    shaped: dict[str, Any] = orjson.loads(orjson.dumps(answer))
    return shaped


def same_answer(api: dict[str, Any], before: dict[str, Any]) -> None:
    assert api == before | {"processing_time_ms": api["processing_time_ms"]}


def kept_soon(backend: SearchBackend, q: str) -> list[float]:
    """The model run goes on after a keyword answer; its vector is kept when it ends."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        kept = semantic.look_up(backend.embeddings, q)[2]
        if kept is not None:
            return kept
        time.sleep(0.05)
    raise AssertionError("the query's vector was never kept")


@sqlite_only
def test_a_good_enough_keyword_page_is_the_answer(sent: Sent) -> None:
    client, ids = sent.client, sent.ids
    backend = backend_of(client)
    params: dict[str, Any] = {"q": ARTICLES[0]["title"], "mode": "hybrid", "per_page": 1}
    key = client.headers.pop("Authorization")  # anonymous: the lean GET path
    try:
        answer = client.get("/search", params=params).json()
    finally:
        client.headers["Authorization"] = key
    [(path, body)] = sent.requests
    assert path == f"/indexes/{backend.index_uid}/search"
    assert body["showRankingScore"] is True
    assert "vector" not in body and "hybrid" not in body
    assert hit_ids(answer) == [ids[0]]
    assert (answer["semantic_hits"], answer["semantic_ratio"]) == (0, 0.5)
    assert "_rankingScore" not in answer["hits"][0]
    kept = kept_soon(backend, params["q"])
    assert kept == pytest.approx(backend.embeddings.get().embed([params["q"]])[0].tolist())
    same_answer(answer, vector_first(backend, params))


@sqlite_only
def test_otherwise_the_hybrid_search_goes_out_with_the_vector(sent: Sent) -> None:
    client, ids = sent.client, sent.ids
    backend = backend_of(client)
    params: dict[str, Any] = {
        "q": "borrowing costs raised by monetary authority",
        "mode": "hybrid",
        "per_page": 2,
    }
    answer = client.post("/search", json=params).json()
    (_, probe), (_, searched) = sent.requests
    assert probe["showRankingScore"] is True and "vector" not in probe
    assert "showRankingScore" not in searched
    assert searched["hybrid"] == {"embedder": "text", "semanticRatio": 0.5}
    assert searched["vector"] == pytest.approx(
        backend.embeddings.get().embed([params["q"]])[0].tolist(), abs=1e-6
    )
    assert set(hit_ids(answer)) == {ids[0], ids[1]}
    assert answer["semantic_hits"] >= 1
    same_answer(answer, vector_first(backend, params))


@sqlite_only
def test_a_kept_vector_a_later_page_and_semantic_mode_send_one_search(sent: Sent) -> None:
    client, _ids = sent.client, sent.ids
    backend = backend_of(client)
    q = "harvest of grain"
    for params in (
        {"q": q, "mode": "hybrid", "per_page": 1, "page": 2},  # the model runs first
        {"q": q, "mode": "hybrid", "per_page": 1},  # its vector is kept now
        {"q": "penalty shoot-out", "mode": "semantic", "per_page": 1},
    ):
        sent.requests.clear()
        answer = client.post("/search", json=params).json()
        [(_, body)] = sent.requests
        assert "vector" in body and "showRankingScore" not in body
        same_answer(answer, vector_first(backend, params))


def test_the_keyword_weight_is_reckoned_in_f32_as_meilisearch_does() -> None:
    # 1 - 0.3 in f32, widened: 0.699999988079071 (in f64 it would be 0.7).
    assert hybrid.keyword_weight(0.3) == 0.699999988079071
    assert hybrid.keyword_weight(0.5) == 0.5
    assert hybrid.keyword_weight(0.0) == 1.0


@pytest.mark.parametrize(
    ("scores", "per_page", "ratio", "suffices"),
    [
        ([1.0, 0.9], 2, 0.5, True),  # 0.9 x 0.5 = 0.45 exactly: good enough
        ([1.0, 0.8999999], 2, 0.5, False),
        ([1.0], 2, 0.5, False),  # not a full page
        ([1.0, 1.0], 2, 0.6, False),  # 1 x 0.4 < 0.45
        ([0.5, 0.45], 2, 0.0, True),
        ([0.45 / 0.699999988079071 + 1e-12] * 2, 2, 0.3, True),
        ([0.45 / 0.7 + 1e-12] * 2, 2, 0.3, False),  # good enough with an f64 weight only
    ],
)
def test_the_rule_is_meilisearchs(
    scores: list[float], per_page: int, ratio: float, suffices: bool
) -> None:
    page = {"hits": [{"id": n, "_rankingScore": s} for n, s in enumerate(scores)]}
    assert hybrid.keyword_page_suffices(page, per_page, ratio) is suffices

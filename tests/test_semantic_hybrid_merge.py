"""The merge rule bench/semantic.py uses to time a hybrid search split in two
(bench/hybrid_merge.py), on answers made up to provoke each part of Meilisearch's rule. That
the merged page is Meilisearch's own for real queries and vectors, bench/semantic.py checks
on every run (`split.same_page_as_meili_hybrid`)."""

from typing import Any

import pytest

from app.search import service
from app.search.schemas import SearchParams
from bench import hybrid_merge


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

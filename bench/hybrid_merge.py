"""A hybrid search answered from a keyword search and a vector search, merged here exactly as
Meilisearch 1.21 merges them (milli/src/search/hybrid.rs, `execute_hybrid`): how
bench/semantic.py times a hybrid search split in two.

The idea measured: a query not seen before needs its vector first (a model run of a few
milliseconds), and Meilisearch's own hybrid search is the keyword search and the vector
search one after the other. Split in two, the keyword side could run while the model does,
leaving only the vector side to wait for once the vector is there. (It did not pay on the
2-core machine measured; see README, Semantic and hybrid search.)

What Meilisearch does, and so what is done here:

- both sides are searched from the first hit to the end of the asked page (offset 0,
  limit = offset + limit), keyword hits with their ranking scores;
- the keyword side alone answers when it filled that span and every hit's ranking score
  times (1 - semanticRatio) is at least 0.45 (`results_good_enough`): hits, total and
  facets are then the keyword search's, and no hit counts as semantic;
- otherwise the two lists are merged, each in its own order, the vector hit first while its
  similarity x semanticRatio is at least the keyword hit's score x (1 - semanticRatio) (equal
  within f64's epsilon counts as at least; the ratio and its complement are f32); a
  document already taken is skipped; then the page is cut; `semanticHitCount` counts the
  page's hits taken from the vector side;
- total and facets describe the union of both sides' candidates, which is the vector
  side's (a vector search ranks every document the filters let through).

Only searches whose answer this reproduces can be split (`splittable`): no highlights (the
semantic side has no matched words), no `distinct` (collapse), a ratio strictly between 0
and 1 (Meilisearch answers 0 as keyword and 1 as semantic searches).
"""

import struct
from typing import Any

from app.search.index_settings import EMBEDDER

#: Meilisearch's `GOOD_ENOUGH_SCORE`.
GOOD_ENOUGH_SCORE = 0.45
#: Rust's f64::EPSILON, Meilisearch's tolerance for equal weighted scores.
F64_EPSILON = 2.220446049250313e-16


def f32(value: float) -> float:
    """`value` rounded to f32, as Meilisearch holds a semantic ratio."""
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def splittable(request: dict[str, Any], semantic_ratio: float | None) -> bool:
    """Whether the hybrid search `request` (one page query of the API's plan) is answered
    exactly by `keyword_request` + `vector_request` + `merge`."""
    return (
        semantic_ratio is not None
        and 0.0 < f32(semantic_ratio) < 1.0
        and "page" in request
        and "distinct" not in request
        and "attributesToHighlight" not in request
        and "sort" not in request
    )


def _span(request: dict[str, Any]) -> dict[str, Any]:
    """`request` searched from its first hit to the end of its page, with ranking scores."""
    first = {k: v for k, v in request.items() if k not in ("vector", "hybrid")}
    return first | {
        "page": 1,
        "hitsPerPage": request["page"] * request["hitsPerPage"],
        "showRankingScore": True,
    }


def keyword_request(request: dict[str, Any]) -> dict[str, Any]:
    """The keyword side of the hybrid search `request` (which may still lack its vector)."""
    return _span(request)


def vector_request(request: dict[str, Any], vector: list[float]) -> dict[str, Any]:
    """The vector side: a semantic search (ratio 1) over the same filters and span."""
    return _span(request) | {
        "vector": vector,
        "hybrid": {"embedder": EMBEDDER, "semanticRatio": 1.0},
    }


def keyword_suffices(keyword: dict[str, Any], span: int, semantic_ratio: float) -> bool:
    """Meilisearch's rule for skipping the vector side (`results_good_enough`)."""
    hits = keyword["hits"]
    if len(hits) < span:
        return False
    weight = f32(1.0 - f32(semantic_ratio))
    return all(hit["_rankingScore"] * weight >= GOOD_ENOUGH_SCORE for hit in hits)


def _page(request: dict[str, Any]) -> tuple[int, int]:
    """The asked page's offset and length."""
    per_page: int = request["hitsPerPage"]
    return (request["page"] - 1) * per_page, per_page


def keyword_answer(request: dict[str, Any], keyword: dict[str, Any]) -> dict[str, Any]:
    """The hybrid answer when the keyword side sufficed: its page, total and facets."""
    offset, length = _page(request)
    return keyword | {"hits": keyword["hits"][offset : offset + length], "semanticHitCount": 0}


def merge(
    request: dict[str, Any],
    keyword: dict[str, Any],
    vector: dict[str, Any],
    semantic_ratio: float,
) -> dict[str, Any]:
    """The hybrid answer from both sides' answers (see the module docstring)."""
    ratio = f32(semantic_ratio)
    weight = f32(1.0 - ratio)
    offset, length = _page(request)
    semantic_hits, keyword_hits = vector["hits"], keyword["hits"]
    taken: set[Any] = set()
    hits: list[dict[str, Any]] = []
    from_vector = 0
    s = k = skipped = 0
    while len(hits) < length and (s < len(semantic_hits) or k < len(keyword_hits)):
        if k >= len(keyword_hits):
            take_vector = True
        elif s >= len(semantic_hits):
            take_vector = False
        else:
            left = semantic_hits[s]["_rankingScore"] * ratio
            right = keyword_hits[k]["_rankingScore"] * weight
            take_vector = abs(left - right) <= F64_EPSILON or left > right
        if take_vector:
            hit, s = semantic_hits[s], s + 1
        else:
            hit, k = keyword_hits[k], k + 1
        if hit["id"] in taken:
            continue
        taken.add(hit["id"])
        if skipped < offset:
            skipped += 1
            continue
        hits.append(hit)
        from_vector += take_vector
    return {
        "hits": hits,
        "totalHits": vector["totalHits"],
        "facetDistribution": vector.get("facetDistribution", {}),
        "processingTimeMs": keyword.get("processingTimeMs", 0) + vector.get("processingTimeMs", 0),
        "semanticHitCount": from_vector,
    }

"""A hybrid search for a query not seen before: the keyword page and the query's vector at once.

Meilisearch 1.21 (milli/src/search/hybrid.rs, `results_good_enough`) runs a hybrid search's
keyword side first and skips the vector side when the keyword page is good enough: as many
keyword hits as `offset + limit`, and every one's ranking score x (1 - semanticRatio) at
least 0.45. The answer is then the keyword answer (`semanticHitCount` 0). So for such a query
the vector was never needed, yet it had to be made before the search could be sent.

Here a first page of a hybrid search whose vector is not kept sends the keyword search (with
ranking scores: the scores Meilisearch's rule reads) while the model runs in a worker thread.
When the page passes the same rule, that keyword answer is the answer, as Meilisearch would
have given it; otherwise the hybrid search goes out with the vector as before. The model run
finishes either way and its vector is kept, for the next page or the next reader.
"""

import asyncio
import struct
from typing import Any, Final

from starlette.concurrency import run_in_threadpool

from app.search import semantic, service
from app.search.backend import SearchBackend

#: Meilisearch's GOOD_ENOUGH_SCORE (milli/src/search/hybrid.rs).
GOOD_ENOUGH_SCORE: Final = 0.45


def _f32(value: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def keyword_weight(semantic_ratio: float) -> float:
    """1 - semanticRatio as Meilisearch computes it: in f32 (it parses the ratio as one),
    then widened to f64, so a score on the edge is judged as Meilisearch judges it."""
    return _f32(1.0 - _f32(semantic_ratio))


def keyword_page_suffices(result: dict[str, Any], per_page: int, semantic_ratio: float) -> bool:
    """Meilisearch's rule, on a first page of keyword hits with `_rankingScore`."""
    hits = result["hits"]
    if len(hits) < per_page:
        return False
    weight = keyword_weight(semantic_ratio)
    return all(hit["_rankingScore"] * weight >= GOOD_ENOUGH_SCORE for hit in hits)


def keyword_probe(search_plan: service.SearchPlan) -> list[dict[str, Any]]:
    """The plan's keyword search, with the ranking scores the rule needs."""
    return [query | {"showRankingScore": True} for query in search_plan.queries]


def probe_applies(search_plan: service.SearchPlan) -> bool:
    """A hybrid first page: semantic mode (ratio 1) always needs the vector, and a later
    page's rule reads the scores of every page before it."""
    ratio = search_plan.semantic_ratio
    return (
        ratio is not None
        and ratio < 1.0
        and search_plan.params.page == 1
        and search_plan.params.cursor is None
        and len(search_plan.queries) == 1
    )


async def run_hybrid(
    backend: SearchBackend, search_plan: service.SearchPlan, q: str
) -> dict[str, Any]:
    """The answer of a plan that ranks by meaning (`search_plan.semantic_ratio` set)."""
    provider = backend.embeddings
    if not probe_applies(search_plan) or (provider.enabled and not provider.loaded):
        # Later pages, semantic mode, and a model still to load: the vector first.
        search_plan.with_vector(await semantic.query_vector_async(provider, q))
        return await service.search_async(backend=backend, search_plan=search_plan)
    embedder, tokens, kept = semantic.look_up(provider, q)
    if kept is not None:
        search_plan.with_vector(kept)
        return await service.search_async(backend=backend, search_plan=search_plan)
    embedding = asyncio.ensure_future(run_in_threadpool(semantic.embed_and_keep, embedder, tokens))
    # A search that fails or is cancelled leaves the model run to finish on its own.
    embedding.add_done_callback(_retrieve)
    results = await service.run_async(backend, keyword_probe(search_plan))
    assert search_plan.semantic_ratio is not None
    if keyword_page_suffices(results[0], search_plan.params.per_page, search_plan.semantic_ratio):
        return service.finish(search_plan, [results[0] | {"semanticHitCount": 0}])
    search_plan.with_vector(await embedding)
    return await service.search_async(backend=backend, search_plan=search_plan)


def _retrieve(future: "asyncio.Future[list[float]]") -> None:
    if not future.cancelled():
        future.exception()

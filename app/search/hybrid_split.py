"""A hybrid search on a query whose vector is not kept: the keyword side is searched while
the model runs on a worker thread, then the vector side, and the two are merged as
Meilisearch merges them (app/search/hybrid_merge.py). The answer is Meilisearch's own
hybrid answer; only the order of the work differs."""

import asyncio
import contextlib
from typing import Any

from app.search import hybrid_merge, service
from app.search.backend import SearchBackend
from app.search.semantic import Pending


def _retrieve(task: "asyncio.Future[Any]") -> None:
    """Take the model run's outcome even when nobody waits for it (the keyword side sufficed,
    or failed): its vector is kept either way, and an error is the next request's to see."""
    if not task.cancelled():
        with contextlib.suppress(Exception):
            task.exception()


async def search(
    backend: SearchBackend, search_plan: service.SearchPlan, pending: Pending
) -> dict[str, Any]:
    """The /search answer of a splittable hybrid plan (`hybrid_merge.splittable`)."""
    request = search_plan.queries[0]
    ratio = search_plan.semantic_ratio
    assert ratio is not None
    keyword_side = hybrid_merge.keyword_request(request)
    keyword_sent = asyncio.ensure_future(service.run_async(backend, [keyword_side]))
    await asyncio.sleep(0)  # the keyword side goes out (on a kept-alive connection)
    try:
        vector = pending.embed_now()  # on the loop's thread, while Meilisearch searches
    except BaseException:
        keyword_sent.add_done_callback(_retrieve)
        raise
    [keyword] = await keyword_sent
    if hybrid_merge.keyword_suffices(keyword, keyword_side["hitsPerPage"], ratio):
        result = hybrid_merge.keyword_answer(request, keyword)
    else:
        vector_side = hybrid_merge.vector_request(request, vector)
        [semantic] = await service.run_async(backend, [vector_side])
        result = hybrid_merge.merge(request, keyword, semantic, ratio)
    return service.finish(search_plan, [result])

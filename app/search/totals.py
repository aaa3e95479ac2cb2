"""Exact numbers of matching articles for many queries, in few Meilisearch round trips.

A count is a search for no hits (`hitsPerPage: 0`): Meilisearch's `totalHits` is then exact,
but only below the index's `maxTotalHits`. A total at that cap is counted again from a facet
every document carries exactly once (`language`: article_to_document always writes it, and
the API requires it), since facet counts are computed over every match, uncapped.

Counts match every word of `q` (`matchingStrategy: "all"`), as cursor-mode /search totals
and exports do: a count is the number of articles an export of the same query returns.
"""

from typing import Any

from app.search import service
from app.search.backend import SearchBackend
from app.search.index_settings import MAX_TOTAL_HITS

#: Queries per multi-search request, so that each answers within MEILI_TIMEOUT_SECONDS.
QUERIES_PER_REQUEST = 100
#: One value per document: its counts add up to the number of matches.
_ONE_VALUE_PER_DOCUMENT = "language"


def count_request(index_uid: str, q: str, clauses: list[str]) -> dict[str, Any]:
    """The Meilisearch query counting the articles that match `q` and every clause."""
    return {
        "indexUid": index_uid,
        "q": q,
        "filter": clauses,
        "page": 1,
        "hitsPerPage": 0,
        "matchingStrategy": "all",
        "attributesToRetrieve": ["id"],
    }


async def _run(backend: SearchBackend, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for start in range(0, len(requests), QUERIES_PER_REQUEST):
        results += await service.run_async(backend, requests[start : start + QUERIES_PER_REQUEST])
    return results


async def exact_totals(backend: SearchBackend, requests: list[dict[str, Any]]) -> list[int]:
    """The number of matches of each `count_request`, in order."""
    totals = [int(result["totalHits"]) for result in await _run(backend, requests)]
    capped = [n for n, total in enumerate(totals) if total >= MAX_TOTAL_HITS]
    if capped:
        recount = [requests[n] | {"facets": [_ONE_VALUE_PER_DOCUMENT]} for n in capped]
        for n, result in zip(capped, await _run(backend, recount), strict=True):
            per_value = result.get("facetDistribution", {}).get(_ONE_VALUE_PER_DOCUMENT, {})
            totals[n] = sum(per_value.values())
    return totals

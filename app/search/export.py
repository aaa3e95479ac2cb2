"""Export: every article matching a query, page after page, in the keyset order of cursor-mode
/search (published_at, then id; undated articles last), so there is no depth cap and memory
holds one page at a time.

Each page is a fresh Meilisearch search whose filter starts after the last article of the
previous one (app/search/filters.py). No snapshot is taken: articles added, changed or
deleted while an export runs may or may not be in it; none is repeated or skipped unless
its own date changes meanwhile.
"""

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from app.errors import ApiError, InvalidParameter
from app.search import filters, service
from app.search.backend import SearchBackend
from app.search.export_formats import CURSOR_FIELD
from app.search.research_schemas import ExportParams
from app.search.schemas import CURSOR_START, SearchParams, SearchQuery, SearchSort
from app.search.totals import count_request, exact_totals

logger = logging.getLogger(__name__)

#: Articles per Meilisearch request.
PAGE_SIZE = 500


@dataclass
class ExportPlan:
    sort: SearchSort
    fields: list[str]
    #: The page query but for its keyset clause and limit.
    request: dict[str, Any]
    clauses: list[str]
    start: filters.Cursor | None
    #: Articles matching when the export started (exact).
    total: int = 0
    #: The first page, fetched before the response starts so that its errors are a status.
    first_page: list[dict[str, Any]] = field(default_factory=list)


def plan(
    *,
    index_uid: str,
    params: ExportParams,
    where: str,
    resolve_entities: service.EntityResolver,
) -> ExportPlan:
    """Check the parameters and build the page query (entity names are looked up here)."""
    search_params = SearchParams.model_validate(
        params.model_dump(include=set(SearchQuery.model_fields), exclude_unset=True)
        | {"sort": params.sort.value, "cursor": CURSOR_START, "fields": params.fields}
    )
    search_plan = service.plan(
        index_uid=index_uid, params=search_params, where=where, resolve_entities=resolve_entities
    )
    start = None
    if params.after is not None:
        try:
            start = service.decode_cursor(params.after, search_plan.sort, where)
        except InvalidParameter as exc:
            [error] = exc.errors
            wrong_sort = error.msg.startswith("cursor was issued for")
            raise InvalidParameter(
                [where, "after"],
                error.msg if wrong_sort else "not a position from this API; pass a `_cursor` value",
            ) from exc
    page_request, _count = search_plan.queries
    return ExportPlan(
        sort=search_plan.sort,
        fields=search_plan.fields,
        request={
            key: value for key, value in page_request.items() if key not in ("filter", "limit")
        },
        clauses=list(_count["filter"]),
        start=start,
    )


def _page_request(export_plan: ExportPlan, after: filters.Cursor | None) -> dict[str, Any]:
    keyset = [filters.cursor_clause(after, filters.Order(export_plan.sort.value))] if after else []
    return export_plan.request | {"filter": export_plan.clauses + keyset, "limit": PAGE_SIZE}


async def start(backend: SearchBackend, export_plan: ExportPlan) -> None:
    """Count the matches and fetch the first page; ApiError (503, 502) if Meilisearch fails."""
    count = count_request(backend.index_uid, export_plan.request["q"], export_plan.clauses)
    [page] = await service.run_async(backend, [_page_request(export_plan, export_plan.start)])
    [export_plan.total] = await exact_totals(backend, [count])
    export_plan.first_page = page["hits"]


def _record(document: dict[str, Any], export_plan: ExportPlan) -> dict[str, Any]:
    record = {
        name: document.get(service.DOCUMENT_FIELD.get(name, name)) for name in export_plan.fields
    }
    record[CURSOR_FIELD] = service.encode_cursor(
        export_plan.sort, document.get("published_at"), document["id"]
    )
    return record


@dataclass
class Interrupted:
    """Meilisearch failed after the response started: why, and where to resume."""

    error: ApiError
    after: str | None


async def pages(
    backend: SearchBackend, export_plan: ExportPlan
) -> AsyncIterator[list[dict[str, Any]] | Interrupted]:
    """Pages of records from the first page on; an `Interrupted` ends them early."""
    documents, export_plan.first_page = export_plan.first_page, []
    last_cursor = None
    while True:
        records = [_record(document, export_plan) for document in documents]
        if records:
            last_cursor = records[-1][CURSOR_FIELD]
            yield records
        if len(documents) < PAGE_SIZE:
            return
        last = documents[-1]
        after = filters.Cursor(published_at=last.get("published_at"), id=last["id"])
        try:
            [page] = await service.run_async(backend, [_page_request(export_plan, after)])
        except ApiError as exc:
            logger.warning(
                "export interrupted", extra={"error_type": exc.slug, "after": last_cursor}
            )
            yield Interrupted(error=exc, after=last_cursor)
            return
        documents = page["hits"]

"""Several labelled queries planned at once (timeline series, counts): each one's fields
over the request's top-level ones, checked and turned into a Meilisearch `q` and filter by
the search's own planner, so they mean exactly what /search means."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.errors import InvalidParameter
from app.search import service
from app.search.research_schemas import LabelledQuery, QueryApplied
from app.search.schemas import SearchParams, SearchQuery

_QUERY_FIELDS = set(SearchQuery.model_fields)


@dataclass(frozen=True)
class PlannedQuery:
    label: str
    q: str
    clauses: list[str]
    include_duplicates: bool
    applied: QueryApplied


def merged(base: SearchQuery, query: LabelledQuery | None) -> SearchParams:
    """`query`'s own fields over `base`'s (None: `base` alone)."""
    fields = base.model_dump(include=_QUERY_FIELDS, exclude_unset=True)
    if query is not None:
        fields |= query.model_dump(include=_QUERY_FIELDS, exclude_unset=True)
    return SearchParams.model_validate(fields)


def names_entities(queries: Sequence[SearchParams]) -> bool:
    """Whether planning needs the database (entity names to resolve)."""
    return any(params.entity or params.any_entity for params in queries)


def plan_all(
    *,
    index_uid: str,
    labelled: Sequence[tuple[str, SearchParams, Sequence[str | int]]],
    resolve_entities: service.EntityResolver,
) -> list[PlannedQuery]:
    """Plan each (label, params, location); an invalid one is a 422 at its location
    (["body", "series", 2] or ["query"])."""
    planned = []
    for label, params, where in labelled:
        try:
            search_plan = service.plan(
                index_uid=index_uid,
                params=params,
                where=str(where[0]),
                resolve_entities=resolve_entities,
            )
        except InvalidParameter as exc:
            [error] = exc.errors
            raise InvalidParameter([*where, *error.loc[1:]], error.msg) from exc
        request: dict[str, Any] = search_plan.queries[0]
        planned.append(
            PlannedQuery(
                label=label,
                q=request["q"],
                clauses=list(request["filter"]),
                include_duplicates=params.include_duplicates,
                applied=QueryApplied(
                    q=params.q,
                    filters=service.describe_filters(search_plan.applied, params),
                    warnings=search_plan.warnings,
                ),
            )
        )
    return planned

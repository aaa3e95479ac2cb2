"""GET/POST /search/export, GET/POST /search/timeline and POST /search/counts."""

from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import Send

from app.deps import JsonBody
from app.errors import PROBLEM_TYPE_BASE, problem_responses
from app.search import export, labelled_queries, timeline
from app.search.backend import SearchBackend
from app.search.export_formats import MEDIA_TYPES, ExportFormat, Gzip, RecordWriter
from app.search.research_schemas import (
    Compression,
    CountsRequest,
    CountsResponse,
    ExportBody,
    ExportParams,
    LabelledCount,
    TimelineParams,
    TimelineRequest,
    TimelineResponse,
)
from app.search.router import BackendDep, ResolverDep
from app.search.schemas import SearchParams
from app.search.totals import count_request, exact_totals

router = APIRouter(prefix="/search", tags=["search"])


class _EndedEarly(Exception):
    """The export could not be finished: end the body without its last chunk."""


class ExportResponse(StreamingResponse):
    """A streamed export that, when cut short, is left visibly incomplete: the connection
    closes without the chunked body's terminating chunk, which clients report as an error
    (curl: exit 18; httpx: RemoteProtocolError), instead of looking like a complete file."""

    async def stream_response(self, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        try:
            async for chunk in self.body_iterator:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except _EndedEarly:
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def wants_gzip(compress: Compression | None, accept_encoding: str) -> bool:
    """`compress` if given, else whether Accept-Encoding takes gzip (q > 0)."""
    if compress is not None:
        return compress is Compression.gzip
    for part in accept_encoding.split(","):
        name, _, parameters = part.partition(";")
        if name.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        weight = 1.0
        for parameter in parameters.split(";"):
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if weight > 0:
            return True
    return False


async def _export_body(
    backend: SearchBackend,
    export_plan: export.ExportPlan,
    writer: RecordWriter,
    gzip: Gzip | None,
) -> AsyncIterator[bytes]:
    def encoded(data: bytes) -> bytes:
        return gzip.chunk(data) if gzip is not None else data

    if header := writer.header():
        yield encoded(header)
    async for page in export.pages(backend, export_plan):
        if isinstance(page, export.Interrupted):
            if writer.format is ExportFormat.ndjson:
                problem = {
                    "type": PROBLEM_TYPE_BASE + page.error.slug,
                    "title": page.error.status.phrase,
                    "status": int(page.error.status),
                    "detail": page.error.detail + " The export is incomplete; resume with `after`.",
                    "after": page.after,
                }
                yield encoded(orjson.dumps({"_error": problem}) + b"\n")
            if gzip is not None:
                yield gzip.end()
            raise _EndedEarly
        yield encoded(writer.records(page))
    if gzip is not None:
        yield gzip.end()


async def _export(
    params: ExportParams,
    request: Request,
    backend: BackendDep,
    resolver: ResolverDep,
    where: str,
) -> Response:
    def make_plan() -> export.ExportPlan:
        return export.plan(
            index_uid=backend.index_uid, params=params, where=where, resolve_entities=resolver
        )

    needs_database = bool(params.entity or params.any_entity)
    export_plan = await run_in_threadpool(make_plan) if needs_database else make_plan()
    await export.start(backend, export_plan)
    gzip = wants_gzip(params.compress, request.headers.get("accept-encoding", ""))
    headers = {
        "X-Total-Count": str(export_plan.total),
        "Content-Disposition": f'attachment; filename="articles.{params.format.value}"',
        "Cache-Control": "no-store",
        "Vary": "Accept-Encoding",
    }
    if gzip:
        headers["Content-Encoding"] = "gzip"
    writer = RecordWriter(params.format, export_plan.fields)
    return ExportResponse(
        _export_body(backend, export_plan, writer, Gzip() if gzip else None),
        media_type=MEDIA_TYPES[params.format],
        headers=headers,
    )


_RECORD_FIELDS = "id, url, external_id, title, summary, body, authors, source, section, language, tags, published_at, entities, duplicate_of, image_caption, credit, related_titles"
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Every matching article: NDJSON, one JSON object per line, or CSV with a "
        f"header row. Each record has the chosen fields ({_RECORD_FIELDS}; default all) and "
        "`_cursor`, its position for `after`. If the search engine fails mid-stream the body "
        "ends without its final chunk (an incomplete download), an NDJSON one after a last "
        'line `{"_error": {problem, "after": cursor}}`.',
        "headers": {
            "X-Total-Count": {
                "description": "Articles matching when the export started.",
                "schema": {"type": "integer"},
            },
            "Content-Disposition": {
                "description": "attachment; filename=articles.ndjson or articles.csv",
                "schema": {"type": "string"},
            },
        },
        "content": {
            MEDIA_TYPES[ExportFormat.ndjson]: {
                "schema": {"type": "string"},
                "example": '{"id":7,"title":"Harbour bridge reopens","published_at":'
                '"2024-05-17T07:30:00+00:00","_cursor":"eyJzIjoibmV3ZXN0IiwicCI6MTcxNTkzMTAwMCwiaSI6N30"}\n',
            },
            "text/csv": {
                "schema": {"type": "string"},
                "example": "id,title,tags,_cursor\r\n7,Harbour bridge reopens,transport|city,"
                "eyJzIjoibmV3ZXN0IiwicCI6MTcxNTkzMTAwMCwiaSI6N30\r\n",
            },
        },
    },
}


@router.get(
    "/export",
    response_class=ExportResponse,
    responses={**EXPORT_RESPONSES, **problem_responses(422, 502, 503)},
    summary="Export every matching article as NDJSON or CSV (streamed, resumable)",
)
async def export_get(
    params: Annotated[ExportParams, Query()],
    request: Request,
    backend: BackendDep,
    resolver: ResolverDep,
) -> Response:
    """The search's query parameters (q, from, to, entity, any_entity, entity_type,
    include_places_within, source, section, language, tag, include_duplicates) select the
    articles; paging and presentation parameters of /search are refused. gzip when the client
    accepts it or `compress=gzip`. To continue an interrupted export, repeat the request with
    `after` set to the last `_cursor` received."""
    return await _export(params, request, backend, resolver, "query")


@router.post(
    "/export",
    response_class=ExportResponse,
    responses={**EXPORT_RESPONSES, **problem_responses(400, 415, 422, 502, 503)},
    dependencies=[JsonBody],
    summary="Export with the parameters in a JSON body",
)
async def export_post(
    params: ExportBody, request: Request, backend: BackendDep, resolver: ResolverDep
) -> Response:
    return await _export(params, request, backend, resolver, "body")


async def _timeline(
    request: TimelineParams | TimelineRequest,
    labelled: list[tuple[str, SearchParams, list[str | int]]],
    backend: BackendDep,
    resolver: ResolverDep,
    where: str,
) -> TimelineResponse:
    def make_plans() -> list[labelled_queries.PlannedQuery]:
        return labelled_queries.plan_all(
            index_uid=backend.index_uid, labelled=labelled, resolve_entities=resolver
        )

    needs_database = labelled_queries.names_entities([params for _, params, _ in labelled])
    planned = await run_in_threadpool(make_plans) if needs_database else make_plans()
    return await timeline.timeline(
        backend=backend,
        series=planned,
        base=request,
        interval=request.interval,
        tz_name=request.tz,
        where=where,
    )


TIMELINE_RESPONSES = problem_responses(422, 502, 503)


@router.get(
    "/timeline",
    response_model=TimelineResponse,
    responses=TIMELINE_RESPONSES,
    summary="Matching articles per day, week, month or year, and their share of all articles",
)
async def timeline_get(
    params: Annotated[TimelineParams, Query()], backend: BackendDep, resolver: ResolverDep
) -> TimelineResponse:
    """The search's query parameters, plus `interval` and `tz`. Buckets run from `from` to
    `to` (else from the earliest to the latest match), empty ones included."""
    labelled: list[tuple[str, SearchParams, list[str | int]]] = [
        (
            params.label,
            timeline.in_zone(labelled_queries.merged(params, None), params.tz),
            ["query"],
        )
    ]
    return await _timeline(params, labelled, backend, resolver, "query")


@router.post(
    "/timeline",
    response_model=TimelineResponse,
    responses=problem_responses(400, 415, 422, 502, 503),
    dependencies=[JsonBody],
    summary="Timelines of several labelled queries side by side",
)
async def timeline_post(
    body: TimelineRequest, backend: BackendDep, resolver: ResolverDep
) -> TimelineResponse:
    """Top-level query fields apply to every series; a series' own fields replace them.
    `from`/`to` at the top level set the range of the buckets."""
    labelled: list[tuple[str, SearchParams, list[str | int]]]
    if body.series:
        labelled = [
            (query.label, labelled_queries.merged(body, query), ["body", "series", n])
            for n, query in enumerate(body.series)
        ]
    else:
        labelled = [("query", labelled_queries.merged(body, None), ["body"])]
    labelled = [
        (label, timeline.in_zone(params, body.tz), where) for label, params, where in labelled
    ]
    return await _timeline(body, labelled, backend, resolver, "body")


@router.post(
    "/counts",
    response_model=CountsResponse,
    responses=problem_responses(400, 415, 422, 502, 503),
    dependencies=[JsonBody],
    summary="Totals of up to 100 labelled queries in one request",
)
async def counts(body: CountsRequest, backend: BackendDep, resolver: ResolverDep) -> CountsResponse:
    """Top-level query fields apply to every query; a query's own fields replace them. Totals
    are exact and count articles matching every word of `q`."""
    labelled: list[tuple[str, SearchParams, list[str | int]]] = [
        (query.label, labelled_queries.merged(body, query), ["body", "queries", n])
        for n, query in enumerate(body.queries)
    ]

    def make_plans() -> list[labelled_queries.PlannedQuery]:
        return labelled_queries.plan_all(
            index_uid=backend.index_uid, labelled=labelled, resolve_entities=resolver
        )

    needs_database = labelled_queries.names_entities([params for _, params, _ in labelled])
    planned = await run_in_threadpool(make_plans) if needs_database else make_plans()
    totals = await exact_totals(
        backend, [count_request(backend.index_uid, p.q, p.clauses) for p in planned]
    )
    return CountsResponse(
        counts=[
            LabelledCount(label=p.label, total=total, query=p.applied)
            for p, total in zip(planned, totals, strict=True)
        ]
    )

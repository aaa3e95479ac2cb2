"""HTTP routes for getting many articles in: raw pages (POST /articles/import), bulk JSON."""

import codecs
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from app.articles import service as articles_service
from app.articles.schemas import ArticleCreate, IsoDateTime, Language
from app.auth.deps import RequireWrite
from app.config import Settings
from app.deps import SessionDep, SettingsDep, get_engine, get_settings
from app.errors import (
    BadRequest,
    InvalidParameter,
    PayloadTooLarge,
    UnsupportedMediaType,
    problem_responses,
)
from app.field_types import NOT_BLANK_PATTERN
from app.ingestion import service
from app.ingestion.html import parse_html
from app.ingestion.parsed import ParsedArticle, ParseError
from app.ingestion.raw_text import parse_raw_text
from app.ingestion.schemas import BulkResult, CleaningReport, ImportedArticle

router = APIRouter(prefix="/articles", tags=["ingestion"])

TEXT_TYPES = ("text/plain", "text/html")
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")
#: Codecs in which a NUL byte is ordinary text rather than a sign of binary data.
_WIDE_CODECS = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})


def _content_type(request: Request) -> tuple[str, str | None]:
    """The media type (lower case) and the charset parameter, if any."""
    raw = request.headers.get("content-type", "")
    media_type, *params = (part.strip() for part in raw.split(";"))
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower() or None
    return media_type.lower(), charset


def decode_strictly(raw: bytes, charset: str | None, *, where: str = "body") -> str:
    """`raw` as text in `charset` (UTF-8 when unstated); binary or bad bytes name their offset."""
    codec = charset or "utf-8"
    try:
        name = codecs.lookup(codec).name
    except LookupError as error:
        raise UnsupportedMediaType(f"charset {codec!r} is not a known text encoding.") from error
    if name not in _WIDE_CODECS:
        nul = raw.find(b"\x00")
        if nul >= 0:
            raise UnsupportedMediaType(
                f"The {where} looks binary (a NUL byte at byte offset {nul}); send text."
            )
    try:
        return raw.decode(name)
    except UnicodeDecodeError as error:
        bad = raw[error.start : error.start + 1].hex()
        raise InvalidParameter(
            [where], f"not valid {codec}: byte 0x{bad} at byte offset {error.start}"
        ) from error


@dataclass(frozen=True)
class SubmittedText:
    media_type: str
    text: str


async def submitted_text(request: Request) -> SubmittedText:
    media_type, charset = _content_type(request)
    if media_type not in TEXT_TYPES:
        shown = media_type or "none"
        raise UnsupportedMediaType(
            f"Content-Type {shown} is not supported here; send text/plain or text/html."
        )
    return SubmittedText(media_type, decode_strictly(await request.body(), charset))


def _relocated(error: ValidationError, from_query: set[str]) -> RequestValidationError:
    """Point each failure at where the value came from: the query string or the text."""
    errors = []
    for detail in error.errors():
        field = str(detail["loc"][0]) if detail["loc"] else ""
        origin = "query" if field in from_query else "body"
        errors.append({**detail, "loc": (origin, *detail["loc"])})
    return RequestValidationError(errors)


#: Any text with something besides whitespace in it; what the text must hold to make an
#: article (a headline and a body) is beyond a schema, and its absence is a 422.
IMPORT_TEXT_SCHEMA = {"type": "string", "minLength": 1, "pattern": NOT_BLANK_PATTERN}


@router.post(
    "/import",
    response_model=ImportedArticle,
    status_code=status.HTTP_201_CREATED,
    dependencies=[RequireWrite],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/plain": {"schema": IMPORT_TEXT_SCHEMA},
                "text/html": {"schema": IMPORT_TEXT_SCHEMA},
            },
        }
    },
    responses={
        200: {"model": ImportedArticle, "description": "Same url: updated or unchanged"},
        **problem_responses(401, 403, 409, 413, 415, 422),
    },
    summary="Import one article from raw page text or an HTML page",
)
def import_article(
    submitted: Annotated[SubmittedText, Depends(submitted_text)],
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    url: Annotated[str | None, Query(description="Canonical URL; the upsert key.")] = None,
    external_id: Annotated[str | None, Query(description="Your own id; also a key.")] = None,
    source: Annotated[str | None, Query(description="Publisher name.")] = None,
    section: str | None = None,
    language: Annotated[
        Language | None, Query(description="ISO 639-1 code in lower case; default en.")
    ] = None,
    published_at: Annotated[
        IsoDateTime | None, Query(description="ISO 8601 with a timezone offset.")
    ] = None,
) -> ImportedArticle:
    """`text/plain` is a publisher's page export (headline first, then standfirst and body);
    `text/html` is an article page. The text is cleaned, and the response's `cleaning` lists
    what was taken out. Query parameters, when given, win over what the text says. Like
    POST /articles: 201 with Location when new, 200 when the url or external_id is known."""
    try:
        if submitted.media_type == "text/html":
            parsed: ParsedArticle = parse_html(submitted.text, url=url)
        else:
            parsed = parse_raw_text(submitted.text)
    except ParseError as error:
        raise InvalidParameter(["body"], str(error)) from error
    given = {
        "url": url,
        "external_id": external_id,
        "source": source,
        "section": section,
        "language": language,
        "published_at": published_at,
    }
    payload = service.payload_from_parsed(parsed, **given)
    try:
        data = ArticleCreate.model_validate(payload)
    except ValidationError as error:
        supplied = {name for name, value in given.items() if value is not None}
        raise _relocated(error, supplied) from error
    if len(data.body) > settings.MAX_BODY_CHARS:
        raise PayloadTooLarge(
            f"body has {len(data.body)} characters; the limit is {settings.MAX_BODY_CHARS}."
        )
    article, outcome = articles_service.upsert(
        session=session, data=data, extract=settings.ENTITY_EXTRACTION_ENABLED
    )
    if outcome is articles_service.Outcome.created:
        response.headers["Location"] = f"/articles/{article.id}"
    else:
        response.status_code = status.HTTP_200_OK
    response.headers["X-Upsert-Outcome"] = outcome.value
    cleaning = CleaningReport(
        removed=parsed.removed,
        image_caption=parsed.image_caption,
        credit=parsed.credit,
        related_titles=parsed.related_titles,
    )
    stored = articles_service.to_public(session=session, articles=[article])[0]
    return ImportedArticle.model_validate({**stored.model_dump(), "cleaning": cleaning})


# --- bulk ----------------------------------------------------------------------------------

#: A record of a bulk request: its index and the decoded JSON value, or why there is none.
Record = tuple[int, Any]


class _Unreadable:
    def __init__(self, reason: str) -> None:
        self.reason = reason


async def _ndjson_records(request: Request) -> AsyncIterator[Record]:
    """Records of a JSON Lines body, read as it arrives; blank lines are skipped.

    The body may be any size (the request-size limit does not apply to it); each line may be
    at most MAX_REQUEST_BYTES, so no single record can fill the memory.
    """
    max_line = get_settings(request).MAX_REQUEST_BYTES
    pending = b""
    offset = 0  # byte offset of `pending` within the body
    line_number = 0
    index = 0

    def decode(line: bytes, start: int) -> Any:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            bad = line[error.start : error.start + 1].hex()
            return _Unreadable(
                f"line {line_number} is not valid UTF-8: byte 0x{bad} at byte offset "
                f"{start + error.start} of the body"
            )
        if line_number == 1:
            text = text.removeprefix("\ufeff")
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            return _Unreadable(f"line {line_number} is not JSON: {error.msg}")
        except RecursionError:
            return _Unreadable(f"line {line_number} is nested too deeply to be an article")

    async def lines() -> AsyncIterator[tuple[bytes, int]]:
        nonlocal pending, offset
        async for chunk in request.stream():
            pending += chunk
            start = 0
            while (end := pending.find(b"\n", start)) >= 0:
                if end - start > max_line:
                    raise PayloadTooLarge(
                        f"line {line_number + 1} is longer than the limit of {max_line} bytes"
                    )
                yield pending[start:end], offset + start
                start = end + 1
            pending = pending[start:]
            offset += start
            if len(pending) > max_line:
                raise PayloadTooLarge(
                    f"line {line_number + 1} is longer than the limit of {max_line} bytes"
                )
        if pending:
            yield pending, offset

    async for line, start in lines():
        line_number += 1
        if not line.strip():
            continue
        yield index, decode(line.rstrip(b"\r"), start)
        index += 1


def _array_records(raw: bytes, limit: int) -> list[Record]:
    text = decode_strictly(raw, None)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidParameter(["body"], f"malformed JSON: {error.msg}") from error
    except RecursionError as error:
        # As FastAPI answers a body it cannot parse on every other route.
        raise BadRequest("The JSON is nested too deeply to parse.") from error
    if not isinstance(value, list):
        raise InvalidParameter(["body"], "must be a JSON array of articles")
    if len(value) > limit:
        raise PayloadTooLarge(
            f"The array has {len(value)} articles; the limit is {limit}. "
            "Send fewer, or send application/x-ndjson, which has no count limit."
        )
    return list(enumerate(value))


def _refuse_invalid_items(records: list[Record]) -> None:
    """A JSON array is typed by the schema, an ArticleCreate per item: an item that is not
    one fails the whole request (422, every failure located), and nothing is stored. What
    only storing can tell (a url of another article, a body over MAX_BODY_CHARS) is an
    `error` item, as is every failure of an NDJSON line."""
    errors: list[dict[str, Any]] = []
    for index, value in records:
        try:
            ArticleCreate.model_validate(value)
        except ValidationError as error:
            errors.extend(
                {**detail, "loc": ("body", index, *detail["loc"])} for detail in error.errors()
            )
    if errors:
        raise RequestValidationError(errors)


def _store_records(records: list[Record], engine: Any, settings: Settings) -> list[service.Stored]:
    results: dict[int, service.Stored] = {}
    valid = []
    for index, value in records:
        if isinstance(value, _Unreadable):
            results[index] = service.failed(index, value.reason)
            continue
        try:
            valid.append(
                (index, service.validate_article(value, max_body_chars=settings.MAX_BODY_CHARS))
            )
        except service.InvalidArticle as error:
            results[index] = service.failed(index, str(error))
    stored_items = service.store_chunk(
        engine=engine, items=valid, extract=settings.ENTITY_EXTRACTION_ENABLED
    )
    for stored in stored_items:
        results[stored.index] = stored
    return [results[index] for index, _ in records]


@router.post(
    "/bulk",
    response_model=BulkResult,
    dependencies=[RequireWrite],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "application/json": {
                    "schema": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/ArticleCreate"},
                    }
                },
            },
        }
    },
    responses=problem_responses(401, 403, 413, 415, 422),
    summary="Create or update many articles; one result per article",
)
async def bulk_articles(request: Request) -> BulkResult:
    """Each article is what POST /articles takes. `application/x-ndjson` (one article per line)
    is read as it arrives and has no count limit; an `application/json` array holds at most
    BULK_MAX_ITEMS. Each article is stored on its own: a bad one is an `error` item and the
    others are still stored. Sending the same request again gives `unchanged` items."""
    settings = get_settings(request)
    engine = get_engine(request)
    media_type, charset = _content_type(request)
    if charset not in (None, "utf-8", "utf8"):
        raise UnsupportedMediaType(f"charset {charset} is not supported here; send UTF-8.")
    results: list[service.Stored] = []

    async def flush(chunk: list[Record]) -> None:
        results.extend(await run_in_threadpool(_store_records, chunk, engine, settings))
        _wake_index(request)

    if media_type in NDJSON_TYPES:
        chunk: list[Record] = []
        async for record in _ndjson_records(request):
            chunk.append(record)
            if len(chunk) >= service.CHUNK_SIZE:
                await flush(chunk)
                chunk = []
        if chunk:
            await flush(chunk)
    elif media_type == "application/json" or media_type.endswith("+json"):
        records = _array_records(await request.body(), settings.BULK_MAX_ITEMS)
        _refuse_invalid_items(records)
        for start in range(0, len(records), service.CHUNK_SIZE):
            await flush(records[start : start + service.CHUNK_SIZE])
    else:
        shown = media_type or "none"
        raise UnsupportedMediaType(
            f"Content-Type {shown} is not supported here; "
            "send application/x-ndjson or application/json."
        )
    return BulkResult(
        items=[stored.to_item() for stored in results], totals=service.totals(results)
    )


def _wake_index(request: Request) -> None:
    wake: Callable[[], None] | None = getattr(request.app.state.search, "wake", None)
    if wake is not None:
        wake()

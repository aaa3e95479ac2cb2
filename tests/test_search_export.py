"""GET/POST /search/export and `newsarchive export` against a real Meilisearch, on SQLite and
PostgreSQL: the whole result set in keyset order across pages, NDJSON and CSV, fields, gzip,
resuming with `after` and --resume, failures before and during the stream, bad input."""

import csv
import gzip
import io
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import app as cli
from app.config import get_settings
from app.search import export
from app.search.export_formats import split_list_cell
from app.search.meili_http import AsyncMeiliHttp, MeiliAnswer, MeiliUnreachable
from app.search.schemas import PUBLIC_FIELDS
from tests.archive_fixture import BROWSER_ORIGIN, module_archive

AWKWARD_TITLE = 'Port, "quoted" and\nmulti-line'

ARTICLES: list[dict[str, Any]] = [
    # 1
    {
        "title": "Harbour bridge reopens",
        "body": "The harbour bridge reopened on Friday after repairs.",
        "source": "Gazette",
        "tags": ["transport", "a|b", "back\\slash"],
        "authors": ["Ann Lee", "Bo Chan"],
        "published_at": "2024-03-01T08:00:00+00:00",
        "entities": [{"name": "Harbour Authority", "type": "organization"}],
    },
    # 2: the same second as 3 and 4, so pages cut inside a tie
    {
        "title": "Ferry timetable changes",
        "body": "The harbour ferry sails every hour from Monday.",
        "source": "Herald",
        "tags": ["transport"],
        "published_at": "2024-03-02T12:00:00+00:00",
    },
    # 3
    {
        "title": "Harbour fish market",
        "body": "Fish prices at the harbour market rose again.",
        "source": "Gazette",
        "tags": [],
        "published_at": "2024-03-02T12:00:00+00:00",
        "entities": [{"name": "Harbour Authority", "type": "organization"}],
    },
    # 4
    {
        "title": AWKWARD_TITLE,
        "body": "Commas, quotes and line breaks\r\nsurvive CSV.",
        "source": "Gazette",
        "tags": ["misc"],
        "published_at": "2024-03-02T12:00:00+00:00",
    },
    # 5
    {
        "title": "Grain prices fall",
        "body": "Wheat and maize fell on the exchange.",
        "source": "Wire",
        "tags": ["commodities"],
        "published_at": "2024-04-10T09:00:00+00:00",
    },
    # 6: undated, so last in either order
    {
        "title": "Undated harbour note",
        "body": "An old note about the harbour with no known date.",
        "source": "Archive",
        "published_at": None,
    },
    # 7: a duplicate of 5 (same text, another url): left out unless include_duplicates
    {
        "title": "Grain prices fall",
        "body": "Wheat and maize fell on the exchange.",
        "source": "Wire",
        "tags": ["commodities"],
        "published_at": "2024-04-10T09:00:00+00:00",
    },
    # 8
    {
        "title": "Old harbour photographs",
        "body": "Photographs of the harbour in 1950 were found.",
        "source": "Herald",
        "published_at": "2023-12-31T23:30:00+00:00",
    },
    # 9: undated too
    {"title": "Another undated item", "body": "Nothing dated here.", "source": "Archive"},
]
NEWEST = [5, 4, 3, 2, 1, 8, 9, 6]
OLDEST = [8, 1, 2, 3, 4, 5, 6, 9]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def archive(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    with module_archive(request, request.param, ARTICLES) as client:
        yield client


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of 3, so the 8 articles take several Meilisearch requests."""
    monkeypatch.setattr(export, "PAGE_SIZE", 3)


def lines(response: Any) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in response.content.splitlines()]


def ids(records: list[dict[str, Any]]) -> list[int]:
    return [record["id"] for record in records]


def test_ndjson_holds_every_match_newest_first_across_pages(
    archive: TestClient, small_pages: None
) -> None:
    response = archive.get("/search/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["x-total-count"] == "8"
    assert response.headers["content-disposition"] == 'attachment; filename="articles.ndjson"'
    records = lines(response)
    assert ids(records) == NEWEST
    assert all(list(record) == [*PUBLIC_FIELDS, "_cursor"] for record in records)
    first = records[0]
    assert first["title"] == "Grain prices fall"
    assert first["published_at"] == "2024-04-10T09:00:00+00:00"
    assert first["duplicate_of"] is None
    assert records[-1]["published_at"] is None


def test_oldest_first_and_duplicates_on_request(archive: TestClient, small_pages: None) -> None:
    assert ids(lines(archive.get("/search/export?sort=oldest"))) == OLDEST
    with_duplicates = archive.get("/search/export?include_duplicates=true")
    assert ids(lines(with_duplicates)) == [7, 5, 4, 3, 2, 1, 8, 9, 6]
    assert with_duplicates.headers["x-total-count"] == "9"


def test_the_same_articles_as_a_search_cursor_walk(archive: TestClient, small_pages: None) -> None:
    query = {"q": "harbour", "source": ["Gazette", "Herald", "Archive"], "from": "2024-01-01"}
    walked: list[int] = []
    cursor = "*"
    while cursor:
        page = archive.get(
            "/search", params={**query, "sort": "newest", "per_page": 2, "cursor": cursor}
        ).json()
        walked += [hit["id"] for hit in page["hits"]]
        cursor = page["next"]
    exported = archive.get("/search/export", params=query)
    assert ids(lines(exported)) == walked == [3, 2, 1]
    assert exported.headers["x-total-count"] == str(page["total"])


def test_entity_filter_and_post_body(archive: TestClient) -> None:
    body = {"entity": ["Harbour Authority"], "fields": ["title"], "sort": "oldest"}
    response = archive.post("/search/export", json=body)
    assert response.status_code == 200
    assert lines(response) == [
        {"id": 1, "title": "Harbour bridge reopens", "_cursor": lines(response)[0]["_cursor"]},
        {"id": 3, "title": "Harbour fish market", "_cursor": lines(response)[1]["_cursor"]},
    ]


def test_after_continues_from_a_cursor(archive: TestClient, small_pages: None) -> None:
    records = lines(archive.get("/search/export"))
    for cut in (1, 3, 6, 7):
        rest = archive.get("/search/export", params={"after": records[cut - 1]["_cursor"]})
        assert ids(lines(rest)) == NEWEST[cut:]
        assert rest.headers["x-total-count"] == "8"
    # A /search `next` of the same sort is a position too.
    page = archive.get("/search?sort=newest&per_page=2&cursor=*").json()
    assert ids(lines(archive.get("/search/export", params={"after": page["next"]}))) == NEWEST[2:]


def test_fields_choose_the_columns(archive: TestClient) -> None:
    response = archive.get("/search/export?fields=title,tags&fields=published_at&q=grain")
    [record] = lines(response)
    assert list(record) == ["id", "title", "tags", "published_at", "_cursor"]
    assert record["tags"] == ["commodities"]


def test_csv_is_rfc_4180_with_joined_lists(archive: TestClient, small_pages: None) -> None:
    response = archive.get("/search/export?format=csv&fields=title,tags,authors,entities,section")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8; header=present"
    text = response.content.decode()
    assert text.startswith("id,title,tags,authors,entities,section,_cursor\r\n")
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["id", "title", "tags", "authors", "entities", "section", "_cursor"]
    by_id = {int(row[0]): row for row in rows[1:]}
    assert list(by_id) == NEWEST
    assert by_id[4][1] == AWKWARD_TITLE
    assert f'"{AWKWARD_TITLE.replace(chr(34), 2 * chr(34))}"' in text
    first = by_id[1]
    assert split_list_cell(first[2]) == ["transport", "a|b", "back\\slash"]
    assert first[2] == "transport|a\\|b|back\\\\slash"
    assert split_list_cell(first[3]) == ["Ann Lee", "Bo Chan"]
    assert first[4] == "harbour-authority"
    assert first[5] == ""
    assert by_id[3][2] == ""
    json_cursors = [record["_cursor"] for record in lines(archive.get("/search/export"))]
    assert [row[-1] for row in rows[1:]] == json_cursors


def test_a_browser_may_read_the_total_and_file_name(archive: TestClient) -> None:
    response = archive.get("/search/export?q=grain", headers={"Origin": BROWSER_ORIGIN})
    assert response.headers["access-control-allow-origin"] == BROWSER_ORIGIN
    exposed = response.headers["access-control-expose-headers"].lower().split(", ")
    assert {"x-total-count", "content-disposition"} <= set(exposed)


def test_empty_results(archive: TestClient) -> None:
    ndjson = archive.get("/search/export?q=zeppelin")
    assert (ndjson.status_code, ndjson.content, ndjson.headers["x-total-count"]) == (200, b"", "0")
    as_csv = archive.get("/search/export?q=zeppelin&format=csv&fields=title")
    assert as_csv.text == "id,title,_cursor\r\n"


def raw_body(client: TestClient, url: str, headers: dict[str, str]) -> tuple[dict[str, str], bytes]:
    with client.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200
        return dict(response.headers), b"".join(response.iter_raw())


def test_gzip_when_accepted_or_asked(archive: TestClient, small_pages: None) -> None:
    plain_headers, plain = raw_body(archive, "/search/export", {"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain_headers
    assert "Accept-Encoding" in plain_headers["vary"].split(", ")
    for url, accept in (
        ("/search/export", "br;q=1.0, gzip;q=0.5"),
        ("/search/export?compress=gzip", "identity"),
    ):
        headers, body = raw_body(archive, url, {"Accept-Encoding": accept})
        assert headers["content-encoding"] == "gzip"
        assert gzip.decompress(body) == plain
    for url, accept in (
        ("/search/export?compress=none", "gzip"),
        ("/search/export", "gzip;q=0"),
    ):
        headers, body = raw_body(archive, url, {"Accept-Encoding": accept})
        assert "content-encoding" not in headers
        assert body == plain


@pytest.mark.parametrize(
    ("query", "loc", "message"),
    [
        ("page=2", ["query"], "page: not taken by an export"),
        ("per_page=10&facets=source", ["query"], "per_page, facets: not taken by an export"),
        ("highlight=true", ["query"], "highlight: not taken by an export"),
        ("cursor=*", ["query"], "cursor: not taken by an export"),
        ("sort=relevance", ["query", "sort"], "Input should be 'newest' or 'oldest'"),
        ("format=xml", ["query", "format"], "Input should be 'ndjson' or 'csv'"),
        ("compress=br", ["query", "compress"], "Input should be 'gzip' or 'none'"),
        ("fields=title,nope", ["query", "fields"], "unknown field(s) nope"),
        ("after=not-a-cursor", ["query", "after"], "not a position from this API"),
        ("from=2024-05-01&to=2024-04-01", ["query", "from"], "must not be after `to`"),
        ("tz=UTC", ["query", "tz"], "Extra inputs are not permitted"),
    ],
)
def test_bad_input_is_a_422_problem(
    archive: TestClient, query: str, loc: list[str], message: str
) -> None:
    response = archive.get(f"/search/export?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["loc"] == loc
    assert message in error["msg"]


def test_a_cursor_of_the_other_order_is_refused(archive: TestClient) -> None:
    oldest_cursor = lines(archive.get("/search/export?sort=oldest"))[0]["_cursor"]
    response = archive.get("/search/export", params={"after": oldest_cursor})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"loc": ["query", "after"], "msg": "cursor was issued for sort=oldest"}
    ]


def failing_after(archive: TestClient, monkeypatch: pytest.MonkeyPatch, calls: int) -> None:
    """Meilisearch stops answering after `calls` requests."""
    http = archive.app.state.search.async_http  # type: ignore[attr-defined]
    post = http.post
    made = 0

    async def post_then_fail(path: str, body: Any) -> MeiliAnswer:
        nonlocal made
        made += 1
        if made > calls:
            raise MeiliUnreachable("connection refused")
        answer: MeiliAnswer = await post(path, body)
        return answer

    monkeypatch.setattr(http, "post", post_then_fail)


def test_meilisearch_down_before_the_stream_is_a_503(
    archive: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing_after(archive, monkeypatch, 0)
    response = archive.get("/search/export")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["detail"] == "Search is temporarily unavailable; try again shortly."


def test_meilisearch_failing_mid_stream_ends_it_with_an_error_line_and_after_resumes(
    archive: TestClient, monkeypatch: pytest.MonkeyPatch, small_pages: None
) -> None:
    failing_after(archive, monkeypatch, 2)  # the first page and the count answer
    records = lines(archive.get("/search/export", headers={"Accept-Encoding": "identity"}))
    *exported, last = records
    assert ids(exported) == NEWEST[:3]
    assert last == {
        "_error": {
            "type": "https://newsarchive.dev/problems/service-unavailable",
            "title": "Service Unavailable",
            "status": 503,
            "detail": "Search is temporarily unavailable; try again shortly. The export is "
            "incomplete; resume with `after`.",
            "after": exported[-1]["_cursor"],
        }
    }
    monkeypatch.undo()
    monkeypatch.setattr(export, "PAGE_SIZE", 3)
    rest = archive.get("/search/export", params={"after": last["_error"]["after"]})
    assert ids(exported) + ids(lines(rest)) == NEWEST


def test_csv_cut_short_mid_stream_holds_only_complete_rows(
    archive: TestClient, monkeypatch: pytest.MonkeyPatch, small_pages: None
) -> None:
    failing_after(archive, monkeypatch, 2)
    text = archive.get("/search/export?format=csv&fields=title").text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert [row[0] for row in rows] == ["id", *map(str, NEWEST[:3])]


@contextmanager
def uvicorn_serving(app: Any) -> Iterator[str]:
    """`app` behind a real HTTP server on loopback (its lifespan already running)."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="critical")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        [port] = {sock.getsockname()[1] for s in server.servers for sock in s.sockets}
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_cut_stream_is_an_incomplete_http_body(
    archive: TestClient, monkeypatch: pytest.MonkeyPatch, small_pages: None
) -> None:
    """Over real HTTP, an export cut short lacks the chunked body's last chunk, so clients
    report an error instead of keeping a file that looks complete."""
    failing_after(archive, monkeypatch, 2)
    received = b""
    with (
        uvicorn_serving(archive.app) as url,
        pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"),
        httpx.stream(
            "GET",
            f"{url}/search/export?format=csv&fields=title",
            headers={"Accept-Encoding": "identity"},
        ) as response,
    ):
        assert response.status_code == 200
        for chunk in response.iter_raw():
            received += chunk
    rows = list(csv.reader(io.StringIO(received.decode(), newline="")))
    assert [row[0] for row in rows] == ["id", *map(str, NEWEST[:3])]


def run_export(archive: TestClient, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    settings = archive.app.state.settings  # type: ignore[attr-defined]
    for name in ("DATABASE_URL", "MEILI_URL", "MEILI_INDEX", "DATA_DIR"):
        monkeypatch.setenv(name, str(getattr(settings, name)))
    monkeypatch.setenv("MEILI_MASTER_KEY", settings.MEILI_MASTER_KEY.get_secret_value())
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    # No wrapping: rich would cut a long path (a temporary directory's) where it has no space.
    monkeypatch.setenv("COLUMNS", "1000")
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, ["export", *args])
    finally:
        get_settings.cache_clear()


def said(result: Any) -> str:
    """The command's output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def test_cli_exports_the_same_file_and_resumes_a_cut_one(
    archive: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, small_pages: None
) -> None:
    api = archive.get("/search/export?format=csv&fields=title,tags&source=Gazette&sort=oldest")
    options = ["--source", "Gazette", "--sort", "oldest", "--fields", "title,tags"]
    target = tmp_path / "gazette.csv"
    result = run_export(archive, monkeypatch, *options, "-o", str(target))
    assert result.exit_code == 0, result.output
    assert "exported 3 articles" in said(result)
    assert target.read_bytes() == api.content
    # Cut inside the quoted multi-line title of the last row: --resume keeps two rows.
    target.write_bytes(api.content[: api.content.index(b"multi-line")])
    result = run_export(archive, monkeypatch, *options, "-o", str(target), "--resume")
    assert result.exit_code == 0, result.output
    assert "exported 3 articles" in said(result)
    assert target.read_bytes() == api.content

    ndjson = archive.get("/search/export?q=harbour").content
    target = tmp_path / "harbour.ndjson"
    target.write_bytes(ndjson[: ndjson.index(b"\n", 10) + 25])
    result = run_export(archive, monkeypatch, "-q", "harbour", "-o", str(target), "--resume")
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == ndjson

    packed = tmp_path / "all.ndjson.gz"
    result = run_export(archive, monkeypatch, "--sort", "oldest", "-o", str(packed))
    assert result.exit_code == 0, result.output
    assert (
        ids([orjson.loads(line) for line in gzip.decompress(packed.read_bytes()).splitlines()])
        == OLDEST
    )


def test_cli_refuses_bad_options_and_a_file_of_other_columns(
    archive: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    target = tmp_path / "out.csv"
    result = run_export(archive, monkeypatch, "--fields", "nope", "-o", str(target))
    assert result.exit_code == 1
    assert "--fields: unknown field(s) nope" in said(result)
    assert not target.exists()
    target.write_bytes(b"id,title,_cursor\r\n")
    result = run_export(archive, monkeypatch, "--fields", "tags", "-o", str(target), "--resume")
    assert result.exit_code == 1
    assert "has columns id,title,_cursor; this export writes id,tags,_cursor" in said(result)
    assert target.read_bytes() == b"id,title,_cursor\r\n"


def test_cli_stops_when_meilisearch_fails_and_resume_finishes(
    archive: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, small_pages: None
) -> None:
    expected = archive.get("/search/export?format=csv&fields=title").content
    post = AsyncMeiliHttp.post
    made = 0

    async def post_then_fail(self: AsyncMeiliHttp, path: str, body: Any) -> MeiliAnswer:
        nonlocal made
        made += 1
        if made > 2:  # the first page and the count
            raise MeiliUnreachable("connection refused")
        return await post(self, path, body)

    target = tmp_path / "all.csv"
    with monkeypatch.context() as faults:
        faults.setattr(AsyncMeiliHttp, "post", post_then_fail)
        result = run_export(archive, monkeypatch, "--fields", "title", "-o", str(target))
    assert result.exit_code == 1
    assert (
        f"Stopped after 3 articles in {target} (Search is temporarily unavailable; try again "
        "shortly.); run the same command with --resume to continue." in said(result)
    )
    rows = list(csv.reader(io.StringIO(target.read_bytes().decode(), newline="")))
    assert [row[0] for row in rows] == ["id", *map(str, NEWEST[:3])]
    result = run_export(archive, monkeypatch, "--fields", "title", "-o", str(target), "--resume")
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == expected

"""Anonymous GET /search is answered by app/search/fast_path.py; keyed requests go through the
route. Both must give the same answers, errors included, and the fast path must hand over
every case it does not handle itself."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from app.search.fast_path import SearchFastPath
from tests.test_search_api import seeded  # noqa: F401  (fixture)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ANSWERED: list[dict[str, Any]] = [
    {},
    {"q": "bridge"},
    {"q": "ferri"},
    {"q": '"harbour bridge"'},
    {"q": "bridge -ferry"},
    {"q": "harbour bridge", "per_page": 2, "page": 2},
    {"q": "bridge", "sort": "newest"},
    {"sort": "oldest"},
    {"from": "2024-03-01", "to": "2024-03-02"},
    {"from": "2024-03-02T12:30:00Z", "to": "2024-03-02T14:30:00+02:00"},
    {"source": ["Gazette", "Wire"]},
    {"tag": "transport", "language": "en"},
    {"section": "sport"},
    {"entity_type": ["place", "person"]},
    {"include_duplicates": "true", "include_places_within": "1"},
    {"q": "harbour", "highlight": "true", "highlight_pre_tag": "[", "highlight_post_tag": "]"},
    {"q": "closing", "highlight": "yes", "crop_length": "8"},
    {"facets": ["source", "month", "tag"]},
    {"fields": "id,title"},
    {"fields": ["id", "source"], "q": "bridge"},
    {"sort": "newest", "cursor": "*", "per_page": 2},
    {"q": "zeppelin"},
    {"q": ""},
    {"cursor": "*"},  # newest when there is no q
    {"from_": "2024-03-01"},  # the field's own name, accepted like its alias
]
REFUSED: list[dict[str, Any]] = [
    {"per_page": 0},
    {"per_page": 101},
    {"page": "two"},
    {"sort": "random"},
    {"fields": "id,nope"},
    {"facets": "colour"},
    {"from": "yesterday"},
    {"from": "2024-03-05T10:00:00"},
    {"from": "2024-03-05", "to": "2024-03-01"},
    {"q": "bridge", "cursor": "*"},
    {"cursor": "not-a-cursor", "sort": "newest"},
    {"page": 2, "cursor": "*", "sort": "newest"},
    {"page": 10_000, "per_page": 100},
    {"unknown": "1"},
    {"q": "x" * 1001},
]


@contextmanager
def anonymous(client: TestClient) -> Iterator[TestClient]:
    key = client.headers.pop("Authorization")
    try:
        yield client
    finally:
        client.headers["Authorization"] = key


def comparable(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "processing_time_ms"}


@pytest.mark.parametrize("params", ANSWERED + REFUSED, ids=str)
def test_anonymous_answer_equals_the_routes(seeded: TestClient, params: dict[str, Any]) -> None:  # noqa: F811
    keyed = seeded.get("/search", params=params)
    with anonymous(seeded) as client:
        fast = client.get("/search", params=params)
    expected = 200 if params in ANSWERED else 422
    assert (fast.status_code, keyed.status_code) == (expected, expected), fast.text[:300]
    assert fast.headers["content-type"] == keyed.headers["content-type"]
    assert comparable(fast.json()) == comparable(keyed.json())


def test_cursor_walk_is_the_same_on_both_paths(seeded: TestClient) -> None:  # noqa: F811
    def walk(client: TestClient) -> list[int]:
        ids: list[int] = []
        cursor: str | None = "*"
        while cursor:
            page = client.get("/search", params={"sort": "oldest", "cursor": cursor, "per_page": 3})
            assert page.status_code == 200, page.text
            ids += [hit["id"] for hit in page.json()["hits"]]
            cursor = page.json()["next"]
        return ids

    keyed = walk(seeded)
    with anonymous(seeded) as client:
        assert walk(client) == keyed
    assert sorted(keyed) == list(range(1, 8))


# --- which path answers ------------------------------------------------------------------


async def _never_called(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("handed to the route")


def call_fast_path(
    client: TestClient, query: str, headers: list[tuple[bytes, bytes]] | None = None
) -> tuple[bool, int | None, bytes]:
    """(handed over to the route?, status, body) for one GET /search through the fast path."""
    handed_over = False
    sent: list[Message] = []

    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal handed_over
        handed_over = True

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "method": "GET",
        "path": "/search",
        "query_string": query.encode(),
        "headers": headers or [],
        "app": client.app,
    }
    assert client.portal is not None
    client.portal.call(SearchFastPath(route), scope, receive, send)
    status = sent[0]["status"] if sent else None
    body = b"".join(message.get("body", b"") for message in sent[1:])
    return handed_over, status, body


def test_the_fast_path_answers_plain_searches_itself(seeded: TestClient) -> None:  # noqa: F811
    handed_over, status, body = call_fast_path(seeded, "q=bridge&source=Gazette&facets=source")
    assert (handed_over, status) == (False, 200)
    routed = seeded.get("/search", params={"q": "bridge", "source": "Gazette", "facets": "source"})
    assert comparable(orjson.loads(body)) == comparable(routed.json())
    assert orjson.loads(body)["total"] == 2
    # Its own checks (the plan's) come back as problems without a second try on the route.
    handed_over, status, body = call_fast_path(seeded, "from=2024-03-05&to=2024-03-01")
    assert (handed_over, status) == (False, 422)
    assert b"must not be after" in body


@pytest.mark.parametrize("mode", ["hybrid", "semantic"])
def test_searches_by_meaning_take_the_fast_path_too(seeded: TestClient, mode: str) -> None:  # noqa: F811
    # Embeddings are off in this archive: the fast path itself gives the route's 503.
    handed_over, status, body = call_fast_path(seeded, f"q=bridge&mode={mode}")
    assert (handed_over, status) == (False, 503)
    routed = seeded.get("/search", params={"q": "bridge", "mode": mode})
    assert routed.status_code == 503
    assert orjson.loads(body) == routed.json()


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("q=bridge", [(b"authorization", b"Bearer whatever")]),
        ("q=bridge", [(b"x-api-key", b"whatever")]),
        ("entity=united-states", []),
        ("any_entity=Gazette", []),
        ("per_page=0", []),
        ("nonsense=1", []),
    ],
)
def test_the_fast_path_hands_over_what_it_does_not_handle(
    seeded: TestClient,  # noqa: F811
    query: str,
    headers: list[tuple[bytes, bytes]],
) -> None:
    handed_over, status, _ = call_fast_path(seeded, query, headers)
    assert (handed_over, status) == (True, None)


def test_the_fast_path_steps_aside_when_reads_need_a_key(seeded: TestClient) -> None:  # noqa: F811
    state = seeded.app.state  # type: ignore[attr-defined]
    settings = state.settings
    state.settings = settings.model_copy(update={"REQUIRE_KEY_FOR_READS": True})
    try:
        assert call_fast_path(seeded, "q=bridge")[:2] == (True, None)
        with anonymous(seeded) as client:
            assert client.get("/search", params={"q": "bridge"}).status_code == 401
    finally:
        state.settings = settings
    search, state.search = state.search, None
    try:
        assert call_fast_path(seeded, "q=bridge")[:2] == (True, None)
    finally:
        state.search = search

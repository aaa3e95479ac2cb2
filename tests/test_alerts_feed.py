"""GET /saved-searches/{id}/feed: who may read it (API key or the search's feed token), and an
Atom document that always parses, newest match first, with article text escaped."""

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.alerts.models import AlertMatch
from app.config import Settings
from app.main import create_app
from tests.conftest import auth_headers
from tests.test_alerts_api import read_key_for

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ATOM = "{http://www.w3.org/2005/Atom}"
T0 = datetime(2024, 5, 17, 7, 30, tzinfo=UTC)


@pytest.fixture
def anonymous(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def add_match(client: TestClient, search_id: int, article_id: int, **fields: Any) -> None:
    """A stored match, as the matcher writes them (matching itself: test_alerts_matching)."""
    app: Any = client.app
    values: dict[str, Any] = {
        "title": f"Article {article_id}",
        "why": {"terms": [], "highlights": {}, "matches_position": {}, "filters": {}},
        "matched_at": T0 + timedelta(minutes=article_id),
    } | fields
    with Session(app.state.engine) as session:
        session.add(AlertMatch(saved_search_id=search_id, article_id=article_id, **values))
        session.commit()


def test_who_may_read_the_feed(settings: Settings, anonymous: TestClient, write_key: str) -> None:
    writer = auth_headers(write_key)
    made = anonymous.post(
        "/saved-searches", json={"name": "a", "search": {}, "feed": True}, headers=writer
    ).json()
    other = anonymous.post(
        "/saved-searches", json={"name": "b", "search": {}, "feed": True}, headers=writer
    ).json()
    path = f"/saved-searches/{made['id']}/feed"
    reader = auth_headers(read_key_for(settings))

    assert anonymous.get(path, headers=reader).status_code == 200
    assert anonymous.get(path, params={"token": made["feed"]["token"]}).status_code == 200
    for params in ({}, {"token": "wrong"}, {"token": other["feed"]["token"]}):
        refused = anonymous.get(path, params=params)
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["www-authenticate"] == 'Bearer realm="newsarchive"'
    # Without a key, an unknown id looks like a wrong token.
    assert anonymous.get("/saved-searches/999/feed", params={"token": "x"}).status_code == 401

    # A rotated token replaces the old one; a disabled feed opens to nobody.
    rotated = anonymous.patch(
        f"/saved-searches/{made['id']}", json={"rotate_feed_token": True}, headers=writer
    ).json()["feed"]["token"]
    assert anonymous.get(path, params={"token": made["feed"]["token"]}).status_code == 401
    assert anonymous.get(path, params={"token": rotated}).status_code == 200
    anonymous.patch(
        f"/saved-searches/{made['id']}",
        json={"feed": False, "webhook": {"url": "http://93.184.216.34/", "secret": "x" * 16}},
        headers=writer,
    )
    assert anonymous.get(path, params={"token": rotated}).status_code == 401
    no_feed = anonymous.get(path, headers=reader)
    assert no_feed.status_code == 404
    assert no_feed.json()["detail"] == (
        f"Saved search {made['id']} has no feed; PATCH it with `feed: true`."
    )


def test_the_feed_is_atom_newest_first_and_always_parses(client: TestClient) -> None:
    made = client.post(
        "/saved-searches", json={"name": "Bridges & <tunnels>", "search": {}, "feed": True}
    ).json()
    search_id = made["id"]
    add_match(client, search_id, 1, url="https://ex.org/1", published_at=T0)
    add_match(
        client,
        search_id,
        2,
        title="<script>alert(1)</script> \x07bell",
        source="Gazette",
        why={
            "terms": ["bridge"],
            "highlights": {"body": "a <mark>bridge</mark> & <b>bold</b>\x0b"},
            "matches_position": {},
            "filters": {},
        },
    )
    add_match(client, search_id, 3)

    response = client.get(f"/saved-searches/{search_id}/feed")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml"
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}title") == "newsarchive: Bridges & <tunnels>"
    assert feed.findtext(f"{ATOM}updated") == "2024-05-17T07:33:00+00:00"
    assert feed.find(f"{ATOM}link").get("href") == (  # type: ignore[union-attr]
        f"http://testserver/saved-searches/{search_id}/feed"
    )
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "Article 3",
        "<script>alert(1)</script> bell",
        "Article 1",
    ]
    third, second, first = entries
    # An article without a URL links to the API.
    assert third.find(f"{ATOM}link").get("href") == "http://testserver/articles/3"  # type: ignore[union-attr]
    assert first.find(f"{ATOM}link").get("href") == "https://ex.org/1"  # type: ignore[union-attr]
    assert first.findtext(f"{ATOM}published") == "2024-05-17T07:30:00+00:00"
    assert second.findtext(f"{ATOM}author/{ATOM}name") == "Gazette"
    summary = second.find(f"{ATOM}summary")
    assert summary is not None
    assert summary.get("type") == "html"
    # The article's own markup is text; only the match is bold.
    assert summary.text == "<p>a <b>bridge</b> &amp; &lt;b&gt;bold&lt;/b&gt;</p>"
    assert first.findtext(f"{ATOM}id") != second.findtext(f"{ATOM}id")

    limited = client.get(f"/saved-searches/{search_id}/feed", params={"limit": 1})
    assert len(ET.fromstring(limited.content).findall(f"{ATOM}entry")) == 1
    assert client.get(f"/saved-searches/{search_id}/feed", params={"limit": 0}).status_code == 422

"""Matching newly indexed articles against saved searches through a real Meilisearch, on
SQLite and PostgreSQL: once per article, with why, only articles stored after the search, the
queue written with indexing, and the Atom feed of the matches."""

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from meilisearch.errors import MeilisearchCommunicationError
from sqlmodel import Session, select

from app.alerts import matching, queue
from app.alerts import worker as alert_worker
from app.alerts.matching import Matcher
from app.alerts.models import AlertMatch, AlertQueueEntry
from app.config import Settings
from app.db import make_engine, utcnow
from app.main import create_app
from app.outbox import OutboxEntry
from tests.conftest import auth_headers, sync_index

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def alert_settings(search_settings: Settings) -> Settings:
    return search_settings.model_copy(
        update={"ENTITY_EXTRACTION_ENABLED": False, "ALERT_WEBHOOK_ALLOW_PRIVATE": True}
    )


@pytest.fixture
def api(alert_settings: Settings, write_key: str) -> Iterator[TestClient]:
    with TestClient(create_app(alert_settings), headers=auth_headers(write_key)) as client:
        yield client


def matcher_for(client: TestClient) -> Matcher:
    app: Any = client.app
    return alert_worker.build_matcher(app.state.settings, app.state.engine, app.state.search.client)


def post_article(client: TestClient, n: int, title: str, body: str, **extra: Any) -> int:
    article = {"url": f"https://ex.org/{n}", "title": title, "body": body, **extra}
    response = client.post("/articles", json=article)
    assert response.status_code == 201, response.text
    article_id: int = response.json()["id"]
    return article_id


def index_and_match(client: TestClient) -> int:
    sync_index(client)
    return matching.drain(matcher_for(client))


def save(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/saved-searches", json={"name": "s", "feed": True, **body})
    assert response.status_code == 201, response.text
    saved: dict[str, Any] = response.json()
    return saved


def matches(client: TestClient) -> list[tuple[int, int]]:
    app: Any = client.app
    with Session(app.state.engine) as session:
        rows = session.exec(select(AlertMatch.saved_search_id, AlertMatch.article_id)).all()
    return sorted((int(s), int(a)) for s, a in rows)


def feed_entries(client: TestClient, search: dict[str, Any]) -> list[ET.Element]:
    response = client.get(f"/saved-searches/{search['id']}/feed")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml"
    return ET.fromstring(response.content).findall(f"{ATOM}entry")


def test_matches_once_per_article_with_why_and_in_the_feed(api: TestClient) -> None:
    bridge = save(api, search={"q": "bridge", "highlight_pre_tag": "[", "highlight_post_tag": "]"})
    gazette = save(api, search={"source": ["Gazette"]})
    first = post_article(
        api, 1, "Harbour bridge reopens", "The bridge reopened on Friday.", source="Gazette"
    )
    post_article(api, 2, "Grain prices fall", "Wheat fell.", source="Herald")
    third = post_article(api, 3, "Ferry or bridge?", "The council weighs a ferry.", source="Herald")
    assert index_and_match(api) == 3
    assert matches(api) == [(bridge["id"], first), (bridge["id"], third), (gazette["id"], first)]

    [newest, oldest] = feed_entries(api, bridge)
    assert newest.findtext(f"{ATOM}title") in ("Harbour bridge reopens", "Ferry or bridge?")
    by_title = {e.findtext(f"{ATOM}title"): e for e in (newest, oldest)}
    entry = by_title["Harbour bridge reopens"]
    assert entry.find(f"{ATOM}link").get("href") == "https://ex.org/1"  # type: ignore[union-attr]
    assert [c.get("term") for c in entry.findall(f"{ATOM}category")] == ["bridge"]
    assert entry.findtext(f"{ATOM}summary") == (
        "<p>Harbour <b>bridge</b> reopens</p><p>The <b>bridge</b> reopened on Friday.</p>"
    )
    app: Any = api.app
    with Session(app.state.engine) as session:
        why = session.exec(
            select(AlertMatch.why).where(
                AlertMatch.saved_search_id == bridge["id"], AlertMatch.article_id == first
            )
        ).one()
        gazette_why = session.exec(
            select(AlertMatch.why).where(AlertMatch.saved_search_id == gazette["id"])
        ).one()
    assert why["terms"] == ["bridge"]
    assert why["highlights"] == {
        "title": "Harbour [bridge] reopens",
        "body": "The [bridge] reopened on Friday.",
    }
    assert why["matches_position"]["title"] == [{"start": 8, "length": 6}]
    assert gazette_why == {
        "terms": [],
        "highlights": {},
        "matches_position": {},
        "filters": {"source": ["Gazette"]},
    }

    # Edited and indexed again, or queued twice: still one match per pair.
    edited = api.patch(f"/articles/{first}", json={"title": "Harbour bridge reopens at last"})
    assert edited.status_code == 200
    assert index_and_match(api) == 0
    with Session(app.state.engine) as session:
        session.add(AlertQueueEntry(article_id=third))
        session.commit()
    assert matching.drain(matcher_for(api)) == 0
    assert len(matches(api)) == 3


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_only_articles_stored_after_the_search_match(api: TestClient) -> None:
    before = post_article(api, 1, "Bridge news", "About the bridge.")
    sync_index(api)
    search = save(api, search={"q": "bridge"})
    # An edit re-indexes the older article: it is not new, so it does not alert.
    api.patch(f"/articles/{before}", json={"body": "More about the bridge."})
    after = post_article(api, 2, "Bridge again", "Another bridge.")
    assert index_and_match(api) == 1
    assert matches(api) == [(search["id"], after)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_watching_only_dates_a_publisher_stated(api: TestClient) -> None:
    watch = save(api, search={"q": "ferry", "published_at_source": ["feed", "html_meta"]})
    day = "2024-05-17T08:00:00Z"
    stated = post_article(
        api, 1, "Ferry back", "The ferry sails.", published_at=day, published_at_source="html_meta"
    )
    post_article(api, 2, "Ferry late", "The ferry waits.", published_at=day)  # the client's
    post_article(
        api, 3, "Ferry gone", "No ferry today.", published_at=day, published_at_source="url"
    )
    assert index_and_match(api) == 1
    assert matches(api) == [(watch["id"], stated)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_watching_an_entity(api: TestClient) -> None:
    watch = save(api, search={"entity": ["Harbour Authority"]})
    assert watch["warnings"] == [
        "entity 'Harbour Authority' matches no known entity; it matches no article"
    ]
    named = post_article(
        api,
        1,
        "Dredging starts",
        "Work began.",
        entities=[{"name": "Harbour Authority", "type": "organization"}],
    )
    post_article(api, 2, "Harbour Authority-free news", "Nothing here.")
    assert index_and_match(api) == 1
    assert matches(api) == [(watch["id"], named)]
    app: Any = api.app
    with Session(app.state.engine) as session:
        why = session.exec(select(AlertMatch.why)).one()
    assert why["filters"] == {"entity": ["harbour-authority"]}
    [entry] = feed_entries(api, watch)
    assert entry.findtext(f"{ATOM}summary") == "<p>Matched entity: harbour-authority</p>"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_paused_searches_match_nothing_and_no_search_queues_nothing(api: TestClient) -> None:
    post_article(api, 1, "Bridge before any search", "A bridge.")
    sync_index(api)
    app: Any = api.app
    with Session(app.state.engine) as session:
        assert session.exec(select(sa.func.count()).select_from(AlertQueueEntry)).one() == 0
    paused = save(api, search={"q": "bridge"}, active=False)
    active = save(api, search={"q": "bridge"})
    article = post_article(api, 2, "Bridge after", "A bridge.")
    assert index_and_match(api) == 1
    assert matches(api) == [(active["id"], article)]
    assert paused["active"] is False


def test_the_queue_is_written_with_indexing_and_survives_a_restart(
    api: TestClient, alert_settings: Settings
) -> None:
    search = save(api, search={"q": "bridge"})
    ids = [post_article(api, n, f"Bridge {n}", "A bridge.") for n in range(1, 4)]
    sync_index(api)
    app: Any = api.app
    with Session(app.state.engine) as session:
        assert session.exec(select(sa.func.count()).select_from(OutboxEntry)).one() == 0
        queued = session.exec(select(AlertQueueEntry.article_id)).all()
    assert sorted(queued) == ids
    # A matcher claims the batch and dies before storing anything (its lease runs out)...
    engine = make_engine(alert_settings)
    abandoned = queue.claim(engine, 10)
    assert len(abandoned) == 3
    assert matcher_for(api).run_once() == (0, 0)
    with Session(engine) as session:
        session.execute(sa.update(AlertQueueEntry).values(claimed_until=utcnow()))
        session.commit()
    # ...and another process, started afresh, matches what was queued.
    with TestClient(create_app(alert_settings)) as restarted:
        assert matching.drain(matcher_for(restarted)) == 3
    engine.dispose()
    assert matches(api) == [(search["id"], i) for i in ids]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_unreachable_meilisearch_leaves_the_batch_queued(api: TestClient) -> None:
    save(api, search={"q": "bridge"})
    post_article(api, 1, "Bridge", "A bridge.")
    sync_index(api)

    class Unreachable:
        def multi_search(self, _queries: Any) -> Any:
            raise MeilisearchCommunicationError("connection refused")

    real = matcher_for(api)
    broken = Matcher(engine=real.engine, client=Unreachable(), index_uid=real.index_uid)  # type: ignore[arg-type]
    with pytest.raises(matching.MeilisearchUnavailable):
        broken.run_once()
    assert matches(api) == []
    assert real.run_once() == (1, 1)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_many_articles_and_searches_in_chunks(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(matching, "IDS_PER_QUERY", 2)
    monkeypatch.setattr(matching, "QUERIES_PER_REQUEST", 3)
    searches = [save(api, search={"q": word}) for word in ("bridge", "ferry", "harbour")]
    titles = ["Bridge", "Ferry", "Harbour bridge", "Harbour ferry", "Nothing", "Bridge ferry"]
    ids = [post_article(api, n, title, "Text.") for n, title in enumerate(titles, start=1)]
    assert index_and_match(api) == 8
    expected = {
        "bridge": [ids[0], ids[2], ids[5]],
        "ferry": [ids[1], ids[3], ids[5]],
        "harbour": [ids[2], ids[3]],
    }
    assert matches(api) == sorted(
        (s["id"], article) for s in searches for article in expected[s["search"]["q"]]
    )

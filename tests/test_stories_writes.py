"""Clusters follow every write on SQLite and PostgreSQL: edits, upserts, deletes, merges, the
importer's set-based inserts, and `newsarchive clusters rebuild`."""

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from app.cli import app
from app.config import Settings, get_settings
from app.db import make_engine
from app.ingestion.importer import Importer, ImportOptions
from app.ingestion.sources import discover
from app.outbox import OutboxEntry
from app.stories.models import StoryBand
from tests.stories_texts import (
    BOILERPLATE,
    BULLETIN,
    BULLETIN_UPDATE,
    DIVIDEND,
    FERRY,
    FERRY_ADDED,
    FERRY_FOLLOW_UP,
    FIRST_DAY,
    LIBRARY,
    ORCHARD,
    QUAY,
    QUAY_FILING,
    QUAY_FILING_UPDATED,
    SALTMARSH,
    SALTMARSH_FILING,
    SECOND_DAY,
    TIDES,
    article,
    reworded,
)
from tests.test_stories_reports import (
    BERTH_BULLETIN,
    FIRST_DELAY,
    SECOND_DELAY,
    TALKS_PUT_OFF,
    TUESDAY,
    WEDNESDAY,
)

pytestmark = pytest.mark.clusters

DAY = "2024-09-03T09:00:00Z"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No entity extraction: these tests are about clusters, and the model takes seconds."""
    return settings.model_copy(update={"ENTITY_EXTRACTION_ENABLED": False})


def clusters(client: TestClient, *ids: int) -> list[tuple[int | None, int | None]]:
    return [
        (body["cluster_id"], body["cluster_size"])
        for body in (client.get(f"/articles/{i}").json() for i in ids)
    ]


def queued(settings: Settings) -> list[int]:
    """Article ids with an outbox row, in order; the outbox is emptied."""
    engine = make_engine(settings)
    try:
        with Session(engine) as session:
            ids = [
                e.article_id
                for e in session.exec(select(OutboxEntry).order_by(col(OutboxEntry.id)))
            ]
            session.execute(sa.delete(OutboxEntry))
            session.commit()
    finally:
        engine.dispose()
    return ids


def post(client: TestClient, n: int, title: str, body: str, source: str | None = None) -> int:
    response = client.post(
        "/articles", json=article(n, title, body, published_at=DAY, source=source)
    )
    assert response.status_code in (200, 201), response.text
    article_id: int = response.json()["id"]
    return article_id


def test_edits_move_an_article_between_stories_and_requeue_the_members(
    client: TestClient, settings: Settings
) -> None:
    post(client, 1, "Ferry ends", FERRY)
    post(client, 2, "Crossing ends", reworded(FERRY, 0.1, seed=2))
    post(client, 3, "Library kitchen", LIBRARY)
    assert clusters(client, 1, 2, 3) == [(1, 2), (1, 2), (3, 1)]
    # Article 1's row, still queued when 2 joined, sends its new size: no second row.
    assert queued(settings) == [1, 2, 3]
    # PATCH the body to the library story: out of the ferry story, into the library one.
    assert (
        client.patch("/articles/2", json={"body": reworded(LIBRARY, 0.1, seed=9)}).status_code
        == 200
    )
    assert clusters(client, 1, 2, 3) == [(1, 1), (3, 2), (3, 2)]
    assert sorted(queued(settings)) == [1, 2, 3]
    # A change that leaves the text alone keeps the cluster and queues no one else.
    client.patch("/articles/2", json={"tags": ["kitchens"]})
    assert clusters(client, 2) == [(3, 2)]
    assert queued(settings) == [2]
    # The same url posted again with the ferry text: the upsert moves it back.
    post(client, 2, "Crossing ends", FERRY)
    assert clusters(client, 1, 2, 3) == [(1, 2), (1, 2), (3, 1)]
    assert sorted(queued(settings)) == [1, 2, 3]


def test_delete_shrinks_the_story_and_drops_the_bands(
    client: TestClient, settings: Settings
) -> None:
    for n in (1, 2, 3):
        post(client, n, f"Ferry {n}", reworded(FERRY, 0.05, seed=n))
    queued(settings)
    assert client.delete("/articles/1").status_code == 204
    assert clusters(client, 2, 3) == [(1, 2), (1, 2)]
    assert sorted(queued(settings)) == [1, 2, 3]
    engine = make_engine(settings)
    try:
        with Session(engine) as session:
            holders = set(session.exec(select(StoryBand.article_id)).all())
    finally:
        engine.dispose()
    assert holders == {2, 3}
    # The cluster keeps its id after its founder is gone, and still takes new copies.
    post(client, 4, "Ferry 4", FERRY)
    assert clusters(client, 2, 4) == [(1, 3), (1, 3)]


def test_an_article_close_to_two_stories_joins_them(client: TestClient, settings: Settings) -> None:
    half = FERRY.split(". ")
    first = ". ".join(half[: len(half) // 2])
    second = ". ".join(half[len(half) // 2 :])
    post(client, 1, "First half", first)
    post(client, 2, "Second half", second)
    assert clusters(client, 1, 2) == [(1, 1), (2, 1)]
    queued(settings)
    post(client, 3, "Whole", FERRY)
    assert clusters(client, 1, 2, 3) == [(1, 3), (1, 3), (1, 3)]
    assert sorted(queued(settings)) == [1, 2, 3]


def test_a_story_whose_copies_differ_too_much_stays_apart(client: TestClient) -> None:
    post(client, 1, "Ferry", FERRY)
    post(client, 2, "Ferry", reworded(FERRY, 0.6, seed=1))
    post(client, 3, "Frost", ORCHARD)
    assert clusters(client, 1, 2, 3) == [(1, 1), (2, 1), (3, 1)]


def test_two_bulletins_of_one_template_stay_apart_and_a_copy_joins_its_own(
    client: TestClient,
) -> None:
    post(client, 1, "Northern Quay dividend", DIVIDEND.format(**QUAY))
    post(client, 2, "Saltmarsh Ferries dividend", DIVIDEND.format(**SALTMARSH))
    copy = DIVIDEND.format(**QUAY).replace("steady", "strong") + " (Reporting by the desk.)"
    post(client, 3, "NORTHERN QUAY RAISES DIVIDEND", copy)
    assert clusters(client, 1, 2, 3) == [(1, 2), (2, 1), (1, 2)]


def test_an_article_like_two_reports_of_one_template_does_not_join_them(
    client: TestClient, settings: Settings
) -> None:
    first, second = BULLETIN.format(**FIRST_DAY), BULLETIN.format(**SECOND_DAY)
    post(client, 1, "Harbour bulletin", first)
    post(client, 2, "Harbour bulletin", second)
    assert clusters(client, 1, 2) == [(1, 1), (2, 1)]
    queued(settings)
    # The first day's bulletin with a paragraph of ordinary words added passes against both
    # days (against the second, the figures are a small part of what differs), but the two
    # days' reports are two stories: it joins the older and the clusters stay apart.
    post(client, 3, "Harbour bulletin, updated", first + BULLETIN_UPDATE)
    assert clusters(client, 1, 2, 3) == [(1, 2), (2, 1), (1, 2)]
    assert sorted(queued(settings)) == [1, 3]


def test_an_article_joins_no_cluster_holding_another_report_of_its_template(
    client: TestClient,
) -> None:
    first = BULLETIN.format(**FIRST_DAY)
    post(client, 1, "Harbour bulletin", first)
    post(client, 2, "Harbour bulletin, updated", first + BULLETIN_UPDATE)
    assert clusters(client, 1, 2) == [(1, 2), (1, 2)]
    # The second day's report passes against the updated version, not against the first day's.
    post(client, 3, "Harbour bulletin", BULLETIN.format(**SECOND_DAY))
    assert clusters(client, 1, 2, 3) == [(1, 2), (1, 2), (3, 1)]


def test_a_follow_up_from_the_same_source_is_another_story_and_its_update_is_not(
    client: TestClient,
) -> None:
    post(client, 1, "Night ferry to stop", FERRY, source="Wire")
    post(client, 2, "Council saves weekend ferry", FERRY_FOLLOW_UP, source="Wire")
    post(client, 3, "Night ferry to stop (updated)", FERRY + FERRY_ADDED, source="wire")
    assert clusters(client, 1, 2, 3) == [(1, 2), (2, 1), (1, 2)]


def test_a_copy_of_a_follow_up_joins_the_follow_up_and_not_the_first_story(
    client: TestClient,
) -> None:
    post(client, 1, "Night ferry to stop", FERRY, source="Wire")
    post(client, 2, "Council saves weekend ferry", FERRY_FOLLOW_UP, source="Wire")
    # Another paper's copy of the follow-up is like both (the first story is another source's
    # text to it), but the two are one source's two reports: it joins the one it is nearest.
    post(client, 3, "Weekend ferry saved", f"{FERRY_FOLLOW_UP} {BOILERPLATE}", source="Gazette")
    assert clusters(client, 1, 2, 3) == [(1, 1), (2, 2), (2, 2)]


def test_an_article_joins_no_cluster_holding_an_earlier_report_of_its_source(
    client: TestClient,
) -> None:
    post(client, 1, "Night ferry to stop", FERRY, source="Wire")
    post(client, 2, "Island loses its late crossing", f"{FERRY} {BOILERPLATE}", source="Gazette")
    assert clusters(client, 1, 2) == [(1, 2), (1, 2)]
    # Like the wire's story, but the paper's own follow-up of its copy: not that story.
    post(client, 3, "Council saves weekend ferry", FERRY_FOLLOW_UP, source="Gazette")
    assert clusters(client, 1, 2, 3) == [(1, 2), (1, 2), (3, 1)]


def test_the_importer_clusters_its_set_based_inserts(settings: Settings, tmp_path: Path) -> None:
    lines = [
        article(1, "Ferry ends", FERRY, published_at=DAY),
        article(2, "Library", LIBRARY, published_at=DAY),
        article(3, "Ferry copy", reworded(FERRY, 0.1, seed=3), published_at=DAY),
        article(4, "Ferry again", FERRY + " More to follow.", published_at=DAY),
    ]
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    engine = make_engine(settings)
    try:
        report = Importer(engine=engine, options=ImportOptions(extract=False)).run(discover([path]))
        assert report.total.created == 4
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT id, cluster_id, cluster_size FROM articles ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [(1, 1, 3), (2, 2, 1), (3, 1, 3), (4, 1, 3)]
    # One batch: each new article is queued once, with its final cluster.
    assert sorted(queued(settings)) == [1, 2, 3, 4]
    later = tmp_path / "b.jsonl"
    later.write_text(json.dumps(article(5, "Ferry late", FERRY, published_at=DAY)) + "\n")
    engine = make_engine(settings)
    try:
        Importer(engine=engine, options=ImportOptions(extract=False)).run(discover([later]))
        with engine.connect() as connection:
            sizes = connection.execute(
                sa.text("SELECT id, cluster_size FROM articles WHERE cluster_id = 1 ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in sizes] == [(1, 4), (3, 4), (4, 4), (5, 4)]
    assert sorted(queued(settings)) == [1, 3, 4, 5]


def test_copies_cluster_with_no_clustering_setting_at_all(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clustering is on by default: a server whose environment says nothing of it clusters."""
    monkeypatch.delenv("CLUSTERING_ENABLED")
    get_settings.cache_clear()
    try:
        post(client, 1, "Ferry", FERRY)
        post(client, 2, "Ferry copy", reworded(FERRY, 0.1, seed=3))
        assert clusters(client, 1, 2) == [(1, 2), (1, 2)]
    finally:
        get_settings.cache_clear()


def test_rebuild_clusters_what_was_stored_without_clustering(
    settings: Settings, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLUSTERING_ENABLED", "false")
    get_settings.cache_clear()
    post(client, 1, "Ferry", FERRY)
    post(client, 2, "Tides", TIDES)
    post(client, 3, "Ferry copy", reworded(FERRY, 0.1, seed=3))
    assert clusters(client, 1, 2, 3) == [(None, None)] * 3
    queued(settings)
    monkeypatch.setenv("CLUSTERING_ENABLED", "true")
    monkeypatch.setenv("DATABASE_URL", settings.DATABASE_URL)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["clusters", "rebuild", "--batch-size", "2"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "3 articles in 2 clusters (1 with more than one article); 3 queued for re-indexing;"
    )
    assert clusters(client, 1, 2, 3) == [(1, 2), (2, 1), (1, 2)]
    assert sorted(queued(settings)) == [1, 2, 3]
    again = CliRunner().invoke(app, ["clusters", "rebuild"])
    get_settings.cache_clear()
    assert "0 queued for re-indexing" in again.stdout
    assert queued(settings) == []


def test_one_sources_notices_on_two_subjects_stay_apart_and_a_version_joins_its_own(
    client: TestClient,
) -> None:
    post(client, 1, "Northern Quay files for quay permit", QUAY_FILING, source="Wire")
    post(client, 2, "Saltmarsh Ferries files for quay permit", SALTMARSH_FILING, source="Wire")
    post(client, 3, "NORTHERN QUAY SEEKS PERMIT FOR NEW WALL", QUAY_FILING_UPDATED, source="Wire")
    assert clusters(client, 1, 2, 3) == [(1, 2), (2, 1), (1, 2)]


def test_a_sources_next_report_keeping_its_opening_is_another_story_and_its_repost_is_not(
    client: TestClient,
) -> None:
    def put(n: int, title: str, body: str, published_at: str) -> None:
        response = client.post(
            "/articles", json=article(n, title, body, published_at=published_at, source="Wire")
        )
        assert response.status_code in (200, 201), response.text

    # Talks put off, then put off again to another day: two stories, and the first one's
    # repost (a word fixed) joins the first.
    first = TALKS_PUT_OFF.format(**FIRST_DELAY)
    put(1, "Terminal talks put off", first, "2024-05-06T09:00:00Z")
    put(
        2,
        "Terminal talks put off again",
        TALKS_PUT_OFF.format(**SECOND_DELAY),
        "2024-05-09T09:00:00Z",
    )
    put(
        3,
        "Terminal talks put off",
        first.replace("stood still", "been still"),
        "2024-05-07T09:00:00Z",
    )
    assert clusters(client, 1, 2, 3) == [(1, 2), (2, 1), (1, 2)]
    # A morning bulletin and the next day's, figures of its own (the dates are read back from
    # the database for the stored one); the first reposted the next day keeps its figures.
    tuesday = BERTH_BULLETIN.format(**TUESDAY)
    put(4, "Extra berths expected", tuesday, "2024-06-04T08:00:00Z")
    put(5, "Extra berths expected", BERTH_BULLETIN.format(**WEDNESDAY), "2024-06-05T08:00:00Z")
    put(6, "Extra berths expected", tuesday.replace("June 4", "June 5"), "2024-06-05T09:00:00Z")
    assert clusters(client, 4, 5, 6) == [(4, 2), (5, 1), (4, 2)]
    # A one-line flash sent again the next day, word for word: the next day's; sent twice
    # the same morning: one.
    flash = "HARBOUR BOARD OPENS TWO EXTRA BERTHS, BOARD SAYS"
    put(7, flash, flash, "2024-06-04T11:40:00Z")
    put(8, flash, flash, "2024-06-05T11:40:00Z")
    put(9, flash, flash, "2024-06-05T11:45:00Z")
    assert clusters(client, 7, 8, 9) == [(7, 1), (8, 2), (8, 2)]

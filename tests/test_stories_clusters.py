"""Story clusters through the API on SQLite and PostgreSQL, searched in a real Meilisearch:
copies join the first story, /articles/{id}/cluster lists them first publisher first, search
hits carry the cluster, and collapse=cluster gives one hit per story.

One archive per backend is written once for the module; the tests here only read it."""

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session

from app.auth import service as auth_service
from app.auth.models import Scope
from app.config import Settings, get_settings
from app.db import make_engine
from app.main import create_app
from tests.conftest import BACKENDS, auth_headers, sync_index
from tests.stories_texts import BOILERPLATE, FERRY, LIBRARY, ORCHARD, TIDES, article, reworded

if False:  # pragma: no cover - typing only
    from tests.meili_plugin import MeiliServer

pytestmark = pytest.mark.clusters

DAY = "2024-09-03"
WRITES: list[tuple[str, dict[str, Any]]] = [
    # 1: the wire story.
    (
        "post",
        article(
            1,
            "Night ferry to stop in October",
            FERRY,
            source="Wire",
            published_at=f"{DAY}T09:00:00Z",
        ),
    ),
    # 2: another headline and the paper's boilerplate.
    (
        "post",
        article(
            2,
            "Island loses its late crossing",
            f"{FERRY} {BOILERPLATE}",
            source="Gazette",
            published_at=f"{DAY}T11:00:00Z",
        ),
    ),
    # 3: a different story.
    (
        "post",
        article(
            3,
            "Library becomes a kitchen",
            LIBRARY,
            source="Herald",
            published_at=f"{DAY}T10:00:00Z",
        ),
    ),
    # 4: the ferry story reworded (15 % of words), published before the wire: the first publisher.
    (
        "post",
        article(
            4,
            "Ferry crossing to end",
            reworded(FERRY, 0.15, seed=4),
            source="Tribune",
            published_at=f"{DAY}T08:00:00Z",
        ),
    ),
    # 5: the library story again under another URL: an exact duplicate, and in its cluster.
    (
        "post",
        article(
            5,
            "Library becomes a kitchen",
            LIBRARY,
            source="Herald",
            published_at=f"{DAY}T10:05:00Z",
        ),
    ),
    # 6: the ferry story a month later: outside the window, a story of its own.
    (
        "post",
        article(
            6,
            "Night ferry to stop in October",
            f"{FERRY} Updated.",
            source="Wire",
            published_at="2024-10-10T09:00:00Z",
        ),
    ),
    # 7, 8: through the bulk endpoint: a copy of the library story and a new one.
    (
        "bulk",
        article(
            7,
            "Kitchen opens in old library",
            reworded(LIBRARY, 0.1, seed=7),
            source="Echo",
            published_at=f"{DAY}T12:00:00Z",
        ),
    ),
    (
        "bulk",
        article(
            8, "Frost ruins apple blossom", ORCHARD, source="Echo", published_at=f"{DAY}T12:30:00Z"
        ),
    ),
    # 9: no date at all, a copy of the ferry story: it joins, and is listed last.
    ("post", article(9, "Ferry: the council decides", FERRY, source="Blog")),
]
#: article id -> (cluster_id, cluster_size) after the writes above.
EXPECTED = {
    1: (1, 4),
    2: (1, 4),
    3: (3, 3),
    4: (1, 4),
    5: (3, 3),
    6: (6, 1),
    7: (3, 3),
    8: (8, 1),
    9: (1, 4),
}


def _database(request: pytest.FixtureRequest, tmp: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp / "archive.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    from tests.pg_plugin import TEMPLATE_DB, _admin

    server = request.getfixturevalue("postgres_server")
    name = f"test_{uuid.uuid4().hex[:12]}"
    _admin(server, f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}")
    yield server.url_for(name)
    _admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module", params=BACKENDS)
def archive(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    meili_server: "MeiliServer",
) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("stories")
    for url in _database(request, tmp):
        settings = Settings(
            _env_file=None,
            DATA_DIR=tmp,
            DATABASE_URL=url,
            SYNC_WORKER_ENABLED=False,
            LOG_FORMAT="console",
            ENTITY_EXTRACTION_ENABLED=False,
            MEILI_URL=meili_server.url,
            MEILI_MASTER_KEY=SecretStr(meili_server.master_key or ""),
            MEILI_INDEX=f"test_{uuid.uuid4().hex}",
        )
        engine = make_engine(settings)
        with Session(engine, expire_on_commit=False) as session:
            key = auth_service.create(session=session, name="tests", scope=Scope.write).plaintext
        with (
            pytest.MonkeyPatch.context() as patch,
            TestClient(create_app(settings), headers=auth_headers(key)) as client,
        ):
            # Clustering is off by default; the module's archive is built with it on.
            patch.setenv("CLUSTERING_ENABLED", "true")
            get_settings.cache_clear()
            _write(client)
            # 10: stored before clustering existed (as after the upgrade): no cluster yet.
            created = client.post("/articles", json=article(10, "Harbour notes", TIDES))
            with engine.begin() as connection:
                connection.execute(
                    sa.text(
                        "UPDATE articles SET cluster_id = NULL, cluster_size = NULL WHERE id = :i"
                    ),
                    {"i": created.json()["id"]},
                )
            sync_index(client)
            yield client
            client.app.state.search.client.delete_index(settings.MEILI_INDEX)  # type: ignore[attr-defined]
        get_settings.cache_clear()
        engine.dispose()


def _write(client: TestClient) -> None:
    bulk = [payload for how, payload in WRITES if how == "bulk"]
    for how, payload in WRITES:
        if how == "post":
            assert client.post("/articles", json=payload).status_code == 201
        elif payload is bulk[0]:
            response = client.post("/articles/bulk", json=bulk)
            assert [item["status"] for item in response.json()["items"]] == ["created"] * len(bulk)


def test_copies_join_the_first_story_and_others_stay_apart(archive: TestClient) -> None:
    found = {}
    for article_id in EXPECTED:
        body = archive.get(f"/articles/{article_id}").json()
        found[article_id] = (body["cluster_id"], body["cluster_size"])
    assert found == EXPECTED
    assert archive.get("/articles/5").json()["duplicate_of"] == 3


def test_cluster_lists_members_first_publisher_first(archive: TestClient) -> None:
    response = archive.get("/articles/2/cluster")
    assert response.status_code == 200
    body = response.json()
    assert (body["cluster_id"], body["size"], body["first_article_id"]) == (1, 4, 4)
    assert [(m["id"], m["source"], m["published_at"]) for m in body["members"]] == [
        (4, "Tribune", f"{DAY}T08:00:00+00:00"),
        (1, "Wire", f"{DAY}T09:00:00+00:00"),
        (2, "Gazette", f"{DAY}T11:00:00+00:00"),
        (9, "Blog", None),
    ]
    assert body["members"][0]["url"] == "https://news.example/4"
    limited = archive.get("/articles/2/cluster", params={"limit": 2}).json()
    assert ([m["id"] for m in limited["members"]], limited["size"]) == ([4, 1], 4)


def test_cluster_of_a_missing_or_unclustered_article_is_404(archive: TestClient) -> None:
    missing = archive.get("/articles/999/cluster")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    unclustered = archive.get("/articles/10/cluster")
    assert unclustered.status_code == 404
    assert "newsarchive clusters rebuild" in unclustered.json()["detail"]
    assert archive.get("/articles/1/cluster", params={"limit": 0}).status_code == 422


def test_search_hits_carry_their_cluster(archive: TestClient) -> None:
    result = archive.get(
        "/search", params={"q": "ferry", "sort": "oldest", "fields": "cluster_id,cluster_size"}
    ).json()
    assert result["hits"] == [
        {"id": 4, "cluster_id": 1, "cluster_size": 4},
        {"id": 1, "cluster_id": 1, "cluster_size": 4},
        {"id": 2, "cluster_id": 1, "cluster_size": 4},
        {"id": 6, "cluster_id": 6, "cluster_size": 1},
        {"id": 9, "cluster_id": 1, "cluster_size": 4},
    ]
    assert (result["total"], result["counts"]) == (5, "articles")


def test_collapse_gives_one_hit_per_story_and_counts_stories(archive: TestClient) -> None:
    params: dict[str, Any] = {"sort": "oldest", "fields": "cluster_size,source", "facets": "source"}
    every = archive.get("/search", params=params).json()
    collapsed = archive.get("/search", params={**params, "collapse": "cluster"}).json()
    # Article 5 is an exact duplicate, hidden from search as before; 10 has no cluster yet.
    assert [hit["id"] for hit in every["hits"]] == [4, 1, 3, 2, 7, 8, 6, 9, 10]
    assert (every["total"], every["counts"]) == (9, "articles")
    assert every["facets"]["source"] == {
        "Blog": 1,
        "Echo": 2,
        "Gazette": 1,
        "Herald": 1,
        "Tribune": 1,
        "Wire": 2,
    }
    assert collapsed["hits"] == [
        {"id": 4, "source": "Tribune", "cluster_size": 4},
        {"id": 3, "source": "Herald", "cluster_size": 3},
        {"id": 8, "source": "Echo", "cluster_size": 1},
        {"id": 6, "source": "Wire", "cluster_size": 1},
        {"id": 10, "source": None, "cluster_size": None},
    ]
    assert (collapsed["total"], collapsed["counts"]) == (5, "stories")
    # Each story counted once, under the source of the member shown for it.
    assert collapsed["facets"]["source"] == {"Echo": 1, "Herald": 1, "Tribune": 1, "Wire": 1}
    assert collapsed["query"]["filters"]["collapse"] == "cluster"


def test_collapse_is_refused_with_a_cursor_by_the_route_and_the_fast_path(
    archive: TestClient,
) -> None:
    params = {"collapse": "cluster", "sort": "newest", "cursor": "*"}
    with_key = archive.get("/search", params=params)
    anonymous = archive.get("/search", params=params, headers={"Authorization": ""})
    for response in (with_key, anonymous):
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "loc": ["query", "collapse"],
                "msg": "collapse can't be combined with cursor (a story's best member may "
                "change from page to page); page through stories with page and per_page",
            }
        ]
    bad = archive.get("/search", params={"collapse": "story"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["query", "collapse"]


def test_collapse_works_on_the_fast_path_and_post(archive: TestClient) -> None:
    anonymous = archive.get(
        "/search",
        params={"q": "ferry", "collapse": "cluster", "sort": "oldest", "fields": "id"},
        headers={"Authorization": ""},
    ).json()
    posted = archive.post(
        "/search", json={"q": "ferry", "collapse": "cluster", "sort": "oldest", "fields": ["id"]}
    ).json()
    for result in (anonymous, posted):
        assert [hit["id"] for hit in result["hits"]] == [4, 6]
        assert (result["total"], result["counts"]) == (2, "stories")

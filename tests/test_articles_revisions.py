"""Revision history: an update that changes what a reader sees keeps the version it replaced,
on both databases; deleting an article deletes its history."""

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.articles import revisions
from app.articles import service as articles_service
from app.articles.models import Article
from app.articles.schemas import ArticleUpdate
from app.config import Settings
from app.db import make_engine
from tests.test_articles_api import ARTICLE

BODY_V1 = "The harbour bridge reopened on Friday.\nTraffic was light."
BODY_V2 = "The harbour bridge reopened on Friday.\nTraffic was heavy by noon."


def test_an_article_never_changed_has_no_revisions(client: TestClient) -> None:
    article_id = client.post("/articles", json=ARTICLE).json()["id"]
    client.post("/articles", json=ARTICLE)  # the same content again: unchanged
    client.patch(f"/articles/{article_id}", json={"tags": ["roads"]})  # not a revision
    listed = client.get(f"/articles/{article_id}/revisions")
    assert listed.status_code == 200
    assert listed.json()["revisions"] == []


def test_upsert_put_and_patch_keep_each_version_they_replace(client: TestClient) -> None:
    first = {**ARTICLE, "body": BODY_V1}
    article_id = client.post("/articles", json=first).json()["id"]
    # An upsert by url with a new headline and body.
    second = {**first, "title": "Harbour bridge reopens to heavy traffic", "body": BODY_V2}
    assert client.post("/articles", json=second).status_code == 200
    # A PATCH of the date.
    patched = client.patch(
        f"/articles/{article_id}", json={"published_at": "2024-05-18T08:00:00+00:00"}
    )
    assert patched.status_code == 200

    listed = client.get(f"/articles/{article_id}/revisions").json()
    assert [(r["number"], r["title"], r["changed"]) for r in listed["revisions"]] == [
        (2, "Harbour bridge reopens to heavy traffic", ["published_at"]),
        (1, "Harbour bridge reopens", ["title", "body"]),
    ]

    one = client.get(f"/articles/{article_id}/revisions/1").json()
    assert one["body"] == BODY_V1
    assert one["replaced_by"] == "revision 2"
    assert one["changes"] == [
        {
            "field": "title",
            "before": "Harbour bridge reopens",
            "after": "Harbour bridge reopens to heavy traffic",
        }
    ]
    assert one["body_diff"].splitlines()[:2] == ["--- revision 1", "+++ revision 2"]
    assert "-Traffic was light." in one["body_diff"].splitlines()
    assert "+Traffic was heavy by noon." in one["body_diff"].splitlines()

    two = client.get(f"/articles/{article_id}/revisions/2").json()
    assert two["replaced_by"] == "current"
    assert two["changes"] == [
        {
            "field": "published_at",
            "before": "2024-05-17T07:30:00+00:00",
            "after": "2024-05-18T08:00:00+00:00",
        }
    ]
    assert two["body_diff"] == ""
    # The current version is the article itself.
    assert (
        client.get(f"/articles/{article_id}").json()["published_at"] == "2024-05-18T08:00:00+00:00"
    )


def test_unknown_articles_and_revisions_are_404_problems(client: TestClient) -> None:
    article_id = client.post("/articles", json=ARTICLE).json()["id"]
    for path in ("/articles/999/revisions", f"/articles/{article_id}/revisions/1"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
    assert client.get(f"/articles/{article_id}/revisions/0").status_code == 422


def test_deleting_an_article_deletes_its_history(client: TestClient) -> None:
    article_id = client.post("/articles", json=ARTICLE).json()["id"]
    client.patch(f"/articles/{article_id}", json={"title": "Harbour bridge reopens at last"})
    assert len(client.get(f"/articles/{article_id}/revisions").json()["revisions"]) == 1
    assert client.delete(f"/articles/{article_id}").status_code == 204
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        left = connection.execute(sa.text("SELECT count(*) FROM article_revisions")).scalar_one()
    assert left == 0
    assert client.get(f"/articles/{article_id}/revisions").status_code == 404


def test_two_writers_of_one_article_number_their_revisions_one_after_the_other(
    client: TestClient, settings: Settings
) -> None:
    """A writer that read the article before another one stored a revision still numbers its
    own after it (the number is taken when the revision is written, under the write lock)."""
    article_id = client.post("/articles", json=ARTICLE).json()["id"]
    engine = make_engine(settings)
    with Session(engine) as slower:
        article = slower.get(Article, article_id)
        assert article is not None
        revisions.keep_previous(slower, article, ["title"])
        with Session(engine) as faster:
            first = faster.get(Article, article_id)
            assert first is not None
            articles_service.update(
                session=faster, article=first, changes=ArticleUpdate(title="Faster"), extract=False
            )
        article.title = "Slower"
        slower.commit()
    engine.dispose()
    listed = client.get(f"/articles/{article_id}/revisions").json()["revisions"]
    assert sorted(revision["number"] for revision in listed) == [1, 2]
    assert client.get(f"/articles/{article_id}").json()["title"] == "Slower"


def test_the_last_revision_number_the_column_holds_is_a_404_not_a_500(client: TestClient) -> None:
    article_id = client.post("/articles", json=ARTICLE).json()["id"]
    response = client.get(f"/articles/{article_id}/revisions/{2**31 - 1}")
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get(f"/articles/{article_id}/revisions/{2**31}").status_code == 422

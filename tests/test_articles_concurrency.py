"""Writers racing on one article's url or external_id: one article, a clear answer, no 500."""

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.articles import service as articles_service
from app.articles.schemas import ArticleCreate
from app.config import Settings
from app.db import make_engine
from app.main import create_app
from tests.test_articles_api import ARTICLE


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("same_content", [True, False])
def test_concurrent_posts_of_same_url(
    settings: Settings, write_key: str, same_content: bool
) -> None:
    rounds = 8
    headers = {"Authorization": f"Bearer {write_key}"}
    with TestClient(create_app(settings), headers=headers) as client:
        for round_number in range(rounds):
            url = f"https://example.org/race/{round_number}"
            payloads = [
                {**ARTICLE, "external_id": None, "url": url, "title": f"Title {side}"}
                for side in ("a", "a" if same_content else "b")
            ]
            barrier = threading.Barrier(2)
            results: list[Any] = [None, None]

            def send(
                index: int,
                barrier: threading.Barrier = barrier,
                results: list[Any] = results,
                payloads: list[dict[str, Any]] = payloads,
            ) -> None:
                barrier.wait()
                results[index] = client.post("/articles", json=payloads[index])

            threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            statuses = sorted(r.status_code for r in results)
            assert statuses == [200, 201], [r.text for r in results]
            assert results[0].json()["id"] == results[1].json()["id"]
            outcomes = sorted(r.headers["x-upsert-outcome"] for r in results)
            assert outcomes == (
                ["created", "unchanged"] if same_content else ["created", "updated"]
            )
        listing = client.get("/articles", params={"count": True}).json()
        assert listing["count"] == rounds


def test_a_key_taken_between_lookup_and_update_is_a_conflict_not_a_500(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upsert that updates by url while another writer takes the external_id it brings.

    The other writer is a real second connection; the hook only chooses the moment, the
    instant between the upsert's lookup and its write, that threads would hit by chance."""
    first = client.post("/articles", json={**ARTICLE, "external_id": None}).json()
    taken_by_other = {**ARTICLE, "url": "https://example.org/other", "external_id": "wire-7"}
    original = articles_service._story_changes
    raced: list[bool] = []

    def concurrent_writer_first(*args: Any, **kwargs: Any) -> Any:
        if not raced:
            raced.append(True)
            engine = make_engine(settings)
            with Session(engine) as other:
                articles_service.upsert(
                    session=other, data=ArticleCreate.model_validate(taken_by_other), extract=False
                )
            engine.dispose()
        return original(*args, **kwargs)

    monkeypatch.setattr(articles_service, "_story_changes", concurrent_writer_first)
    change = {**ARTICLE, "external_id": "wire-7", "title": "A new title"}
    response = client.post("/articles", json=change)
    assert raced == [True]
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "belong to different articles" in response.json()["detail"]
    kept = client.get(f"/articles/{first['id']}").json()
    assert (kept["title"], kept["external_id"]) == (ARTICLE["title"], None)


def test_an_article_deleted_between_read_and_patch_is_a_404_not_a_500(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PATCH whose article another request deletes after the PATCH read it: its UPDATE
    matches no row. The deleting writer is a real second connection; the hook only chooses
    the moment."""
    made = client.post("/articles", json=ARTICLE).json()
    original = articles_service._story_changes
    raced: list[bool] = []

    def concurrent_delete_first(*args: Any, **kwargs: Any) -> Any:
        if not raced:
            raced.append(True)
            engine = make_engine(settings)
            with Session(engine) as other:
                articles_service.delete(
                    session=other,
                    article=articles_service.get(session=other, article_id=made["id"]),
                )
            engine.dispose()
        return original(*args, **kwargs)

    monkeypatch.setattr(articles_service, "_story_changes", concurrent_delete_first)
    response = client.patch(f"/articles/{made['id']}", json={"title": "A new title"})
    assert raced == [True]
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == f"No article with id {made['id']}."
    assert client.get(f"/articles/{made['id']}").status_code == 404

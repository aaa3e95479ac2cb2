"""Two clients posting the same url at the same moment on PostgreSQL: one article, no 500."""

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
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

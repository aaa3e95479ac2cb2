"""GET /entities takes back only cursors it could have issued: anything else is a 422, never a
database error (both databases)."""

import base64
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient


def forged(payload: Any) -> str:
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("sort", "payload"),
    [
        ("articles", {"s": "articles", "k": 3, "i": 2**63}),
        ("articles", {"s": "articles", "k": 3, "i": True}),
        ("articles", {"s": "articles", "k": True, "i": 1}),
        ("articles", {"s": "articles", "k": 1.5, "i": 1}),
        ("articles", {"s": "articles", "k": 3, "i": 0}),
        ("articles", {"s": "articles", "k": 3, "i": 1, "x": 1}),
        ("articles", [1, 2, 3]),
        ("articles", "[" * 5_000 + "]" * 5_000),
        ("name", {"s": "name", "k": "a\x00b", "i": 1}),
        ("name", {"s": "name", "k": "a" * 600, "i": 1}),
        ("name", {"s": "name", "k": 5, "i": 1}),
    ],
)
def test_forged_entity_cursors_are_422(client: TestClient, sort: str, payload: Any) -> None:
    response = client.get("/entities", params={"sort": sort, "cursor": forged(payload)})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["query", "cursor"]

"""Entity search across articles, against a real Meilisearch: however an article or a reader
names a thing, search by entity finds every article about it, and a merge the archive makes by
itself reaches the index."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import sync_index
from tests.test_search_api import search

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)

ARTICLES: list[dict[str, Any]] = [
    {
        "title": "Senator meets voters",
        "body": "Obama spoke to voters in Ohio on Monday, and Obama said the plan would pass.",
    },
    {
        "title": "A speech on health care",
        "body": "Barack Obama gave a speech on Tuesday. Obama said the law would stand.",
    },
    {
        "title": "The president travels",
        "body": "President Barack Obama flew to Texas on Wednesday, where Obama met governors.",
    },
    {
        "title": "Republicans block the bill",
        "body": "Republicans and the GOP leadership blocked the bill, the FBI and the Justice "
        "Department said nothing, and Democrats objected.",
    },
]


@pytest.fixture
def archive(search_client: TestClient) -> TestClient:
    for n, article in enumerate(ARTICLES, start=1):
        response = search_client.post("/articles", json={**article, "url": f"https://ex.org/{n}"})
        assert response.status_code == 201, response.text
    sync_index(search_client)
    return search_client


def ids(result: dict[str, Any]) -> list[int]:
    return sorted(hit["id"] for hit in result["hits"])


@pytest.mark.parametrize("value", ["Barack Obama", "Obama", "President Obama", "obama's"])
def test_an_article_that_named_a_short_form_before_the_full_name_was_known_is_found(
    archive: TestClient, value: str
) -> None:
    # Article 1 said only "Obama"; articles 2 and 3 tied "Obama" to Barack Obama, and the
    # archive merged the early entity into his and re-indexed article 1.
    result = search(archive, entity=value)
    assert ids(result) == [1, 2, 3]
    assert result["query"]["filters"]["entity"] == ["barack-obama"]


@pytest.mark.parametrize(
    ("value", "slug"),
    [
        ("GOP", "republican-party"),
        ("Republicans", "republican-party"),
        ("the FBI", "federal-bureau-of-investigation"),
        ("Department of Justice", "department-of-justice"),
        ("DOJ", "department-of-justice"),
        ("democrats", "democratic-party"),
    ],
)
def test_parties_and_agencies_by_any_name(archive: TestClient, value: str, slug: str) -> None:
    result = search(archive, entity=value)
    assert ids(result) == [4]
    assert result["query"]["filters"]["entity"] == [slug]

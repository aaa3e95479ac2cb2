"""/articles with entities and the /entities endpoints, on SQLite and PostgreSQL, with the
real spaCy model reading the texts."""

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.outbox import OutboxEntry
from app.paths import SHARED_DATA
from tests.conftest import auth_headers
from tests.corpus import requires_corpus

SAMPLE = SHARED_DATA / "samples" / "raw-article-azerbaijan-armenia.txt"

ARTICLES: list[dict[str, Any]] = [
    {
        "title": "Farmers in the U.S. expect a record harvest",
        "body": "U.S. farmers expect a record wheat harvest this year, the Agriculture Department "
        "said on Monday, as exports to Japan rose.",
        "published_at": "2024-03-01T08:00:00+00:00",
    },
    {
        "title": "America and Canada sign dairy deal",
        "body": "America and Canada agreed on Tuesday to open their dairy markets, officials said.",
        "published_at": "2024-03-15T12:00:00+00:00",
    },
    {
        "title": "Talks resume in Washington",
        "body": "Officials in Washington said on Wednesday that talks with China on tariffs would "
        "resume next week.",
        "published_at": "2024-04-02T09:30:00+00:00",
    },
    {
        "title": "Armenia and Azerbaijan swap prisoners",
        "body": "Armenia and Azerbaijan exchanged prisoners on Friday. Armenian Prime Minister "
        "Nikol Pashinyan welcomed the exchange, and Pashinyan said talks would continue.",
        "published_at": "2024-04-20T16:00:00+00:00",
    },
    {
        "title": "Brazil cuts coffee export tax",
        "body": "Brazil cut its coffee export tax on Thursday, the finance ministry in Brasilia "
        "said, lifting hopes in Colombia.",
        "published_at": None,
    },
]


@pytest.fixture
def seeded(client: TestClient) -> TestClient:
    for n, article in enumerate(ARTICLES, start=1):
        response = client.post("/articles", json={**article, "url": f"https://ex.org/{n}"})
        assert response.status_code == 201, response.text
    return client


@pytest.fixture
def outbox(settings: Settings) -> Iterator["Outbox"]:
    outbox = Outbox(settings)
    yield outbox
    outbox.engine.dispose()


class Outbox:
    """The indexing outbox as tests see it: cleared, then read back."""

    def __init__(self, settings: Settings) -> None:
        self.engine = make_engine(settings)

    def clear(self) -> None:
        with Session(self.engine) as session:
            session.execute(sa.delete(OutboxEntry))
            session.commit()

    def article_ids(self) -> list[int]:
        with Session(self.engine) as session:
            return sorted(session.exec(select(OutboxEntry.article_id)).all())


def entity_rows(article: dict[str, Any]) -> list[tuple[str, str, int, str]]:
    return [(e["slug"], e["type"], e["mentions"], e["source"]) for e in article["entities"]]


def walk(client: TestClient, path: str, **params: Any) -> list[list[Any]]:
    pages: list[list[Any]] = []
    cursor = None
    while True:
        response = client.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([item.get("slug", item.get("id")) for item in body["data"]])
        cursor = body["next"]
        if cursor is None:
            return pages


# --- articles carry their entities -------------------------------------------------------


@requires_corpus
def test_the_sample_article_is_stored_with_exactly_its_canonical_entities(
    client: TestClient,
) -> None:
    # The page export's debris is dropped as in tests/test_entities_extract.py.
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if not line.startswith(("READ MORE", "Loading..."))]
    while lines and not lines[-1].strip():
        lines.pop()
    lines.pop()
    payload = {"title": lines[0], "body": "\n".join(lines[1:]).strip()}

    response = client.post("/articles", json=payload)

    assert response.status_code == 201, response.text
    assert sorted((e["slug"], e["name"], e["type"]) for e in response.json()["entities"]) == [
        ("armenia", "Armenia", "place"),
        ("azerbaijan", "Azerbaijan", "place"),
        ("azerbaijan-defense-ministry", "Azerbaijan Defense Ministry", "organization"),
        ("iran", "Iran", "place"),
        ("jabrayil", "Jabrayil", "place"),
        ("nagorno-karabakh", "Nagorno-Karabakh", "place"),
        ("nikol-pashinyan", "Nikol Pashinyan", "person"),
        ("reuters", "Reuters", "organization"),
        ("russia", "Russia", "place"),
        ("south-caucasus", "South Caucasus", "place"),
    ]
    assert {e["source"] for e in response.json()["entities"]} == {"extracted"}
    stored = client.get(f"/articles/{response.json()['id']}").json()
    assert stored["entities"] == response.json()["entities"]


def test_entities_come_in_order_of_first_mention_with_counts(client: TestClient) -> None:
    response = client.post("/articles", json=ARTICLES[0])
    assert response.status_code == 201
    assert response.json()["entities"] == [
        {
            "slug": "united-states",
            "name": "United States",
            "type": "place",
            "mentions": 2,
            "source": "extracted",
        },
        {
            "slug": "department-of-agriculture",
            "name": "Agriculture Department",
            "type": "organization",
            "mentions": 1,
            "source": "extracted",
        },
        {"slug": "japan", "name": "Japan", "type": "place", "mentions": 1, "source": "extracted"},
    ]


def test_client_entities_are_kept_and_extraction_adds_to_them(client: TestClient) -> None:
    payload = {
        **ARTICLES[1],
        "url": "https://ex.org/dairy",
        "entities": [
            {"name": "Canada", "type": "place"},
            {"name": "Dairy Farmers Council", "type": "organization", "slug": "dfc"},
        ],
    }
    response = client.post("/articles", json=payload)
    assert response.status_code == 201
    assert entity_rows(response.json()) == [
        ("united-states", "place", 2, "extracted"),
        ("canada", "place", 2, "client"),
        ("dfc", "organization", 0, "client"),
    ]

    again = client.post("/articles", json=payload)
    assert again.status_code == 200
    assert again.headers["X-Upsert-Outcome"] == "unchanged"

    fewer = client.post("/articles", json={**payload, "entities": payload["entities"][:1]})
    assert fewer.headers["X-Upsert-Outcome"] == "updated"
    assert entity_rows(fewer.json()) == [
        ("united-states", "place", 2, "extracted"),
        ("canada", "place", 2, "client"),
    ]


def test_editing_the_text_finds_the_entities_again(client: TestClient) -> None:
    created = client.post(
        "/articles",
        json={**ARTICLES[2], "entities": [{"name": "Trade Office", "type": "organization"}]},
    ).json()
    patched = client.patch(
        f"/articles/{created['id']}",
        json={"body": "Officials in Beijing said talks with Canada would resume."},
    )
    assert patched.status_code == 200
    assert entity_rows(patched.json()) == [
        ("washington", "place", 1, "extracted"),
        ("beijing", "place", 1, "extracted"),
        ("canada", "place", 1, "extracted"),
        ("trade-office", "organization", 0, "client"),
    ]
    replaced = client.put(
        f"/articles/{created['id']}", json={"title": "Quiet day", "body": "Nothing happened."}
    )
    assert replaced.json()["entities"] == []


@pytest.mark.parametrize(
    "payload",
    [
        {"title": "…", "body": "—"},
        {
            "title": "Nachrichten aus Berlin",
            "body": "Die Regierung in Berlin hat am Montag beschlossen, dass die neuen Regeln für "
            "alle Unternehmen gelten sollen, die mehr als zehn Mitarbeiter haben.",
        },
        {
            "title": "Le pont rouvre",
            "body": "Le pont du port de Lisbonne a rouvert.",
            "language": "fr",
        },
    ],
)
def test_empty_or_foreign_text_has_no_entities(client: TestClient, payload: dict[str, Any]) -> None:
    response = client.post("/articles", json=payload)
    assert response.status_code == 201, response.text
    assert response.json()["entities"] == []


def test_with_extraction_off_only_client_entities_are_stored(
    settings: Settings, write_key: str
) -> None:
    off = settings.model_copy(update={"ENTITY_EXTRACTION_ENABLED": False})
    with TestClient(create_app(off), headers=auth_headers(write_key)) as client:
        response = client.post(
            "/articles", json={**ARTICLES[1], "entities": [{"name": "Canada", "type": "place"}]}
        )
    assert entity_rows(response.json()) == [("canada", "place", 2, "client")]


@pytest.mark.parametrize(
    ("entity", "loc"),
    [
        ({"name": "", "type": "place"}, ["body", "entities", 0, "name"]),
        ({"name": "Lisbon", "type": "planet"}, ["body", "entities", 0, "type"]),
        (
            {"name": "Lisbon", "type": "place", "slug": "Not A Slug"},
            ["body", "entities", 0, "slug"],
        ),
        ({"name": "東京", "type": "place"}, ["body", "entities", 0]),
    ],
)
def test_bad_client_entities_are_422(
    client: TestClient, entity: dict[str, Any], loc: list[Any]
) -> None:
    response = client.post("/articles", json={**ARTICLES[0], "entities": [entity]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == loc


# --- listing and autocomplete ------------------------------------------------------------

BY_ARTICLES = [
    "united-states",
    "department-of-agriculture",
    "japan",
    "canada",
    "china",
    "washington",
    "armenia",
    "azerbaijan",
    "nikol-pashinyan",
    "brasilia",
    "brazil",
    "colombia",
]


def test_entities_are_listed_by_article_count_in_pages(seeded: TestClient) -> None:
    first = seeded.get("/entities", params={"limit": 2}).json()
    assert first["data"] == [
        {"slug": "united-states", "name": "United States", "type": "place", "article_count": 2},
        {
            "slug": "department-of-agriculture",
            "name": "Agriculture Department",
            "type": "organization",
            "article_count": 1,
        },
    ]
    pages = walk(seeded, "/entities", limit=5)
    assert pages == [BY_ARTICLES[:5], BY_ARTICLES[5:10], BY_ARTICLES[10:]]


def test_entities_are_listed_by_name_and_by_type(seeded: TestClient) -> None:
    assert walk(seeded, "/entities", sort="name", limit=7) == [
        [
            "department-of-agriculture",
            "armenia",
            "azerbaijan",
            "brasilia",
            "brazil",
            "canada",
            "china",
        ],
        ["colombia", "japan", "nikol-pashinyan", "united-states", "washington"],
    ]
    assert walk(seeded, "/entities", type="person") == [["nikol-pashinyan"]]
    assert walk(seeded, "/entities", type="organization") == [["department-of-agriculture"]]


@pytest.mark.parametrize(
    ("q", "slugs"),
    [
        ("was", ["washington"]),
        ("WASH", ["washington"]),
        ("pash", ["nikol-pashinyan"]),
        ("u.s.", ["united-states"]),
        ("united st", ["united-states"]),
        ("Azerbajan", ["azerbaijan"]),
        ("Colombai", ["colombia"]),
        ("bra", ["brasilia", "brazil"]),
        ("zzzz", []),
    ],
)
def test_autocomplete_by_prefix_and_with_typos(
    seeded: TestClient, q: str, slugs: list[str]
) -> None:
    response = seeded.get("/entities", params={"q": q})
    assert response.status_code == 200
    assert [e["slug"] for e in response.json()["data"]] == slugs
    assert response.json()["next"] is None


def test_autocomplete_honours_type(seeded: TestClient) -> None:
    assert seeded.get("/entities", params={"q": "a", "type": "person"}).json()["data"] == []
    found = seeded.get("/entities", params={"q": "armenia", "type": "place"}).json()["data"]
    assert [e["slug"] for e in found] == ["armenia"]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"q": "was", "cursor": "abc"}, ["query", "cursor"]),
        ({"cursor": "garbage"}, ["query", "cursor"]),
        ({"sort": "popularity"}, ["query", "sort"]),
        ({"type": "planet"}, ["query", "type"]),
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 101}, ["query", "limit"]),
    ],
)
def test_bad_list_parameters_are_422(
    client: TestClient, params: dict[str, Any], loc: list[Any]
) -> None:
    response = client.get("/entities", params=params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == loc


def test_a_cursor_from_another_sort_is_refused(seeded: TestClient) -> None:
    cursor = seeded.get("/entities", params={"limit": 1}).json()["next"]
    response = seeded.get("/entities", params={"sort": "name", "cursor": cursor})
    assert response.status_code == 422
    assert response.json()["detail"] == "query.cursor: cursor was issued for sort=articles"


# --- one entity --------------------------------------------------------------------------


def test_entity_detail(seeded: TestClient) -> None:
    response = seeded.get("/entities/united-states")
    assert response.status_code == 200
    assert response.json() == {
        "slug": "united-states",
        "name": "United States",
        "type": "place",
        "aliases": ["America", "U.S.", "United States"],
        "within": None,
        "article_count": 2,
        "first_seen": "2024-03-01T08:00:00+00:00",
        "last_seen": "2024-03-15T12:00:00+00:00",
        "co_occurring": [
            {"slug": "canada", "name": "Canada", "type": "place", "count": 1},
            {
                "slug": "department-of-agriculture",
                "name": "Agriculture Department",
                "type": "organization",
                "count": 1,
            },
            {"slug": "japan", "name": "Japan", "type": "place", "count": 1},
        ],
        "months": [{"month": "2024-03", "count": 2}],
        "type_source": "evidence",
        "type_evidence": [{"type": "place", "articles": 2}],
        "forms": [
            {"form": "America", "articles": 1, "in_context": 0},
            {"form": "U.S.", "articles": 1, "in_context": 0},
        ],
        "merges": [],
    }


def test_entity_detail_of_a_city_and_of_undated_articles(seeded: TestClient) -> None:
    washington = seeded.get("/entities/washington").json()
    assert washington["within"] == "united-states"
    assert washington["months"] == [{"month": "2024-04", "count": 1}]
    brazil = seeded.get("/entities/brazil").json()
    assert (brazil["article_count"], brazil["first_seen"], brazil["last_seen"]) == (1, None, None)
    assert brazil["months"] == []


def test_unknown_entities_are_404(client: TestClient) -> None:
    for method, path, body in [
        ("GET", "/entities/atlantis", None),
        ("GET", "/entities/atlantis/articles", None),
        ("POST", "/entities/atlantis/aliases", {"alias": "Lost City"}),
        ("PATCH", "/entities/atlantis", {"name": "Atlantis"}),
        ("POST", "/entities/merge", {"into": "atlantis", "merge": "lemuria"}),
    ]:
        response = client.request(method, path, json=body)
        assert response.status_code == 404, (method, path)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "No entity with slug 'atlantis'."


def test_entity_articles_in_date_order_with_filters_and_pages(seeded: TestClient) -> None:
    path = "/entities/united-states/articles"
    newest = seeded.get(path, params={"count": True}).json()
    assert [a["id"] for a in newest["data"]] == [2, 1]
    assert newest["count"] == 2
    assert newest["data"][0]["entities"][0]["slug"] == "united-states"
    assert walk(seeded, path, limit=1, sort="oldest") == [[1], [2]]
    later = seeded.get(path, params={"published_from": "2024-03-10T00:00:00Z"}).json()
    assert [a["id"] for a in later["data"]] == [2]
    undated = seeded.get("/entities/brazil/articles").json()
    assert [a["id"] for a in undated["data"]] == [5]


def test_bad_entity_article_parameters_are_422(seeded: TestClient) -> None:
    path = "/entities/united-states/articles"
    cursor = seeded.get(path, params={"limit": 1}).json()["next"]
    for params, loc in [
        ({"cursor": "garbage"}, ["query", "cursor"]),
        ({"cursor": cursor, "sort": "oldest"}, ["query", "cursor"]),
        (
            {"published_from": "2024-04-01T00:00:00Z", "published_to": "2024-03-01T00:00:00Z"},
            ["query", "published_from"],
        ),
        ({"published_from": "2024-04-01T00:00:00"}, ["query", "published_from"]),
    ]:
        response = seeded.get(path, params=params)
        assert response.status_code == 422, params
        assert response.json()["errors"][0]["loc"] == loc


# --- changing entities -------------------------------------------------------------------


def test_aliases_are_added_once_and_owned_by_one_entity(seeded: TestClient, outbox: Outbox) -> None:
    outbox.clear()
    added = seeded.post("/entities/japan/aliases", json={"alias": "Nippon"})
    assert added.status_code == 201
    assert added.json()["aliases"] == ["Japan", "Nippon"]
    assert outbox.article_ids() == [1]

    again = seeded.post("/entities/japan/aliases", json={"alias": "NIPPON"})
    assert again.status_code == 200
    assert again.json()["aliases"] == ["Japan", "Nippon"]

    taken = seeded.post("/entities/japan/aliases", json={"alias": "america"})
    assert taken.status_code == 409
    assert taken.headers["content-type"] == "application/problem+json"
    assert taken.json()["detail"] == (
        "Alias 'america' already belongs to entity 'united-states' (United States)."
    )
    assert seeded.get("/entities", params={"q": "nipp"}).json()["data"][0]["slug"] == "japan"

    for body in ({"alias": ""}, {"alias": "..."}, {}, {"alias": "x", "extra": 1}):
        assert seeded.post("/entities/japan/aliases", json=body).status_code == 422, body


def test_merge_moves_articles_mentions_and_aliases(seeded: TestClient, outbox: Outbox) -> None:
    outbox.clear()
    response = seeded.post("/entities/merge", json={"into": "japan", "merge": "china"})
    assert response.status_code == 200, response.text
    japan = response.json()
    assert (japan["slug"], japan["article_count"]) == ("japan", 2)
    assert japan["aliases"] == ["China", "Japan"]
    assert outbox.article_ids() == [1, 3]
    assert entity_rows(seeded.get("/articles/3").json()) == [
        ("washington", "place", 2, "extracted"),
        ("japan", "place", 1, "extracted"),
    ]
    # The merged slug leads to the survivor, and later articles naming China link to it.
    assert seeded.get("/entities/china").json()["slug"] == "japan"
    later = seeded.post("/articles", json={"title": "China", "body": "China grew fast."}).json()
    assert entity_rows(later) == [("japan", "place", 2, "extracted")]


def test_merge_adds_mentions_of_articles_naming_both(seeded: TestClient) -> None:
    response = seeded.post(
        "/entities/merge", json={"into": "armenia", "merge": "azerbaijan", "force": False}
    )
    assert response.status_code == 200
    assert entity_rows(seeded.get("/articles/4").json()) == [
        ("armenia", "place", 5, "extracted"),
        ("nikol-pashinyan", "person", 2, "extracted"),
    ]


def test_merge_refuses_itself_and_different_types_unless_forced(seeded: TestClient) -> None:
    itself = seeded.post("/entities/merge", json={"into": "japan", "merge": "japan"})
    assert itself.status_code == 422
    assert itself.json()["errors"] == [
        {"loc": ["body", "merge"], "msg": "an entity cannot be merged into itself"}
    ]
    mixed = {"into": "nikol-pashinyan", "merge": "armenia"}
    refused = seeded.post("/entities/merge", json=mixed)
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "'armenia' is a place and 'nikol-pashinyan' a person; pass force=true to merge them anyway."
    )
    assert seeded.get("/entities/armenia").json()["slug"] == "armenia"
    forced = seeded.post("/entities/merge", json={**mixed, "force": True})
    assert forced.status_code == 200
    assert forced.json()["type"] == "person"


def test_patch_renames_and_retypes_and_reindexes(seeded: TestClient, outbox: Outbox) -> None:
    outbox.clear()
    response = seeded.patch(
        "/entities/department-of-agriculture",
        json={"name": "U.S. Department of Agriculture", "type": "organization"},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["slug"], body["name"], body["type"]) == (
        "department-of-agriculture",
        "U.S. Department of Agriculture",
        "organization",
    )
    assert body["aliases"] == ["Agriculture Department", "U.S. Department of Agriculture"]
    assert outbox.article_ids() == [1]
    assert seeded.get("/articles/1").json()["entities"][1]["name"] == (
        "U.S. Department of Agriculture"
    )

    retyped = seeded.patch("/entities/brasilia", json={"type": "facility"})
    assert retyped.json()["type"] == "facility"
    assert outbox.article_ids() == [1, 5]

    taken = seeded.patch("/entities/brasilia", json={"name": "America"})
    assert taken.status_code == 409
    for body_ in ({"name": None}, {"type": "planet"}, {"slug": "x"}):
        assert seeded.patch("/entities/brasilia", json=body_).status_code == 422, body_


def test_writes_need_a_write_key_and_reads_do_not(
    seeded: TestClient, anonymous_client: TestClient
) -> None:
    assert anonymous_client.get("/entities").status_code == 200
    assert anonymous_client.get("/entities/japan").status_code == 200
    for method, path, body in [
        ("POST", "/entities/japan/aliases", {"alias": "Nippon"}),
        ("PATCH", "/entities/japan", {"name": "Nippon"}),
        ("POST", "/entities/merge", {"into": "japan", "merge": "china"}),
    ]:
        assert anonymous_client.request(method, path, json=body).status_code == 401


def test_every_entity_endpoint_documents_a_response_model_with_examples(
    client: TestClient,
) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    operations = [
        (path, method, operation)
        for path, methods in spec["paths"].items()
        if path.startswith("/entities")
        for method, operation in methods.items()
    ]
    assert len(operations) == 15
    for path, method, operation in operations:
        success = next(
            response
            for status, response in operation["responses"].items()
            if status.startswith("2")
        )
        if "content" not in success:  # 204 No Content
            assert method == "delete", (path, method)
            continue
        schema_ref = success["content"]["application/json"]["schema"]
        ref = schema_ref.get("$ref") or schema_ref["items"]["$ref"]
        schema = schemas[ref.rsplit("/", 1)[1]]
        assert schema.get("examples"), (path, method, ref)

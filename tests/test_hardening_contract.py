"""The OpenAPI document and the server agree: what the schema allows is taken, what it forbids
is refused with 422 problem+json, and a method a documented path does not take is 405."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.articles import service as articles_service
from app.field_types import WHITESPACE
from tests.conftest import auth_headers
from tests.test_articles_api import ARTICLE, make_article
from tests.test_articles_bad_input import assert_problem, stored_count

#: For what only the schema or the routing decides: no database is involved.
SCHEMA_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
LANGUAGE_MSG = "Value error, must be an ISO 639-1 code in lower case, such as 'en' or 'fr'"


def openapi(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def component(client: TestClient, name: str) -> dict[str, Any]:
    schema: dict[str, Any] = openapi(client)["components"]["schemas"][name]
    return schema


def parameter(client: TestClient, path: str, method: str, name: str) -> dict[str, Any]:
    operation = openapi(client)["paths"][path][method]
    found: dict[str, Any] = next(p for p in operation["parameters"] if p["name"] == name)
    return found


def test_whitespace_is_what_strip_removes() -> None:
    assert "".join(chr(code) for code in range(0x110000) if chr(code).isspace()) == WHITESPACE


# --- requests the schema allowed and the server refused ---------------------------------


@pytest.mark.parametrize("language", ["xx", "EN"])
def test_a_language_outside_the_listed_codes_is_refused(client: TestClient, language: str) -> None:
    problem = assert_problem(client.post("/articles", json={**ARTICLE, "language": language}), 422)
    assert problem["errors"] == [{"loc": ["body", "language"], "msg": LANGUAGE_MSG}]
    assert stored_count(client) == 0


@SCHEMA_ONLY
def test_the_schema_lists_the_language_codes(client: TestClient) -> None:
    codes = component(client, "LanguageCode")
    assert codes["type"] == "string"
    assert len(codes["enum"]) == 184
    assert {"en", "fr", "de", "zh"} <= set(codes["enum"])
    language = component(client, "ArticleCreate")["properties"]["language"]
    assert language["$ref"] == "#/components/schemas/LanguageCode"
    assert language["default"] == "en"
    imported = parameter(client, "/articles/import", "post", "language")["schema"]
    assert imported["anyOf"][0] == {"$ref": "#/components/schemas/LanguageCode"}
    response = client.post("/articles", json={**ARTICLE, "language": "fr"})
    assert response.status_code == 201, response.text
    assert response.json()["language"] == "fr"


@SCHEMA_ONLY
def test_an_import_with_a_language_outside_the_codes_is_refused(client: TestClient) -> None:
    response = client.post(
        "/articles/import?language=xx",
        content=b"Harbour bridge reopens\n\nThe bridge reopened on Friday after two years.",
        headers={"content-type": "text/plain"},
    )
    problem = assert_problem(response, 422)
    assert problem["errors"] == [{"loc": ["query", "language"], "msg": LANGUAGE_MSG}]


@SCHEMA_ONLY
@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/articles", "get"),
        ("/entities", "get"),
        ("/entities/audit", "get"),
        ("/entities/{slug}/articles", "get"),
        ("/search", "get"),
    ],
)
def test_an_empty_cursor_is_outside_the_schema(client: TestClient, path: str, method: str) -> None:
    schema = parameter(client, path, method, "cursor")["schema"]
    assert schema["anyOf"][0] == {"type": "string", "minLength": 1}


@SCHEMA_ONLY
def test_an_empty_cursor_is_refused_as_the_schema_says(client: TestClient) -> None:
    problem = assert_problem(client.get("/articles?cursor="), 422)
    assert problem["errors"] == [
        {"loc": ["query", "cursor"], "msg": "String should have at least 1 character"}
    ]


@pytest.mark.parametrize("field", ["title", "language", "tags"])
def test_patch_null_for_a_field_every_article_has_is_refused(
    client: TestClient, field: str
) -> None:
    assert client.post("/articles", json=ARTICLE).status_code == 201
    problem = assert_problem(client.patch("/articles/1", json={field: None}), 422)
    assert problem["errors"] == [
        {
            "loc": ["body", field],
            "msg": "Value error, cannot be null; leave the field out to keep its value",
        }
    ]
    assert client.get("/articles/1").json()[field] == client.get("/articles/1").json()[field]
    assert client.get("/articles/1").json()["title"] == ARTICLE["title"]
    # The schema says the same: a string (or list), never null.
    property_ = component(client, "ArticleUpdate")["properties"][field]
    assert "anyOf" not in property_
    assert "null" not in str(property_.get("type"))


def test_patch_null_entity_type_is_refused_as_the_schema_says(client: TestClient) -> None:
    entities = [{"name": "Harbour Authority", "type": "organization"}]
    assert client.post("/articles", json={**ARTICLE, "entities": entities}).status_code == 201
    problem = assert_problem(client.patch("/entities/harbour-authority", json={"type": None}), 422)
    assert problem["errors"][0]["loc"] == ["body", "type"]
    assert client.get("/entities/harbour-authority").json()["type"] == "organization"
    assert "anyOf" not in component(client, "EntityUpdate")["properties"]["type"]


def test_a_name_that_makes_no_slug_needs_one_and_the_schema_says_so(client: TestClient) -> None:
    no_slug = {**ARTICLE, "entities": [{"name": "東京", "type": "place"}]}
    problem = assert_problem(client.post("/articles", json=no_slug), 422)
    assert problem["errors"][0]["loc"] == ["body", "entities", 0]
    given = {**ARTICLE, "entities": [{"name": "東京", "type": "place", "slug": "tokyo"}]}
    assert client.post("/articles", json=given).status_code == 201
    schema = component(client, "EntityIn")
    assert schema["anyOf"][0] == {"required": ["slug"], "properties": {"slug": {"type": "string"}}}
    pattern = schema["anyOf"][1]["properties"]["name"]["pattern"]
    assert pattern.startswith("[\\u0030-\\u0039\\u0041-\\u005a\\u0061-\\u007a")


def test_a_long_name_without_a_slug_gets_one_cut_to_200_characters(client: TestClient) -> None:
    name = " ".join(["Harbour"] * 60)  # a slug of 479 characters
    response = client.post(
        "/articles", json={**ARTICLE, "entities": [{"name": name, "type": "organization"}]}
    )
    assert response.status_code == 201, response.text
    slug = response.json()["entities"][0]["slug"]
    assert len(slug) == 199
    assert slug == "-".join(["harbour"] * 25)


@SCHEMA_ONLY
def test_an_alias_with_no_letters_is_outside_the_schema(client: TestClient) -> None:
    alias = component(client, "AliasCreate")["properties"]["alias"]
    assert alias["pattern"].startswith("(?:[^\\W_]|[")
    assert alias["maxLength"] == 500


@SCHEMA_ONLY
def test_an_empty_import_is_outside_the_schema(client: TestClient) -> None:
    body = openapi(client)["paths"]["/articles/import"]["post"]["requestBody"]["content"]
    for media_type in ("text/plain", "text/html"):
        assert body[media_type]["schema"]["minLength"] == 1
        assert body[media_type]["schema"]["pattern"].startswith("[^\\u0009")
    response = client.post(
        "/articles/import", content=b" \n", headers={"content-type": "text/plain"}
    )
    assert assert_problem(response, 422)["errors"] == [
        {"loc": ["body"], "msg": "the text is empty"}
    ]


def test_splitting_a_form_the_entity_lacks_is_404_and_its_only_form_409(
    client: TestClient, admin_key: str
) -> None:
    admin = auth_headers(admin_key)
    entities = [{"name": "Harbour Authority", "type": "organization"}]
    body = "The Harbour Authority reopened the bridge on Friday after two years of repairs."
    article = {**ARTICLE, "body": body, "entities": entities}
    assert client.post("/articles", json=article).status_code == 201
    missing = client.post(
        "/entities/harbour-authority/split", json={"form": "Sanders"}, headers=admin
    )
    assert assert_problem(missing, 404)["detail"] == (
        "'Sanders' is not a form articles use for 'harbour-authority'."
    )
    only = client.post(
        "/entities/harbour-authority/split", json={"form": "Harbour Authority"}, headers=admin
    )
    assert assert_problem(only, 409)["detail"] == (
        "'Harbour Authority' is the only form of 'harbour-authority': "
        "there is nothing to split from it."
    )


# --- requests the schema forbade and the server took ------------------------------------


def test_a_bulk_array_with_an_item_that_is_no_article_is_refused_whole(
    client: TestClient,
) -> None:
    items = [make_article(1), {k: v for k, v in make_article(2).items() if k != "body"}, 5]
    problem = assert_problem(client.post("/articles/bulk", json=items), 422)
    assert problem["errors"] == [
        {"loc": ["body", 1, "body"], "msg": "Field required"},
        {
            "loc": ["body", 2],
            "msg": "Input should be a valid dictionary or instance of ArticleCreate",
        },
    ]
    assert stored_count(client) == 0


@pytest.mark.parametrize(
    ("change", "loc", "msg"),
    [
        ({"highlight": 0}, ["body", "highlight"], "must be true or false"),
        ({"include_duplicates": "yes"}, ["body", "include_duplicates"], "must be true or false"),
        ({"per_page": "20"}, ["body", "per_page"], "must be a JSON integer"),
        (
            {"from": 0},
            ["body", "from"],
            "Value error, must be an ISO 8601 date (2024-05-17) or datetime with offset",
        ),
    ],
)
@SCHEMA_ONLY
def test_a_search_body_takes_json_types_only(
    search_client: TestClient, change: dict[str, Any], loc: list[Any], msg: str
) -> None:
    response = search_client.post("/search", json={"q": "bridge", **change})
    problem = assert_problem(response, 422)
    assert problem["errors"] == [{"loc": loc, "msg": msg}]


ENTITY_LISTS = [
    ("/search", {}),
    ("/search/export", {}),
    ("/search/timeline", {"from": "2024-01-01", "to": "2024-03-31"}),
    ("/search/counts", {"queries": [{"label": "all"}]}),
]


@pytest.mark.parametrize(
    ("value", "msg"),
    [
        ("opec", "Value error, must be an array of strings"),
        (["opec", 7], "Value error, every value must be text"),
        ([""] * 101, "Value error, at most 100 values"),
    ],
)
@pytest.mark.parametrize(("path", "base"), ENTITY_LISTS)
@SCHEMA_ONLY
def test_a_json_entity_list_is_an_array_of_at_most_100_strings_as_sent(
    search_client: TestClient, path: str, base: dict[str, Any], value: Any, msg: str
) -> None:
    # Blank values are dropped after the check: 101 blanks are not 0 values.
    response = search_client.post(path, json={**base, "any_entity": value})
    problem = assert_problem(response, 422)
    assert problem["errors"] == [{"loc": ["body", "any_entity"], "msg": msg}]


@SCHEMA_ONLY
def test_a_labelled_query_holds_its_lists_to_the_schema_too(search_client: TestClient) -> None:
    body = {"queries": [{"label": "many", "entity": ["opec"] * 101}]}
    problem = assert_problem(search_client.post("/search/counts", json=body), 422)
    assert problem["errors"] == [
        {"loc": ["body", "queries", 0, "entity"], "msg": "Value error, at most 100 values"}
    ]


@SCHEMA_ONLY
def test_comma_separated_values_count_towards_a_list_of_100_and_repeats_count_once(
    search_client: TestClient,
) -> None:
    many = [f"first-{n},second-{n}" for n in range(51)]
    problem = assert_problem(search_client.post("/search", json={"entity": many}), 422)
    assert problem["errors"] == [
        {
            "loc": ["body", "entity"],
            "msg": "Value error, at most 100 values in all, counting each comma-separated one",
        }
    ]
    repeated = ["title,id"] * 100
    response = search_client.post("/search", json={"q": "x", "fields": repeated})
    assert response.status_code == 200, response.text


@SCHEMA_ONLY
def test_a_blank_label_is_outside_the_schema_and_refused(search_client: TestClient) -> None:
    label = component(search_client, "LabelledQuery")["properties"]["label"]
    assert not re.search(label["pattern"], " \t")
    body = {"queries": [{"label": " ", "q": "bridge"}]}
    problem = assert_problem(search_client.post("/search/counts", json=body), 422)
    assert problem["errors"][0]["loc"] == ["body", "queries", 0, "label"]


@SCHEMA_ONLY
def test_export_and_related_field_names_are_in_the_schema(search_client: TestClient) -> None:
    fields = parameter(search_client, "/search/export", "get", "fields")["schema"]
    assert "published_at" in fields["items"]["pattern"]
    body = component(search_client, "ExportBody")["properties"]["fields"]
    assert body["items"]["pattern"] == fields["items"]["pattern"]
    related = parameter(search_client, "/articles/{article_id}/related", "get", "fields")
    assert related["schema"]["items"]["pattern"] == fields["items"]["pattern"]


@SCHEMA_ONLY
def test_a_new_saved_search_needs_a_webhook_or_a_feed_and_the_schema_says_so(
    client: TestClient,
) -> None:
    schema = component(client, "SavedSearchCreate")
    assert schema["anyOf"] == [
        {"required": ["webhook"], "properties": {"webhook": {"type": "object"}}},
        {"required": ["feed"], "properties": {"feed": {"const": True}}},
    ]
    body = {"name": "Watch", "search": {"q": "bridge"}, "feed": False, "webhook": None}
    problem = assert_problem(client.post("/saved-searches", json=body), 422)
    assert problem["errors"][0]["loc"] == ["body"]


@SCHEMA_ONLY
def test_a_saved_search_edit_offers_null_only_for_the_webhook(client: TestClient) -> None:
    properties = component(client, "SavedSearchUpdate")["properties"]
    nullable = sorted(
        name for name, field in properties.items() if {"type": "null"} in field.get("anyOf", [])
    )
    assert nullable == ["webhook"]


@SCHEMA_ONLY
def test_a_webhook_url_is_an_http_url_in_the_schema(client: TestClient) -> None:
    pattern = component(client, "WebhookIn")["properties"]["url"]["pattern"]
    assert re.fullmatch(pattern, "HTTPS://hooks.example.org/x")
    assert not re.fullmatch(pattern, "ftp://hooks.example.org/x")
    assert not re.fullmatch(pattern, "https://hooks example.org")
    body = {"name": "W", "search": {}, "webhook": {"url": "ftp://x.org", "secret": "s" * 16}}
    assert_problem(client.post("/saved-searches", json=body), 422)


@SCHEMA_ONLY
@pytest.mark.parametrize("number", ["-8.100481539437025e-15", ".5", "5."])
def test_a_number_in_any_spelling_is_no_datetime(client: TestClient, number: str) -> None:
    # Pydantic reads these as Unix timestamps; the schema says date-time.
    problem = assert_problem(client.get("/articles", params={"published_from": number}), 422)
    assert problem["errors"] == [
        {
            "loc": ["query", "published_from"],
            "msg": "Value error, must be an ISO 8601 datetime with an offset, e.g. 2024-05-17T09:30:00Z",
        }
    ]


@SCHEMA_ONLY
def test_merge_force_is_a_json_boolean(client: TestClient) -> None:
    body = {"into": "a", "merge": "b", "force": 1}
    problem = assert_problem(client.post("/entities/merge", json=body), 422)
    assert problem["errors"] == [{"loc": ["body", "force"], "msg": "must be true or false"}]


@SCHEMA_ONLY
@pytest.mark.parametrize(
    ("field", "limit"), [("title", 1000), ("image_caption", 5000), ("source", 200), ("tags", 100)]
)
def test_text_limits_count_the_text_as_sent(client: TestClient, field: str, limit: int) -> None:
    # Surrounding spaces used to be stripped first, so an over-long value was taken, shortened.
    value: Any = "a" + " " * limit
    if field == "tags":
        value = [value]
    response = client.post("/articles", json={**ARTICLE, field: value})
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["msg"] == f"String should have at most {limit} characters"
    assert stored_count(client) == 0


def test_an_over_long_alias_is_refused_not_trimmed(client: TestClient) -> None:
    entities = [{"name": "Harbour Authority", "type": "organization"}]
    assert client.post("/articles", json={**ARTICLE, "entities": entities}).status_code == 201
    response = client.post("/entities/harbour-authority/aliases", json={"alias": "HA" + " " * 500})
    problem = assert_problem(response, 422)
    assert problem["errors"] == [
        {"loc": ["body", "alias"], "msg": "String should have at most 500 characters"}
    ]
    assert client.get("/entities/harbour-authority").json()["aliases"] == ["Harbour Authority"]


# --- methods and ids --------------------------------------------------------------------


@SCHEMA_ONLY
@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/articles/bulk", "POST"),
        ("PUT", "/articles/import", "POST"),
        ("GET", "/articles/bulk", "POST"),
        ("GET", "/entities/consolidate", "POST"),
        ("PATCH", "/entities/merge", "POST"),
        ("OPTIONS", "/entities/blocked-forms", "GET, POST"),
        ("DELETE", "/entities/distinct", "POST"),
    ],
)
def test_a_documented_path_takes_only_its_own_methods(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    # Not 415 (the template's body check) nor 422 (its id check): concrete paths come first.
    response = client.request(method, path, headers={"content-type": "application/json"})
    problem = assert_problem(response, 405)
    assert response.headers["allow"] == allow
    assert problem["detail"] == f"{method} is not allowed here; allowed: {allow}."


def test_a_template_still_serves_the_paths_no_document_names(client: TestClient) -> None:
    assert client.post("/articles", json=ARTICLE).status_code == 201
    assert client.put("/articles/1", json=ARTICLE).status_code == 200
    assert assert_problem(client.get("/entities/nowhere"), 404)["detail"]


def test_a_merge_id_past_the_column_is_no_merge(client: TestClient, admin_key: str) -> None:
    # SQLite's driver could not bind it: a 500 before.
    response = client.post(
        "/entities/merges/46601369926967828480/undo", json={}, headers=auth_headers(admin_key)
    )
    assert assert_problem(response, 404)["detail"] == "No merge with id 46601369926967828480."


@SCHEMA_ONLY
def test_links_lead_from_a_created_article_to_its_operations(client: TestClient) -> None:
    created = openapi(client)["paths"]["/articles"]["post"]["responses"]["201"]
    links = created["links"]
    assert {link["operationId"] for link in links.values()} == {
        "get_article_articles__article_id__get",
        "patch_article_articles__article_id__patch",
        "put_article_articles__article_id__put",
        "delete_article_articles__article_id__delete",
    }
    assert {str(link["parameters"]) for link in links.values()} == {
        "{'article_id': '$response.body#/id'}"
    }


def test_a_key_taken_by_a_concurrent_write_is_a_conflict(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two writes racing for one external_id both pass the check before either stores; the
    # loser's UPDATE fails inside a later query's autoflush (a 500 on PostgreSQL before).
    assert client.post("/articles", json=make_article(1)).status_code == 201
    assert client.post("/articles", json=make_article(2)).status_code == 201
    monkeypatch.setattr(articles_service, "_check_unique_elsewhere", lambda *_: None)
    response = client.put("/articles/2", json=make_article(2, external_id="ex-1"))
    assert assert_problem(response, 409)["detail"] == (
        "url or external_id already belongs to another article."
    )
    assert client.get("/articles/2").json()["external_id"] == "ex-2"

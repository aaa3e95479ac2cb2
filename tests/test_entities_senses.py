"""One name, two things: the Amazon rainforest and Amazon the company, the Atlantic Ocean and
The Atlantic the magazine, a family ("the Clintons") and one of its members; and a company
named inside its products ("Apple Watch", "Apple Podcasts")."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi.testclient import TestClient

from app.entities import senses
from app.entities.canonical import canonicalise
from app.entities.gazetteer import lookup_country
from app.entities.names import resolve
from app.entities.types import EntityType
from tests.conftest import sync_index
from tests.test_entities_canonical import labelled, summary
from tests.test_entities_known_names import found
from tests.test_search_api import search


def sense(text: str, name: str) -> bool | None:
    at = text.index(name)
    return senses.place_sense(
        text, at, at + len(name), is_country=lambda w: lookup_country(w) is not None
    )


# --- the words around a shared name -----------------------------------------------------------


def test_geographic_words_countries_and_the_say_rainforest() -> None:
    assert sense("Fires in the Amazon rainforest spread.", "Amazon") is True
    assert sense("Fires in the Amazon basin spread.", "Amazon") is True
    assert sense("Loggers in Brazil's Amazon cut more.", "Amazon") is True
    assert sense("Loggers in the Brazilian Amazon cut more.", "Amazon") is True
    assert sense("Deforestation in the Amazon had been falling.", "Amazon") is True
    assert sense("Wildfires rage, from the Amazon to Siberia.", "Amazon") is True
    assert sense("Deforestation of the Amazon.", "Amazon") is True


def test_a_bare_name_or_the_before_a_noun_is_not_the_rainforest() -> None:
    assert sense("Amazon said it would hire workers.", "Amazon") is None
    assert sense("Shares of Amazon rose.", "Amazon") is None
    assert sense("The Amazon founder spoke.", "Amazon") is None
    assert sense("the Amazon deal was signed", "Amazon") is None
    assert sense("Amazon's profits rose.", "Amazon") is None


def test_crossing_says_ocean_and_writing_says_magazine() -> None:
    assert sense("trade across the Atlantic fell", "Atlantic") is True
    assert sense("leaders on both sides of the Atlantic agreed", "Atlantic") is True
    assert sense("storms along the Atlantic coast", "Atlantic") is True
    assert sense("Ships sailed in the Atlantic on Monday.", "Atlantic") is True
    assert sense("The storm. Work at the Atlantic is hard.", "Atlantic") is None
    # A publication's title takes "the": the article says nothing here.
    assert sense("as noted in the Atlantic.", "Atlantic") is None
    assert sense("Megan Garber writes in the Atlantic that it is new", "Atlantic") is False
    assert sense("he told The Atlantic in 2007", "Atlantic") is False
    assert sense("as the Atlantic's Julia Ioffe puts it", "Atlantic") is False
    assert sense("as the Atlantic ’ s Julia Ioffe puts it", "Atlantic") is False


def test_the_before_a_search_value_says_place_where_it_does_in_text() -> None:
    assert senses.place_named("the Amazon") == "Amazon rainforest"
    assert senses.place_named(" The amazon ") == "Amazon rainforest"
    assert senses.place_named("Amazon") is None
    assert senses.place_named("the Atlantic") is None


def test_undecided_mentions_follow_the_article() -> None:
    assert senses.settle([True, None, None]) == [True, True, True]
    assert senses.settle([False, None, True, True]) == [False, True, True, True]
    assert senses.settle([None, None]) == [False, False]
    assert senses.settle([True, False, None]) == [True, False, False]


def test_a_plural_surname_after_the_is_a_family() -> None:
    def family(text: str, name: str, surnames: Iterable[str] = ()) -> bool:
        at = text.index(name)
        return senses.is_family(text, at, at + len(name), set(surnames))

    assert family("Then the Clintons are rich.", "Clintons")
    assert family("the Obamas' new house", "Obamas")
    assert family("the Clintons made millions", "Clintons", ["Clinton"])
    assert not family("the Clintons made millions", "Clintons")
    assert not family("the Sanders campaign said", "Sanders")
    assert not family("Clintons are rich.", "Clintons")
    assert not family("the Congress.", "Congress")


# --- canonicalisation ------------------------------------------------------------------------


def test_the_rainforest_is_a_place_of_its_own() -> None:
    text = (
        "Amazon burning: fires in Brazil's Amazon rainforest hit a record. Most burn in the "
        "Amazon basin, and loggers work freely in the Amazon."
    )
    mentions = labelled(
        text, ("Amazon", "ORG"), ("Brazil", "GPE"), ("Amazon", "LOC"), ("Amazon", "LOC"),
        ("Amazon", "ORG"),
    )  # fmt: skip
    assert summary(canonicalise(text, mentions)) == [
        ("amazon-rainforest", "place", 4),
        ("brazil", "place", 1),
    ]
    [rainforest] = [e for e in canonicalise(text, mentions) if e.slug == "amazon-rainforest"]
    assert rainforest.name == "Amazon rainforest"


def test_the_company_stays_the_company() -> None:
    text = "Amazon said it would hire. The Amazon founder Jeff Bezos spoke, and Amazon shares rose."
    mentions = labelled(
        text, ("Amazon", "ORG"), ("Amazon", "ORG"), ("Jeff Bezos", "PERSON"), ("Amazon", "GPE")
    )
    assert summary(canonicalise(text, mentions)) == [
        ("amazon", "organization", 3),
        ("jeff-bezos", "person", 1),
    ]


def test_the_rainforest_by_its_other_names() -> None:
    for name in ("Amazon rainforest", "Amazon basin", "the Amazon River", "Amazonia"):
        assert resolve(name, EntityType.PLACE).slug == "amazon-rainforest", name
    assert resolve("Amazon", EntityType.ORGANIZATION).slug == "amazon"


def test_the_magazine_and_the_ocean() -> None:
    text = (
        "Megan Garber writes in the Atlantic that the speed is new. Trade across the Atlantic "
        "fell, the Atlantic reported."
    )
    mentions = labelled(
        text, ("Megan Garber", "PERSON"), ("Atlantic", "GPE"), ("Atlantic", "LOC"),
        ("Atlantic", "GPE"),
    )  # fmt: skip
    assert summary(canonicalise(text, mentions)) == [
        ("megan-garber", "person", 1),
        ("the-atlantic", "organization", 2),
        ("atlantic-ocean", "place", 1),
    ]
    assert resolve("The Atlantic", EntityType.ORGANIZATION).slug == "the-atlantic"


def test_a_family_is_a_group_apart_from_its_members() -> None:
    text = "The Clintons made millions. Bill Clinton and Hillary Clinton gave speeches."
    mentions = labelled(
        text, ("Clintons", "PERSON"), ("Bill Clinton", "PERSON"), ("Hillary Clinton", "PERSON")
    )
    assert summary(canonicalise(text, mentions)) == [
        ("clintons", "group", 1),
        ("bill-clinton", "person", 1),
        ("hillary-clinton", "person", 1),
    ]


def test_a_surname_ending_in_s_is_still_a_person() -> None:
    text = "Bernie Sanders spoke, and the Sanders campaign said Sanders would win."
    mentions = labelled(
        text, ("Bernie Sanders", "PERSON"), ("Sanders", "PERSON"), ("Sanders", "PERSON")
    )
    assert summary(canonicalise(text, mentions)) == [("bernie-sanders", "person", 3)]


# --- a company named in its products -----------------------------------------------------------


def test_apple_unlabelled_is_found_but_not_its_lookalikes() -> None:
    assert found("Listen on Apple Podcasts or Spotify.") == [("apple", "organization", 1)]
    assert found("In the Big Apple, Apple Daily and Apple Valley sold out.") == []
    assert found("How the Big\xadApple came to be.") == []


def test_a_product_span_names_its_maker_too() -> None:
    text = "The Apple Watch sold well, and Apple Daily closed."
    mentions = labelled(text, ("Apple Watch", "PRODUCT"), ("Apple Daily", "ORG"))
    assert summary(canonicalise(text, mentions)) == [
        ("apple", "organization", 1),
        ("apple-watch", "product", 1),
        ("apple-daily", "organization", 1),
    ]


# --- through the API --------------------------------------------------------------------------

ARTICLES: list[tuple[str, str]] = [
    ("Amazon to hire 100,000 workers", "Amazon said on Tuesday it would hire 100,000 workers."),
    (
        "Fires rage in the rainforest",
        "Fires raging in Brazil's Amazon rainforest hit a record on Tuesday, mostly in the Amazon "
        "basin, officials said. Deforestation in the Amazon had been falling.",
    ),
    ("A new podcast", "Listen to the whole interview on Apple Podcasts."),
    ("Storms on the ocean", "Storms across the Atlantic grew stronger on Monday."),
    ("An essay", "Megan Garber writes in The Atlantic that the speed of change is new."),
    (
        "The family foundation",
        "The Clintons are under scrutiny again. Hillary Clinton said the foundation did nothing "
        "wrong.",
    ),
]


def test_search_tells_the_things_apart(search_client: TestClient) -> None:
    for n, (title, body) in enumerate(ARTICLES, start=1):
        response = search_client.post(
            "/articles", json={"title": title, "body": body, "url": f"https://ex.org/{n}"}
        )
        assert response.status_code == 201, response.text
    sync_index(search_client)

    def ids(entity: str) -> list[int]:
        return sorted(hit["id"] for hit in search(search_client, entity=entity)["hits"])

    assert ids("Amazon") == [1]
    assert ids("Amazon rainforest") == ids("Amazon basin") == ids("the Amazon") == [2]
    assert ids("Apple") == [3]
    assert ids("Atlantic Ocean") == [4]
    assert ids("The Atlantic") == [5]
    assert ids("Hillary Clinton") == [6]
    clintons = search_client.get("/entities/clintons").json()
    assert (clintons["name"], clintons["type"]) == ("Clintons", "group")
    assert search_client.get("/entities/the-atlantic").json()["type"] == "organization"
    assert search_client.get("/entities/amazon-rainforest").json()["type"] == "place"

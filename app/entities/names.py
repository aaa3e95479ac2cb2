"""Names on their own: a surface form cleaned as a reader would write it, its key (slug),
titles before a person's name, and what a name means without an article around it (`resolve`,
for client entities and queries). app/entities/canonical.py builds on these for whole
articles."""

from __future__ import annotations

import re

from app.entities import curated
from app.entities.gazetteer import lookup_country, lookup_organization, lookup_subplace, slugify
from app.entities.types import CanonicalRef, EntityType

QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "“": '"', "”": '"'})
#: "International Coffee Organization (ICO)": the acronym joins later mentions by itself.
_TRAILING_PARENTHESIS = re.compile(r"\s*\([^()]*\)?$")
POSSESSIVE = re.compile(r"(?:'s|(?<=s)')$", re.IGNORECASE)
_HANDLE = re.compile(r"\s*@\w+")
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
#: "pro-Western", "anti-American": the lowercase prefix is the writer's stance, not the name.
_STANCE_PREFIX = re.compile(r"^[a-z]+-(?=[A-Z])")
_DOT_COM = re.compile(r"(?<=[A-Za-z]{2})\.com$", re.IGNORECASE)
_EDGE_PUNCTUATION = " \t\n\"'`,;:()[]{}<>*-–—"
#: Words longer than this in ALL CAPS are shouting, not acronyms ("REUTERS" but not "OPEC").
ACRONYM_MAX = 4


def clean_surface(surface: str, type: EntityType) -> str:
    """The name as a reader would write it: "the Nagorno-Karabakh’s" -> "Nagorno-Karabakh"."""
    text = " ".join(surface.translate(QUOTES).split())
    previous = None
    while text != previous:
        previous = text
        text = _TRAILING_PARENTHESIS.sub("", text).strip(_EDGE_PUNCTUATION)
        text = POSSESSIVE.sub("", text)
        text = _LEADING_THE.sub("", text)
        text = _STANCE_PREFIX.sub("", text)
        # "Corp." loses its full stop, "U.S." keeps it.
        if text.endswith(".") and text[-3:-2] != ".":
            text = text[:-1]
    # "Twitter @RevJJackson", "#BlackLivesMatter": handles and hashtags are not part of a name.
    text = _HANDLE.sub("", text).strip().lstrip("#") or text
    words = text.split(" ")
    if type is EntityType.PERSON:
        words = strip_titles(" ".join(words)).split(" ")
    if type is EntityType.ORGANIZATION:
        while len(words) > 1 and words[-1].rstrip(".,").lower() in curated.LEGAL_SUFFIXES:
            words = words[:-1]
        words[-1] = words[-1].rstrip(",")
        # "Amazon.com Inc.": a company named by its web address is the company.
        words[-1] = _DOT_COM.sub("", words[-1])
    return " ".join(_uncap(word) for word in words)


def _uncap(word: str) -> str:
    letters = [char for char in word if char.isalpha()]
    if len(letters) <= ACRONYM_MAX or not word.isupper():
        return word
    return "-".join(part.capitalize() for part in word.split("-"))


def strip_titles(name: str) -> str:
    """Drop the titles before a name while a capitalised name is left: "President Trump" ->
    "Trump", "House Speaker Nancy Pelosi" -> "Nancy Pelosi", "First Lady Michelle Obama" ->
    "Michelle Obama" (but "Lady Gaga" stays)."""
    words = name.split()
    previous = ""
    while len(words) > 1 and words[1][:1].isupper():
        word = words[0].rstrip(".,").lower()
        if word not in _TITLE_WORDS and not (word == "lady" and previous == "first"):
            break
        previous, words = word, words[1:]
    return " ".join(words)


_TITLE_WORDS = curated.TITLES | curated.HONORIFICS


def resolve(name: str, type: EntityType) -> CanonicalRef:
    """What a name means without an article around it: for client entities and queries."""
    surface = clean_surface(name, type)
    if type is EntityType.PERSON:
        surface = strip_titles(surface)
    country = lookup_country(surface)
    if country is not None:
        return CanonicalRef(slug=country.slug, name=country.name, type=EntityType.PLACE)
    organization = lookup_organization(surface)
    if organization is not None:
        return CanonicalRef(
            slug=organization.slug, name=organization.name, type=EntityType(organization.type)
        )
    if type is EntityType.PLACE:
        place = lookup_subplace(surface)
        if place is not None:
            return CanonicalRef(
                slug=place.slug, name=place.name, type=EntityType.PLACE, within=place.within
            )
    return CanonicalRef(slug=name_key(surface, type), name=surface, type=type)


def name_key(surface: str, type: EntityType) -> str:
    key = slugify(surface)
    if type is not EntityType.ORGANIZATION:
        return key
    # British and American spellings of one body ("Organisation") must not split it.
    return department_key(key.replace("isation", "ization"))


#: "U.S. Justice Department", "US Department of Justice": the country of a federal body is
#: understood, and dropping it keeps one body one entity.
_US_PREFIX = re.compile(r"^(?:us|u-s|united-states|federal)-(?=department-|[a-z-]+-department$)")


def department_key(key: str) -> str:
    """One key for the word orders of a department: "justice-department" and
    "department-of-justice" are both "department-of-justice"."""
    key = _US_PREFIX.sub("", key)
    words = key.split("-")
    if len(words) > 1 and words[-1] == "department" and "of" not in words and "for" not in words:
        return "-".join(["department", "of", *words[:-1]])
    return key

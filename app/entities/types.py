"""Plain data shared by extraction and canonicalisation: no model, no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class EntityType(StrEnum):
    PERSON = "person"
    ORGANIZATION = "organization"
    PLACE = "place"
    GROUP = "group"
    FACILITY = "facility"
    EVENT = "event"
    PRODUCT = "product"
    WORK = "work"
    LAW = "law"


class EntitySource(StrEnum):
    #: Named by whoever sent the article; never overridden by extraction.
    CLIENT = "client"
    EXTRACTED = "extracted"


#: OntoNotes labels (spaCy's English pipelines) we keep. Numbers, dates, money, percentages,
#: ordinals, quantities, times and languages are absent on purpose: they are not things a
#: reader searches an archive by.
LABEL_TO_TYPE: dict[str, EntityType] = {
    "PERSON": EntityType.PERSON,
    "ORG": EntityType.ORGANIZATION,
    "GPE": EntityType.PLACE,
    "LOC": EntityType.PLACE,
    "NORP": EntityType.GROUP,
    "FAC": EntityType.FACILITY,
    "EVENT": EntityType.EVENT,
    "PRODUCT": EntityType.PRODUCT,
    "WORK_OF_ART": EntityType.WORK,
    "LAW": EntityType.LAW,
}


@dataclass(frozen=True, slots=True)
class ClientEntity:
    """An entity named in the article payload; `slug` is derived from `name` when absent."""

    name: str
    type: EntityType
    slug: str | None = None


@dataclass(frozen=True, slots=True)
class ArticleText:
    title: str
    summary: str = ""
    body: str = ""
    client_entities: tuple[ClientEntity, ...] = ()

    @property
    def full_text(self) -> str:
        """Title, summary and body joined by blank lines; entity positions index this string."""
        return "\n\n".join(part for part in (self.title, self.summary, self.body) if part)


@dataclass(frozen=True, slots=True)
class RawMention:
    """One span as a model labelled it; `start`/`end` are character offsets into the text."""

    text: str
    label: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class CanonicalRef:
    """What a name means on its own, outside any article (used for client names and queries)."""

    slug: str
    name: str
    type: EntityType
    #: For a city or state, the slug of its country.
    within: str | None = None


@dataclass(frozen=True, slots=True)
class ArticleEntity:
    slug: str
    name: str
    type: EntityType
    mentions: int
    #: Character offset of the first mention in `ArticleText.full_text`; None for a client
    #: entity the text never names.
    first_position: int | None
    source: EntitySource = EntitySource.EXTRACTED
    #: Cleaned surface forms seen in the text (and, for a person, the surname alone) so that
    #: search can match the ways readers actually name the entity.
    aliases: tuple[str, ...] = field(default=())
    within: str | None = None
    #: The cleaned surface forms the text used, and those of them the article itself tied to
    #: a fuller name ("Obama" after "Barack Obama", "FBI" after its expansion): the evidence
    #: the archive learns short forms from.
    forms: tuple[str, ...] = field(default=())
    joined_forms: tuple[str, ...] = field(default=())
    #: Named from knowledge (a known country or body), not only from the text.
    known: bool = False
    #: Found by a name the archive knows where the model labelled nothing (`archive_names`):
    #: it casts no type vote.
    inferred: bool = False


@dataclass(frozen=True)
class DocumentEntity:
    """What the search index needs to know of an entity an article mentions."""

    slug: str
    name: str
    type: str
    aliases: Sequence[str] = field(default_factory=tuple)
    #: Slugs of places that contain this one (a city's country), for include_places_within.
    within: Sequence[str] = field(default_factory=tuple)

"""From raw model mentions to one entity per real thing in an article.

The steps, in order:

1. Clean each surface form (quotes, possessives, leading "the", honorifics, company-form
   endings, ALL-CAPS words) and key it by its slug: app/entities/names.py.
2. Give each key one type by majority vote over its mentions, then let knowledge overrule the
   vote: a known country (or its alias or demonym) is always a place, a known international
   body always an organisation, and a name followed by "region", "border" and the like is a
   place. A NORP group named with a compass word ("South Caucasus") is a region, not a people.
3. Join the ways one article refers back to a thing: a surname to the full name said earlier or
   later, an acronym to the name it abbreviates, "Defense Ministry" to "Azerbaijan Defense
   Ministry".
4. Merge keys that reached the same slug ("U.S." and "Americans"), then add the client's own
   entities, which win on name and type.

"Washington" is resolved as the city (within united-states) whatever it stands for: telling
the seat of government from the government takes more than a name, and either way the story
is found by a search for the United States with places within it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from app.entities import curated, senses
from app.entities.gazetteer import (
    Organization,
    PlaceKind,
    lookup_country,
    lookup_organization,
    lookup_subplace,
    slugify,
)
from app.entities.names import (
    ACRONYM_MAX,
    POSSESSIVE,
    QUOTES,
    clean_surface,
    name_key,
    resolve,
)
from app.entities.types import (
    LABEL_TO_TYPE,
    ArticleEntity,
    ClientEntity,
    EntitySource,
    EntityType,
    RawMention,
)

#: "ex-Soviet nations" names a former affiliation of the nations, not the Soviet Union itself.
_FORMER_PREFIX = re.compile(r"(?:\b(?:ex|post|pre|non)-|\bformer\s+)$", re.IGNORECASE)
_NEXT_WORD = re.compile(r"^(?:'s)?\s+([A-Za-z]+)")
_OF_COUNTRY = re.compile(r"\bof (?:the )?([A-Z][\w.' ]+)$")
_ACRONYM_STOPWORDS = frozenset({"of", "the", "and", "for", "&", "on", "in", "de"})


@dataclass(frozen=True, slots=True)
class _Mention:
    surface: str
    type: EntityType
    start: int
    place_cue: bool
    family: bool = False


@dataclass(slots=True)
class _Group:
    """Every mention in one article whose cleaned surface has the same slug."""

    key: str
    surfaces: Counter[str] = field(default_factory=Counter)
    votes: Counter[EntityType] = field(default_factory=Counter)
    type_order: list[EntityType] = field(default_factory=list)
    first: int = -1
    count: int = 0
    place_cue: bool = False
    family: bool = False
    # Filled in by resolution.
    slug: str = ""
    name: str = ""
    type: EntityType = EntityType.GROUP
    within: str | None = None
    known: bool = False

    def add(self, mention: _Mention) -> None:
        self.surfaces[mention.surface] += 1
        self.votes[mention.type] += 1
        if mention.type not in self.type_order:
            self.type_order.append(mention.type)
        if self.first < 0 or mention.start < self.first:
            self.first = mention.start
        self.count += 1
        self.place_cue = self.place_cue or mention.place_cue
        self.family = self.family or mention.family

    @property
    def tokens(self) -> list[str]:
        return self.key.split("-")

    @property
    def best_surface(self) -> str:
        # Mixed case beats shouting; then frequency; then the longer form.
        return max(
            self.surfaces,
            key=lambda s: (not s.isupper() or len(s) <= ACRONYM_MAX, self.surfaces[s], len(s)),
        )


def canonicalise(
    text: str, mentions: Iterable[RawMention], client_entities: Sequence[ClientEntity] = ()
) -> list[ArticleEntity]:
    """One entity per real thing named in `text`, ordered by first appearance."""
    groups: dict[str, _Group] = {}
    for mention in _prepare(text, _split_spans(sorted(mentions, key=lambda m: m.start))):
        key = name_key(mention.surface, mention.type)
        if key and any(char.isalpha() for char in key):
            groups.setdefault(key, _Group(key=key)).add(mention)
    for group in groups.values():
        _resolve_group(group)
    parents = _join_references(list(groups.values()))
    entities = _merge(groups, parents)
    return _with_clients(text, entities, client_entities)


#: "Trump's Mar-a-Lago", "Obama's 2008 campaign": the owner is a mention of its own.
_INNER_POSSESSIVE = re.compile(r"^(?:the )?([A-Z][\w.-]*(?: [A-Z][\w.-]*)?)'s (.+)$")
#: "the Obama administration", "Trump campaign": the leader is named too.
_LEADER_BODY = re.compile(
    r"^(?:[Tt]he )?([A-Z][a-z]+(?:-[A-Z][a-z]+)?) (?i:administration|campaign|white house|era|"
    r"presidency|team|aides|doctrine|camp|transition|impeachment)$"
)


def _split_spans(mentions: Sequence[RawMention]) -> list[RawMention]:
    """Split the spans the model runs across two names, so that neither is lost."""
    split: list[RawMention] = []
    for raw in mentions:
        text = raw.text.translate(QUOTES)
        possessive = _INNER_POSSESSIVE.match(text) if raw.label != "ORG" else None
        # "McDonald's Corp", "Moody's Investors Service": a possessive inside an organisation's
        # name is part of it.
        if possessive and lookup_country(possessive.group(1)) is None:
            owner, rest = possessive.group(1), possessive.group(2)
            owner_start = raw.start + possessive.start(1)
            split.append(RawMention(owner, raw.label, owner_start, owner_start + len(owner)))
            if any(char.isupper() for char in rest):
                rest_start = raw.start + possessive.start(2)
                split.append(RawMention(rest, raw.label, rest_start, raw.end))
            continue
        parts = _country_compound(text)
        if parts:
            # "U.S.-Mexico", "Iran-Contra": the countries joined by hyphens, each on its own.
            split.extend(
                RawMention(part, "GPE", raw.start + offset, raw.start + offset + len(part))
                for part, offset in parts
            )
            if len(parts) == text.count("-") + 1:
                continue
        inside = [] if raw.label in ("PERSON", "GPE", "LOC") else _known_inside(raw, text)
        split.extend(inside)
        rest = text
        for known in inside:
            rest = rest.replace(known.text, " ")
        if inside and not _CONNECTORS.sub("", rest):
            continue  # "the State Department and EPA": the two bodies, nothing more
        split.append(raw)
        leader = _LEADER_BODY.match(POSSESSIVE.sub("", text))
        if leader and raw.label != "PERSON" and leader.group(1)[0].isupper():
            start = raw.start + leader.start(1)
            split.append(RawMention(leader.group(1), "PERSON", start, start + len(leader.group(1))))
    return sorted(split, key=lambda m: m.start)


_NOT_SURNAMES = frozenset(
    {"administration", "campaign", "era", "presidency", "team", "aides", "doctrine", "camp",
     "transition", "impeachment", "opinion", "analysis", "foundation", "tower", "university"}
)  # fmt: skip
_CONNECTORS = re.compile(r"(?i)\b(?:and|the|of)\b|[\s,&;/'’]+")


def _country_compound(text: str) -> list[tuple[str, int]]:
    """The countries of "U.S.-Mexico-Canada" with their offsets (not of "Guinea-Bissau")."""
    parts = text.split("-")
    if len(parts) < 2 or " " in text or lookup_country(text) is not None:
        return []
    found: list[tuple[str, int]] = []
    offset = 0
    for part in parts:
        if part[:1].isupper() and lookup_country(part, demonyms=False) is not None:
            found.append((part, offset))
        offset += len(part) + 1
    return found


def _known_inside(raw: RawMention, text: str) -> list[RawMention]:
    """Known bodies named inside a longer span: "UN Security Council", "the State Department
    and Environmental Protection Agency", "Google Privacy Policy"."""
    from app.entities.known_names import names_in

    if _country_body(clean_surface(text, EntityType.ORGANIZATION)) is not None:
        return []  # the span itself is the body ("US Environmental Protection Agency")
    return [
        RawMention(name, label, raw.start + start, raw.start + start + len(name))
        for name, label, start in names_in(text)
        if label != "GPE"
        and name not in curated.NOT_FOUND_INSIDE
        and len(name) < len(text.strip())
        and slugify(name) != slugify(clean_surface(text, EntityType.ORGANIZATION))
    ]


def _prepare(text: str, mentions: Sequence[RawMention]) -> list[_Mention]:
    prepared: list[_Mention] = []
    previous: RawMention | None = None
    surnames = {
        m.text.split()[-1] for m in mentions if m.label == "PERSON" and len(m.text.split()) > 1
    }
    for raw in mentions:
        type = LABEL_TO_TYPE.get(raw.label)
        if type is None:
            continue
        if type is EntityType.GROUP and (
            _FORMER_PREFIX.search(text[max(0, raw.start - 8) : raw.start])
            or _FORMER_PREFIX.search(raw.text.split(" ")[0] + " ")
            or re.match(r"(?i)(?:ex|post|pre|non)-", raw.text)
        ):
            previous = raw
            continue
        surface = clean_surface(raw.text, type)
        if not any(char.isupper() for char in surface):
            previous = raw
            continue  # a name has a capital somewhere; "n't" labelled as a place has none
        owner = None
        if type is EntityType.ORGANIZATION and previous is not None:
            owner = _state_owner(text, previous, raw, surface)
        if owner is not None:
            # The country (already counted on its own) is part of the body's name:
            # "Azerbaijan's Defense Ministry" is the "Azerbaijan Defense Ministry".
            surface = f"{owner} {surface}"
            raw = RawMention(
                raw.text, raw.label, previous.start if previous else raw.start, raw.end
            )
        else:
            prepared.extend(_countries_inside(raw, surface, type))
        follower = _NEXT_WORD.match(text[raw.end : raw.end + 40].translate(QUOTES))
        cue = follower is not None and follower.group(1).lower() in curated.PLACE_CUES
        if surface:
            at = senses.locate(text, surface, raw.start) if type is EntityType.PERSON else None
            family = at is not None and senses.is_family(text, at, at + len(surface), surnames)
            prepared.append(
                _Mention(
                    surface=surface,
                    # "the Clintons": a family, a group of people
                    type=EntityType.GROUP if family else type,
                    start=raw.start,
                    place_cue=cue,
                    family=family,
                )
            )
        previous = raw
    return _settle_shared_names(text, prepared)


def _settle_shared_names(text: str, prepared: list[_Mention]) -> list[_Mention]:
    """A place's name shared with a company or a publication ("Amazon", "Atlantic") becomes the
    place's own name ("Amazon rainforest") where `senses` says it means the place."""
    places = senses.places(text, [(m.surface, m.start) for m in prepared], is_country=_is_country)
    return [
        _Mention(curated.SHARED_PLACE_NAMES[m.surface][0], EntityType.PLACE, m.start, False)
        if index in places
        else m
        for index, m in enumerate(prepared)
    ]


def _is_country(word: str) -> bool:
    return lookup_country(word, demonyms=True) is not None


def _countries_inside(raw: RawMention, surface: str, type: EntityType) -> list[_Mention]:
    """Countries named inside a longer name: "U.S. Agriculture Department", "Bank of Japan".

    The model labels the whole span, so without this the country of the story goes missing.
    A demonym counts only before a state body: "Japanese Finance Ministry" is Japan's, while
    "British Petroleum" says little about where the story happens.
    """
    if type in (EntityType.PERSON, EntityType.PLACE, EntityType.GROUP):
        return []
    words = surface.split(" ")
    state_body = bool(set(slugify(surface).split("-")) & curated.STATE_BODY_HEADS)
    for size in range(min(3, len(words) - 1), 0, -1):
        head = " ".join(words[:size])
        if lookup_country(head, demonyms=state_body) is not None:
            offset = max(raw.text.find(words[0]), 0)
            return [_Mention(head, EntityType.PLACE, raw.start + offset, place_cue=False)]
    tail = _OF_COUNTRY.search(surface)
    if tail is not None and lookup_country(tail.group(1), demonyms=False) is not None:
        offset = max(raw.text.rfind(tail.group(1)), 0)
        return [_Mention(tail.group(1), EntityType.PLACE, raw.start + offset, place_cue=False)]
    return []


def _state_owner(text: str, previous: RawMention, raw: RawMention, surface: str) -> str | None:
    between = text[previous.end : raw.start].translate(QUOTES)
    if between not in ("'s ", "' "):
        return None
    if not set(slugify(surface).split("-")) & curated.STATE_BODY_HEADS:
        return None
    owner = clean_surface(previous.text, EntityType.PLACE)
    return owner if lookup_country(owner) is not None else None


def _resolve_group(group: _Group) -> None:
    surface = group.best_surface
    top = max(group.votes.values())
    voted = next(type for type in group.type_order if group.votes[type] == top)
    country = lookup_country(surface)
    if country is not None:
        group.slug, group.name, group.type = country.slug, country.name, EntityType.PLACE
        group.known = True
        return
    organization = lookup_organization(surface) or _country_body(surface)
    if organization is not None:
        group.slug, group.name = organization.slug, organization.name
        group.type, group.known = EntityType(organization.type), True
        return
    if voted is not EntityType.PLACE and group.place_cue:
        voted = EntityType.PLACE
    if (
        voted is EntityType.GROUP
        and len(group.tokens) > 1
        and group.tokens[0] in curated.COMPASS_WORDS
    ):
        voted = EntityType.PLACE
    group.slug, group.name, group.type = group.key, surface, voted
    key = group.key
    if (
        voted is EntityType.GROUP
        and not group.family
        and len(key) > 4
        and key.endswith("s")
        and not key.endswith("ss")
    ):
        group.slug = key[:-1]  # "Muslims" and "Muslim", "Hispanics" and "Hispanic": one group
    if voted is EntityType.PLACE:
        place = lookup_subplace(surface)
        if place is not None:
            group.slug, group.name, group.within = place.slug, place.name, place.within
            group.known = place.kind is not PlaceKind.COUNTRY


def _country_body(surface: str) -> Organization | None:
    """ "US Environmental Protection Agency": a known body with its country in front."""
    words = surface.split(" ")
    for size in (1, 2, 3):
        if len(words) > size and lookup_country(" ".join(words[:size]), demonyms=True):
            return lookup_organization(" ".join(words[size:]))
    return None


def _join_references(groups: list[_Group]) -> dict[str, str]:
    """Key -> key of the fuller name it refers back to, within one article."""
    parents: dict[str, str] = {}
    people = [
        g
        for g in groups
        if g.type is EntityType.PERSON and len(g.tokens) > 1 and " " in g.best_surface
    ]
    by_surname: dict[str, list[_Group]] = {}
    for person in people:
        # "Ocasio-Cortez" is the surname of "Alexandria Ocasio-Cortez", as "Cortez" would be.
        surnames = {person.tokens[-1], slugify(person.best_surface.split(" ")[-1])}
        for surname in surnames:
            by_surname.setdefault(surname, []).append(person)
    organizations = [
        g for g in groups if g.type is EntityType.ORGANIZATION and not g.known and len(g.tokens) > 1
    ]
    by_first_name: dict[str, list[_Group]] = {}
    for person in people:
        # "Hillary Clinton", not a run of words the model took for a name ("Obama Analysis
        # Opinion", "Obama Administration"), whose first word is a surname.
        if len(person.tokens) == 2 and person.tokens[1] not in _NOT_SURNAMES:
            by_first_name.setdefault(person.tokens[0], []).append(person)
    for group in groups:
        one_word = " " not in group.best_surface
        if one_word and not (group.known and group.type is not EntityType.PLACE):
            # A surname the model mislabelled ("Pashinyan" as ORG) still means the person, but
            # a known country never becomes one. A first name alone ("Hillary") means the one
            # person of the article who has it, when no one has it as a surname.
            named = by_surname.get(group.key, []) or by_first_name.get(group.key, [])
            if len(named) == 1 and lookup_country(group.best_surface) is None:
                parents[group.key] = named[0].key
                continue
        if len(group.tokens) == 1 and group.key in curated.GENERIC_NAMES:
            # "the House" after "the House of Representatives": the one body it can mean.
            bodies = [
                o
                for o in groups
                if o.type is EntityType.ORGANIZATION
                and len(o.tokens) > 1
                and group.key in (o.tokens[0], o.tokens[-1])
            ]
            if len(bodies) == 1:
                parents[group.key] = bodies[0].key
            continue
        if group.type is not EntityType.ORGANIZATION or group.known:
            continue
        if len(group.tokens) == 1:
            expansions = [o for o in organizations if _is_acronym(group.best_surface, o)]
        else:
            expansions = [
                o
                for o in organizations
                if len(o.tokens) > len(group.tokens)
                and o.tokens[-len(group.tokens) :] == group.tokens
            ]
        if len(expansions) == 1:
            parents[group.key] = expansions[0].key
    return parents


def _is_acronym(short: str, organization: _Group) -> bool:
    letters = short.replace(".", "")
    if not (2 <= len(letters) <= 6 and letters.isalpha() and letters.isupper()):
        return False
    words = re.split(r"[\s-]+", organization.best_surface)
    initials = "".join(w[0] for w in words if w and w.lower() not in _ACRONYM_STOPWORDS)
    return initials.upper() == letters


def _merge(groups: dict[str, _Group], parents: dict[str, str]) -> list[ArticleEntity]:
    members: dict[str, list[_Group]] = {}
    for group in groups.values():
        root = group
        seen = {root.key}
        while root.key in parents and parents[root.key] not in seen:
            root = groups[parents[root.key]]
            seen.add(root.key)
        members.setdefault(root.slug, []).append(group)
    entities = []
    for slug, merged in members.items():
        # The root of a join, or the most mentioned key, names the entity.
        lead = min(merged, key=lambda g: (g.key in parents, -g.count, g.first))
        if lead.key in curated.GENERIC_NAMES and not lead.known:
            continue  # "State" or "House" alone names nothing resolvable
        forms = {surface for g in merged for surface in g.surfaces}
        aliases = set(forms)
        if lead.type is EntityType.PERSON and len(lead.tokens) > 1:
            aliases.add(lead.name.split(" ")[-1])
        joined = {surface for g in merged if g.key in parents for surface in g.surfaces}
        entities.append(
            ArticleEntity(
                slug=slug,
                name=lead.name,
                type=lead.type,
                mentions=sum(g.count for g in merged),
                first_position=min(g.first for g in merged),
                aliases=tuple(sorted(aliases)),
                within=lead.within,
                forms=tuple(sorted(forms)),
                joined_forms=tuple(sorted(joined)),
                known=lead.known,
            )
        )
    return entities


def _with_clients(
    text: str, entities: list[ArticleEntity], client_entities: Sequence[ClientEntity]
) -> list[ArticleEntity]:
    by_slug = {entity.slug: entity for entity in entities}
    for client in client_entities:
        ref = resolve(client.name, client.type)
        slug = client.slug or ref.slug
        found = by_slug.pop(slug, None) or by_slug.pop(ref.slug, None)
        aliases: tuple[str, ...] = (client.name,)
        forms: tuple[str, ...] = ()
        joined: tuple[str, ...] = ()
        if found is None:
            positions = [
                m.start()
                for m in re.finditer(rf"(?<!\w){re.escape(client.name)}(?!\w)", text, re.IGNORECASE)
            ]
            mentions, first, within = (
                len(positions),
                positions[0] if positions else None,
                ref.within,
            )
        else:
            mentions, first, within = found.mentions, found.first_position, found.within
            aliases = tuple(sorted({*found.aliases, client.name}))
            forms, joined = found.forms, found.joined_forms
        by_slug[slug] = ArticleEntity(
            slug=slug,
            name=client.name,
            type=client.type,
            mentions=mentions,
            first_position=first,
            source=EntitySource.CLIENT,
            aliases=aliases,
            within=within if client.type is EntityType.PLACE else None,
            forms=forms,
            joined_forms=joined,
            known=True,
        )
    return sorted(
        by_slug.values(),
        key=lambda e: (e.first_position is None, e.first_position or 0, e.slug),
    )

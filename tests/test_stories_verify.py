"""Which pairs above the similarity threshold are one story (no database): edited copies are,
two bulletins of one template (other names, other figures) are not."""

from app.stories.minhash import Fingerprint, jaccard
from app.stories.verify import (
    FIGURES_SLOT_SHARE,
    MIN_SLOTS,
    NEAR_IDENTICAL,
    SLOT_SHARE,
    body_tokens,
    differing_slots,
    same_story,
    shared_figures,
    templated,
)
from tests.stories_texts import (
    AFTERNOON,
    BOILERPLATE,
    DIVIDEND,
    FERRY,
    MORNING,
    QUAY,
    SALTMARSH,
    TONNAGE,
    reworded,
)

THRESHOLD = 0.3


def _similarity(first: str, second: str) -> float:
    return jaccard(Fingerprint.of("", None, first).hashes, Fingerprint.of("", None, second).hashes)


def _same(first: str, second: str) -> bool:
    return same_story(
        _similarity(first, second),
        body_tokens(first),
        body_tokens(second),
        threshold=THRESHOLD,
    )


def test_figures_stay_whole_and_names_keep_their_capitals() -> None:
    tokens = body_tokens("Prime rate 7-3/4 pct, up from 7-1/2; 1,000 U.S. banks said so.")
    assert tokens == {
        "Prime": 1,
        "rate": 1,
        "7-3/4": 1,
        "pct": 1,
        "up": 1,
        "from": 1,
        "7-1/2": 1,
        "1,000": 1,
        "U.S": 1,
        "banks": 1,
        "said": 1,
        "so": 1,
    }


def test_differing_tokens_are_counted_with_repeats_and_names_and_figures_apart() -> None:
    first = body_tokens("Acme pays 5 cents, Acme said on Monday")
    second = body_tokens("Bolt pays 6 cents, Bolt said on a Monday")
    # Acme x2, 5 / Bolt x2, 6, a: seven tokens, six of them names or figures.
    assert differing_slots(first, second) == (7, 6)


def test_two_bulletins_of_one_template_are_two_stories() -> None:
    quay, saltmarsh = DIVIDEND.format(**QUAY), DIVIDEND.format(**SALTMARSH)
    similarity = _similarity(quay, saltmarsh)
    assert THRESHOLD <= similarity < NEAR_IDENTICAL
    assert templated(body_tokens(quay), body_tokens(saltmarsh))
    assert not _same(quay, saltmarsh)


def test_two_reports_with_figures_of_their_own_are_two_stories() -> None:
    morning, afternoon = TONNAGE.format(**MORNING), TONNAGE.format(**AFTERNOON)
    first, second = body_tokens(morning), body_tokens(afternoon)
    # Names and figures are a good part of what differs, not most of it: the figures decide.
    assert differing_slots(first, second) == (23, 8)
    assert FIGURES_SLOT_SHARE * 23 <= 8 < SLOT_SHARE * 23
    assert shared_figures(first, second) == (8, 0)
    assert THRESHOLD <= _similarity(morning, afternoon) < NEAR_IDENTICAL
    assert not _same(morning, afternoon)


def test_a_repost_that_rewords_but_keeps_its_figures_is_one_story() -> None:
    morning = TONNAGE.format(**MORNING)
    repost = (
        morning.replace("dockers", "Dockers at the port")
        .replace("the board said", "the Harbour Board expects")
        .replace("would go", "to go")
        .replace("1,250 tonnes", "1,250 tonnes (1.25 thousand)")
    )
    first, second = body_tokens(morning), body_tokens(repost)
    total, slots = differing_slots(first, second)
    assert (total, slots) == (14, 4)
    assert FIGURES_SLOT_SHARE * total <= slots < SLOT_SHARE * total
    assert shared_figures(first, second) == (5, 4)
    assert _same(morning, repost)


def test_edited_copies_are_one_story() -> None:
    quay = DIVIDEND.format(**QUAY)
    for copy in (
        reworded(FERRY, 0.15, seed=2),
        f"{BOILERPLATE} {FERRY}",
        FERRY.rsplit(". ", 3)[0],
    ):
        assert _same(FERRY, copy)
    # The same bulletin with its closing sentence dropped and a word changed.
    shorter = quay.rsplit(". ", 1)[0].replace("steady", "strong")
    assert _same(quay, shorter)


def test_a_nearly_identical_text_is_one_story_whatever_names_changed() -> None:
    long_text = f"{FERRY} {FERRY.replace('council', 'board')}"
    renamed = long_text.replace("Port Ellen", "Port Askaig").replace("October", "November")
    assert differing_slots(body_tokens(long_text), body_tokens(renamed)) == (8, 8)
    assert templated(body_tokens(long_text), body_tokens(renamed))
    assert _similarity(long_text, renamed) >= NEAR_IDENTICAL
    assert _same(long_text, renamed)


def test_a_single_differing_name_is_not_a_template() -> None:
    quay = DIVIDEND.format(**QUAY)
    assert differing_slots(body_tokens(quay), body_tokens(f"{quay} Reuters")) == (1, 1)
    assert MIN_SLOTS == 2
    assert not templated(body_tokens(quay), body_tokens(f"{quay} Reuters"))


def test_below_the_threshold_nothing_is_one_story() -> None:
    assert not _same(FERRY, reworded(FERRY, 0.6, seed=1))

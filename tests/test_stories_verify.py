"""Which pairs above the similarity threshold are one story (no database): edited copies are,
two bulletins of one template (other names, other figures) are not."""

from app.stories.minhash import Fingerprint, jaccard
from app.stories.verify import (
    CONFLICT_FLOOR,
    FIGURES_SLOT_SHARE,
    MIN_SLOTS,
    NEAR_IDENTICAL,
    SLOT_SHARE,
    body_tokens,
    conflicting,
    differing_slots,
    only_slots_and_spelt_numbers,
    same_story,
    shared_figures,
    templated,
)
from tests.stories_texts import (
    AFTERNOON,
    BERTHS,
    BOILERPLATE,
    BULLETIN,
    BULLETIN_UPDATE,
    DIVIDEND,
    FERRY,
    FIRST_DAY,
    MORNING,
    QUAY,
    SALTMARSH,
    SECOND_DAY,
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


def test_two_reports_of_one_template_conflict_and_a_version_of_either_does_not() -> None:
    first, second = BULLETIN.format(**FIRST_DAY), BULLETIN.format(**SECOND_DAY)
    updated = first + BULLETIN_UPDATE

    def conflict(a: str, b: str) -> bool:
        return conflicting(_similarity(a, b), body_tokens(a), body_tokens(b))

    assert conflict(first, second)
    assert not conflict(first, updated)
    # The updated first day passes against the second day's report: only a conflict with a
    # member of the cluster keeps the two days apart.
    assert _same(updated, second)
    assert not conflict(updated, second)


def test_a_conflict_needs_some_likeness_and_nearly_identical_texts_never_conflict() -> None:
    first, second = BULLETIN.format(**FIRST_DAY), BULLETIN.format(**SECOND_DAY)
    tokens = body_tokens(first), body_tokens(second)
    assert templated(*tokens)
    assert conflicting(CONFLICT_FLOOR, *tokens)
    assert not conflicting(CONFLICT_FLOOR - 0.01, *tokens)
    assert not conflicting(NEAR_IDENTICAL, *tokens)
    # Two unrelated texts differ in ordinary words: no conflict whatever their likeness.
    assert not conflicting(0.5, body_tokens(FERRY), body_tokens(first))


def test_bulletins_differing_only_in_the_date_and_numbers_spelt_out_are_two_stories() -> None:
    first = BERTHS.format(day=1, loading="five", waiting="three")
    second = BERTHS.format(day=7, loading="six", waiting="six")
    tokens = body_tokens(first), body_tokens(second)
    # 1, 7 and five, three, six, six: names and figures alone are too few of the differences.
    assert differing_slots(*tokens) == (6, 2)
    assert only_slots_and_spelt_numbers(*tokens)
    assert THRESHOLD <= _similarity(first, second) < NEAR_IDENTICAL
    assert not _same(first, second)


def test_a_number_spelt_out_among_ordinary_words_leaves_a_rewrite_one_story() -> None:
    first = BERTHS.format(day=1, loading="five", waiting="three")
    rewrite = first.replace("three ships waiting", "four ships still waiting").replace(
        "according to", "said"
    )
    assert not only_slots_and_spelt_numbers(body_tokens(first), body_tokens(rewrite))
    assert _same(first, rewrite)

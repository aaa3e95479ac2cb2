"""Which pairs above the similarity threshold are one story (no database): edited copies are,
two bulletins of one template (other names, other figures) are not."""

from app.stories.minhash import Fingerprint, jaccard
from app.stories.verify import (
    CONFLICT_FLOOR,
    CONTAINED,
    FIGURES_SLOT_SHARE,
    LEAD_SHARED,
    LEAD_SHINGLES,
    MIN_SLOTS,
    NEAR_IDENTICAL,
    SLOT_SHARE,
    BodyShingles,
    Headline,
    body_tokens,
    conflicting,
    containment,
    differing_slots,
    later_report,
    one_source,
    only_slots_and_spelt_numbers,
    opening_shared,
    same_story,
    shared_figures,
    subjects_apart,
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
    FERRY_ADDED,
    FERRY_FOLLOW_UP,
    FIRST_DAY,
    MORNING,
    QUAY,
    QUAY_FILING,
    QUAY_FILING_UPDATED,
    SALTMARSH,
    SALTMARSH_FILING,
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


def _words(prefix: str, count: int) -> str:
    return " ".join(f"{prefix}{n}" for n in range(count))


def test_body_shingles_are_lower_cased_and_the_opening_keeps_its_order() -> None:
    shingles = BodyShingles.of("The Ferry, the ferry: STOPS.")
    assert shingles.opening == (
        ("the", "ferry", "the"),
        ("ferry", "the", "ferry"),
        ("the", "ferry", "stops"),
    )
    assert shingles.every == frozenset(shingles.opening)
    assert BodyShingles.of("Two words").opening == (("two", "words"),)
    assert BodyShingles.of("") == BodyShingles((), frozenset())
    long = BodyShingles.of(_words("w", LEAD_SHINGLES + 10))
    assert long.opening == tuple((f"w{n}", f"w{n + 1}", f"w{n + 2}") for n in range(LEAD_SHINGLES))
    assert len(long.every) == LEAD_SHINGLES + 8


def test_containment_is_the_share_of_the_smaller_body_found_in_the_other() -> None:
    story, update = BodyShingles.of(FERRY), BodyShingles.of(FERRY + FERRY_ADDED)
    assert containment(story, update) == containment(update, story) == 1.0
    # 12 words: 10 shingles, of which the 4 made of the first six words are in the other.
    first = BodyShingles.of(_words("a", 6) + " " + _words("b", 6))
    second = BodyShingles.of(_words("a", 6) + " " + _words("c", 20))
    assert containment(first, second) == 4 / 10
    assert containment(first, BodyShingles.of("")) == 1.0


def test_the_opening_shared_counts_where_the_first_shingles_are_found() -> None:
    follow_up, story = BodyShingles.of(FERRY_FOLLOW_UP), BodyShingles.of(FERRY)
    # The follow-up opens with news the story lacks, and its background leaves out the story's
    # first sentence: of either's first 25 shingles only "the island council" is in the other.
    assert opening_shared(follow_up, story) == 1 / LEAD_SHINGLES
    assert opening_shared(story, follow_up) == 1 / LEAD_SHINGLES
    assert opening_shared(BodyShingles.of(""), story) == 1.0


def test_a_follow_up_of_one_source_is_a_later_report_and_an_update_is_not() -> None:
    story = BodyShingles.of(FERRY)
    follow_up = BodyShingles.of(FERRY_FOLLOW_UP)
    # Both pass the text checks: what tells them apart is that one source sent them.
    assert _same(FERRY, FERRY_FOLLOW_UP)
    assert containment(story, follow_up) < CONTAINED
    assert later_report(story, follow_up) and later_report(follow_up, story)
    assert not later_report(story, BodyShingles.of(FERRY + FERRY_ADDED))
    # A new first sentence in place of the story's: its opening is gone, but the rest is kept
    # (contained), so a version.
    rewritten = BodyShingles.of(
        "Islanders will lose their late ferry in October. " + FERRY.split(". ", 1)[1]
    )
    assert opening_shared(story, rewritten) == 0.0
    assert containment(story, rewritten) >= CONTAINED
    assert not later_report(story, rewritten)


def test_the_opening_and_containment_thresholds() -> None:
    def shingles(opening: list[str], rest: list[str]) -> BodyShingles:
        every = [(word, "x", "y") for word in [*opening, *rest]]
        return BodyShingles(tuple(every[: len(opening)]), frozenset(every))

    # Openings of four shingles; the other body holds two of them (the threshold: one story)
    # or one (two reports); neither contains the other (4 of 10 shingles shared).
    other = shingles(["a", "b", "k", "l"], ["p", "q", "r", "s", "t", "u"])
    half = shingles(["a", "b", "c", "d"], ["k", "l", "e", "f", "g", "h"])
    quarter = shingles(["a", "c", "d", "e"], ["b", "k", "l", "f", "g", "h"])
    assert LEAD_SHARED == 0.5 and opening_shared(half, other) == 0.5
    assert containment(half, other) == containment(quarter, other) == 0.4
    assert not later_report(half, other)
    assert later_report(quarter, other)
    # The same quarter opening in a body mostly found in the other: a version, not a report.
    version = shingles(["a", "c", "d", "e"], ["b", "k", "l", "p", "q", "r", "s"])
    assert containment(version, other) == CONTAINED
    assert not later_report(version, other)


def test_one_source_needs_two_equal_names() -> None:
    assert one_source("BBC News", " bbc  news ")
    assert not one_source("Reuters", "Gazette")
    assert not one_source("Reuters", None)
    assert not one_source(None, None)
    assert not one_source("", " ")


def test_a_headline_names_the_words_its_body_writes_with_a_capital() -> None:
    headline = Headline.of("HARBOUR QUAY FILES 400 MLN PLAN", "Harbour Quay filed a 400 mln plan.")
    assert headline.names == {"harbour", "quay"}
    assert headline.words == {"harbour", "quay", "files", "filed", "400", "mln", "plan", "a"}


def test_a_possessive_names_what_its_word_names() -> None:
    headline = Headline.of("QUAY'S PLAN FILED", "The plan of Harbour Quay was filed.")
    assert headline.names == {"quay"}
    assert "quay" in headline.words and "quay's" not in headline.words


def test_a_body_in_capitals_marks_no_names() -> None:
    assert Headline.of("Harbour Quay files plan", "HARBOUR QUAY FILED A PLAN.").names == set()


def test_two_subjects_on_one_opening_are_apart_and_a_version_is_not() -> None:
    quay = Headline.of("Northern Quay files for quay permit", QUAY_FILING)
    saltmarsh = Headline.of("Saltmarsh Ferries files for quay permit", SALTMARSH_FILING)
    updated = Headline.of("NORTHERN QUAY SEEKS PERMIT FOR NEW WALL", QUAY_FILING_UPDATED)
    # Neither rule on the bodies tells the two notices apart: their headlines do.
    similarity = _similarity(QUAY_FILING, SALTMARSH_FILING)
    assert _same(QUAY_FILING, SALTMARSH_FILING)
    assert not later_report(BodyShingles.of(QUAY_FILING), BodyShingles.of(SALTMARSH_FILING))
    assert THRESHOLD <= similarity < NEAR_IDENTICAL
    assert subjects_apart(quay, saltmarsh) and subjects_apart(saltmarsh, quay)
    assert not subjects_apart(quay, updated)
    assert subjects_apart(saltmarsh, updated)


def test_subjects_are_apart_only_when_each_headline_names_one_the_other_lacks() -> None:
    quay = Headline.of("Northern Quay files", "Northern Quay filed a plan.")
    # A headline naming nothing the other text lacks: the other may be its version.
    assert not subjects_apart(quay, Headline.of("Plan filed", "Northern Quay filed a plan."))
    # Only one side names something new: an update adding a name, not another subject.
    added = Headline.of("Northern Quay and Ebb Docks file", "Northern Quay and Ebb Docks filed.")
    assert not subjects_apart(quay, added)
    # A figure in the headline is not a name.
    assert not subjects_apart(
        Headline.of("Quay files 400", "Quay filed 400."),
        Headline.of("Quay files 500", "Quay filed 500."),
    )
    assert subjects_apart(quay, Headline.of("Ebb Docks files", "Ebb Docks filed a plan."))

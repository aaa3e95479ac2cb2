"""What tells one source's next report from a copy or correction of the same report (no
database): another day named, figures restated in the opening, other figures a day later."""

from datetime import UTC, datetime, timedelta

from app.stories.minhash import Fingerprint, jaccard
from app.stories.reports import (
    LATER_HOURS,
    LATER_SHARED,
    MIN_LATER_FIGURES,
    RESTATED_FIGURES,
    SWAPPED_FIGURES,
    Report,
    dateline,
    days_moved,
    figures,
    figures_restated,
    later_figures,
    next_report,
    repeated_flash,
)
from app.stories.verify import (
    NEAR_IDENTICAL,
    BodyShingles,
    Headline,
    body_tokens,
    later_report,
    same_story,
    subjects_apart,
)

THRESHOLD = 0.3
MONDAY = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)

#: A dock strike's talks put off, and put off again three days later: the second report keeps
#: the first one's opening and names another day.
TALKS_PUT_OFF = (
    "PORTHAVEN, May {date} - Talks {planned} for today between the terminal company and the "
    "crane drivers' union to {settle} at the Porthaven container terminal have been put off "
    "until {day}, a company spokeswoman said.\n"
    "Loading at the terminal has stood still since April 28, when the crane drivers walked out "
    "over new shift rotas and the loss of their night allowance."
)
FIRST_DELAY = {"date": 6, "planned": "due", "settle": "end the strike", "day": "Thursday"}
SECOND_DELAY = {
    "date": 9,
    "planned": "set",
    "settle": "settle the pay dispute",
    "day": "Monday",
}
#: The harbour board's count of ships it cannot berth today, raised twice in one morning.
SHORTFALL = (
    "HARBOURTON, June 4 - The harbour board now puts the number of ships it cannot berth today "
    "at {new}, up from its earlier count of {old}{extra}.\n"
    "Ships waiting in the outer roads will be brought in as berths free up, the board said, and "
    "pilots have been told to expect a busy evening tide."
)
#: A recurring morning bulletin: the same opening every day, that day's figures further down.
BERTH_BULLETIN = (
    "HARBOURTON, June {date} - Shipping agents think the harbour board will open more berths "
    "before the morning tide.\n"
    "In their view it will give {berths} berths along the eastern quay, or else reopen the old "
    "grain wharf.\n"
    "Ships queued for an average of {average} hours {when} and for {opening} hours at first "
    "light, {trading}. {reason}"
)
TUESDAY = {
    "date": 4,
    "berths": "12",
    "average": "6.5",
    "when": "yesterday",
    "opening": "7.25",
    "trading": "with no change by breakfast",
    "reason": "Agents blamed part of the wait on fog in the channel overnight.",
}
WEDNESDAY = {
    "date": 5,
    "berths": "a good many, nine or more,",
    "average": "7.1",
    "when": "on Tuesday",
    "opening": "8.5",
    "trading": "drifting between that and nine hours since",
    "reason": "The spring fruit fleet arriving this week keeps the queue long.",
}


#: A bond's two tranches priced one after the other.
TRANCHE = (
    "HARBOURTON, June 4 - Harbour Quay Holdings fixed the interest on its {amount} mln dlr, "
    "{term} year notes at {coupon} pct, said Tidewater Securities, which arranges the sale.\n"
    "The notes were sold at 101.25 and will trade on the Harbourton exchange."
)
FOUR_YEAR = {"amount": 80, "term": "four", "coupon": "3-1/4"}
NINE_YEAR = {"amount": 60, "term": "nine", "coupon": "4-5/8"}


def _one_story_by_text(first: str, second: str) -> bool:
    """What the checks before these say: similar, not a template, not a later report."""
    similarity = jaccard(
        Fingerprint.of("", None, first).hashes, Fingerprint.of("", None, second).hashes
    )
    return (
        THRESHOLD <= similarity < NEAR_IDENTICAL
        and same_story(similarity, body_tokens(first), body_tokens(second), threshold=THRESHOLD)
        and not later_report(BodyShingles.of(first), BodyShingles.of(second))
    )


def test_the_dateline_gives_its_place_and_the_text_after_it() -> None:
    assert dateline("SAN MATEO, Calif., March 2 - Monthly payout") == (
        frozenset({"san", "mateo", "calif"}),
        "Monthly payout",
    )
    assert dateline("north quay, april 7 - hog prices rose") == (
        frozenset({"north", "quay"}),
        "hog prices rose",
    )
    assert dateline("The board met, May 3 - said nobody") == (
        frozenset({"the", "board", "met"}),
        "said nobody",
    )
    assert dateline("Prices rose on Monday.") == (frozenset(), "Prices rose on Monday.")


def test_figures_are_normalised_and_years_left_out() -> None:
    assert figures("2,000 tonnes of a five-year 12-5/8 pct 50-mln-dlr bond due 2009.") == {
        "2000",
        "5",
        "12-5/8",
        "50",
    }
    assert figures("three mln shares, 7.45 pct, June 4, 1998") == {"3", "7.45", "4"}
    assert figures("The eleventh hour") == frozenset()


def test_a_report_reads_days_and_figures_after_the_dateline() -> None:
    report = Report.of(TALKS_PUT_OFF.format(**FIRST_DELAY), MONDAY)
    assert report.place == {"porthaven"}
    assert report.weekdays == {"thursday"}
    # May 6 is the dateline's; April 28 is further down, not in the opening.
    assert report.figures == {"28"}
    assert report.opening_figures == frozenset()
    assert report.published_at == MONDAY
    shortfall = Report.of(SHORTFALL.format(new=75, old=70, extra=""))
    assert shortfall.opening_figures == {"75", "70"}
    assert shortfall.published_at is None


def test_talks_put_off_to_another_day_are_two_reports_and_a_copy_is_not() -> None:
    first = TALKS_PUT_OFF.format(**FIRST_DELAY)
    second = TALKS_PUT_OFF.format(**SECOND_DELAY)
    # The text checks let the pair through: the day named tells them apart.
    assert _one_story_by_text(first, second)
    assert days_moved(Report.of(first), Report.of(second))
    assert next_report(Report.of(first), Report.of(second))
    # A repost the next day says "Thursday" for "today" and keeps the day it names.
    repost = first.replace("for today", "for Tuesday")
    assert not days_moved(Report.of(first), Report.of(repost))
    assert not days_moved(Report.of(first), Report.of(first))
    assert not next_report(Report.of(first), Report.of(repost))


def test_an_estimate_revised_again_is_a_next_report_and_a_corrected_figure_is_not() -> None:
    first = SHORTFALL.format(new=75, old=70, extra="")
    revised = SHORTFALL.format(new=80, old=75, extra=", before counting 17 berths freed early")
    assert _one_story_by_text(first, revised)
    # "70" against "80" and "17": three figures in all, one side at least each.
    assert RESTATED_FIGURES == 3
    assert figures_restated(Report.of(first), Report.of(revised))
    assert next_report(Report.of(revised), Report.of(first))
    # A correction fixes one figure: one each way, two in all.
    corrected = SHORTFALL.format(new=76, old=70, extra="")
    assert not figures_restated(Report.of(first), Report.of(corrected))
    # A figure added on one side only (a detail the first lacked) restates nothing.
    detail = SHORTFALL.format(new=75, old=70, extra=", before counting 17 berths freed early")
    assert not figures_restated(Report.of(first), Report.of(detail))


def test_a_second_tranche_opening_with_its_own_figures_is_a_next_report() -> None:
    first = TRANCHE.format(**FOUR_YEAR) + " The nine-year notes of 60 mln dlrs follow later."
    second = TRANCHE.format(**NINE_YEAR) + (
        " The four-year notes of 80 mln dlrs were priced earlier at 3-1/4 pct."
    )
    assert _one_story_by_text(first, second)
    ours, theirs = Report.of(first), Report.of(second)
    # The second gives the first tranche's figures further down: only "4-5/8" is new to the
    # other text, but each opening has three figures the other opening lacks.
    assert ours.opening_figures - theirs.figures == frozenset()
    assert theirs.opening_figures - ours.figures == {"4-5/8"}
    assert SWAPPED_FIGURES == 2
    assert figures_restated(ours, theirs) and figures_restated(theirs, ours)
    # One figure fixed in the opening swaps one each way: a correction.
    fixed = TRANCHE.format(**{**FOUR_YEAR, "coupon": "3-1/2"})
    assert not figures_restated(Report.of(TRANCHE.format(**FOUR_YEAR)), Report.of(fixed))


def test_a_recurring_bulletin_a_day_later_with_other_figures_is_a_next_report() -> None:
    tuesday, wednesday = BERTH_BULLETIN.format(**TUESDAY), BERTH_BULLETIN.format(**WEDNESDAY)
    assert _one_story_by_text(tuesday, wednesday)
    day = timedelta(hours=LATER_HOURS)
    first, second = Report.of(tuesday, MONDAY), Report.of(wednesday, MONDAY + day)
    # Figures 12, 6.5, 7.25 against 9, 7.1, 8.5: none shared.
    assert not figures_restated(first, second) and not days_moved(first, second)
    assert later_figures(first, second) and later_figures(second, first)
    assert next_report(first, second)
    # Less than LATER_HOURS apart, or undated: not told apart by this.
    assert not later_figures(first, Report.of(wednesday, MONDAY + day - timedelta(seconds=1)))
    assert not later_figures(first, Report.of(wednesday))
    # The same bulletin reposted a day later keeps its figures.
    repost = BERTH_BULLETIN.format(**{**TUESDAY, "date": 5})
    assert not later_figures(first, Report.of(repost, MONDAY + 2 * day))


def test_a_flash_sent_again_a_day_later_is_a_next_report_and_a_story_is_not() -> None:
    flash = "HARBOUR BOARD OPENS TWO EXTRA BERTHS, BOARD SAYS"
    first = Report.of(flash, MONDAY, flash)
    # Case and spacing aside, the body is the headline.
    assert first.flash and Report.of(f" {flash.lower()}\n", None, flash).flash
    assert not Report.of("", None, "").flash
    day = timedelta(hours=LATER_HOURS)
    assert repeated_flash(first, Report.of(flash, MONDAY + day, flash))
    assert next_report(first, Report.of(flash, MONDAY + day, flash)) is False
    # Sent twice the same morning: one flash.
    assert not repeated_flash(first, Report.of(flash, MONDAY + day / 2, flash))
    assert not repeated_flash(first, Report.of(flash, None, flash))
    # A story sent again the next day has a body of its own.
    story = TALKS_PUT_OFF.format(**FIRST_DELAY)
    assert not repeated_flash(
        Report.of(story, MONDAY, "Talks put off"), Report.of(story, MONDAY + day, "Talks put off")
    )


def test_later_figures_thresholds() -> None:
    def report(*found: str, hours: float = 0) -> Report:
        return Report(
            frozenset(), frozenset(), frozenset(found), frozenset(), MONDAY + timedelta(hours=hours)
        )

    assert LATER_SHARED == 1 / 3 and MIN_LATER_FIGURES == 3
    # One of three figures shared: the share, so two reports.
    assert later_figures(report("1", "2"), report("1", "3", hours=LATER_HOURS))
    # Two of three shared: one story.
    assert not later_figures(report("1", "2"), report("1", "2", "3", hours=LATER_HOURS))
    # Two figures in all are too few to judge.
    assert not later_figures(report("1"), report("2", hours=LATER_HOURS))


def test_a_lower_case_bulletins_dateline_names_its_market() -> None:
    st_ives = Headline.of(
        "ST IVES LAMBS UP 2.00 - BOARD", "st ives, may 7 - lamb prices rose 2.00 in brisk trade."
    )
    padstow = Headline.of(
        "PADSTOW LAMBS UP 1.00 - BOARD", "padstow, may 7 - lamb prices rose 1.00 in trade."
    )
    assert st_ives.names == {"st", "ives"}
    assert padstow.names == {"padstow"}
    assert subjects_apart(st_ives, padstow)
    # A body in capitals still names its dateline's place, and nothing else.
    assert Headline.of("ST IVES LAMBS UP", "ST IVES, MAY 7 - LAMBS ROSE.").names == {"st", "ives"}

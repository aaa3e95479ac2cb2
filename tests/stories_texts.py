"""Short articles of our own for the story cluster tests: one story told several ways."""

import random
from typing import Any

FERRY = (
    "The night ferry between Port Ellen and the mainland will stop running in October, the "
    "island council said on Tuesday, after the operator lost two of its three crews to a "
    "rival line. Councillors voted eleven to four to end the subsidy that kept the late "
    "crossing going since 2009. Shop owners on the pier said the decision would cut the "
    "evening trade by a third and leave visitors stranded after concerts in the town hall. "
    "The operator said it had tried for a year to hire new deckhands and engineers but that "
    "wages on the mainland were higher. A petition signed by nine hundred residents asked the "
    "council to keep one crossing on Fridays and Saturdays. The council leader said a weekend "
    "service would be studied over the winter and a decision taken before the spring timetable "
    "is printed."
)
LIBRARY = (
    "The old library on Mill Street reopened on Saturday as a community kitchen and workshop, "
    "four years after the county closed it to save money. Volunteers rebuilt the reading room "
    "floor, installed six ovens donated by a bakery that had moved to the industrial estate and "
    "painted the stacks in the colours of the town football club. On the first morning more "
    "than two hundred people queued for bread classes and bicycle repairs. The county said it "
    "would lease the building for one pound a year as long as the kitchen stays open to anyone "
    "who wants to cook, and will review the arrangement in three years."
)
ORCHARD = (
    "Frost in the last week of April destroyed most of the blossom in the valley orchards, "
    "growers said, and the apple harvest could be the smallest in twenty years. Cider makers "
    "expect to buy fruit from abroad for the first time, and the agricultural college has "
    "offered to test frost fans on two farms next spring."
)
TIDES = (
    "The harbour master published the winter tide tables on Monday. Spring tides in January "
    "will reach the top of the sea wall twice, and boat owners are asked to move their "
    "dinghies from the slipway before the new moon."
)
#: The ferry story two days later, from the same desk: a new opening (the council changed its
#: mind), then the earlier story's background.
FERRY_FOLLOW_UP = (
    "The island council changed its mind on Thursday and agreed to pay for a late ferry on "
    "Friday and Saturday nights through the winter, two days after it voted to end the crossing. "
    "The council leader said the money would come from the harbour fund and that the operator "
    "had found two crews willing to work weekends. Councillors voted eleven to four on Tuesday "
    "to end the subsidy that kept the late crossing going since 2009. Shop owners on the pier "
    "said the decision would cut the evening trade by a third and leave visitors stranded after "
    "concerts in the town hall. The operator said it had tried for a year to hire new deckhands "
    "and engineers but that wages on the mainland were higher. A petition signed by nine "
    "hundred residents asked the council to keep one crossing on Fridays and Saturdays."
)
#: A paragraph the same desk adds to the ferry story later the same day: an update.
FERRY_ADDED = (
    " On Wednesday the operator said it would sell the night boat to a company in the north "
    "and that the two remaining crews would move to the daytime service."
)
BOILERPLATE = (
    "Sign up for our morning newsletter to get the day's top stories in your inbox. "
    "Copyright The Harbour Gazette. All rights reserved."
)


def reworded(text: str, share: float, seed: int) -> str:
    """`text` with about `share` of its words replaced by other words of it."""
    rng = random.Random(seed)
    words = text.split()
    return " ".join(rng.choice(words) if rng.random() < share else word for word in words)


def article(n: int, title: str, body: str, **fields: Any) -> dict[str, Any]:
    return {"url": f"https://news.example/{n}", "title": title, "body": body, **fields}


#: One wire template, two reports: another company, other figures.
DIVIDEND = (
    "HARBOUR CITY, September {day} - {name} said its board declared a quarterly dividend of "
    "{div} cents a share, against {prior} cents in the previous quarter, payable on October "
    "{pay} to holders of record on September {record}. The company said the payout reflected "
    "steady freight volumes at its terminals and that it expected to keep the dividend at the "
    "new level for the rest of the year, subject to trading conditions and the approval of its "
    "lenders."
)
QUAY = {"day": 3, "name": "Northern Quay Holdings", "div": 42, "prior": 40, "pay": 15, "record": 20}
SALTMARSH = {
    "day": 3,
    "name": "Saltmarsh Ferries Ltd",
    "div": 18,
    "prior": 16,
    "pay": 22,
    "record": 27,
}

#: A port's tonnage report: the morning's and the afternoon's are two reports of one template.
TONNAGE = (
    "The harbour board said dockers {verb} {a} tonnes of grain in the {session} session, "
    "against its estimate of {b} tonnes for the whole day. The cranes moved {c} tonnes at the "
    "north quay and {d} tonnes at the south quay {when} the evening tide{tail}, and the board "
    "said the grain would go by rail to the mills inland."
)
MORNING = {
    "verb": "unloaded",
    "a": "1,250",
    "b": "4,800",
    "c": "700",
    "d": "550",
    "session": "morning",
    "when": "before",
    "tail": "",
}
AFTERNOON = {
    "verb": "had brought ashore a further",
    "a": "2,100",
    "b": "5,200",
    "c": "1,300",
    "d": "800",
    "session": "afternoon",
    "when": "after",
    "tail": ", later than it had hoped",
}

#: The harbour's daily bulletin: two days' reports differ only in the day and the figures.
BULLETIN = (
    "HARBOUR CITY, October {day} - The harbour office said {ships} cargo ships were berthed at "
    "the container terminal this morning and {waiting} more were anchored in the bay waiting "
    "for a berth, while the grain quay handled {grain} tonnes overnight. Pilots boarded the "
    "incoming vessels at the outer buoy as usual, the tugs worked in pairs because of the wind "
    "from the west, and the lock gates were opened for the fishing fleet an hour before high "
    "water. The office will publish its next bulletin tomorrow at the same time."
)
FIRST_DAY = {"day": 7, "ships": 14, "waiting": 6, "grain": "2,400"}
SECOND_DAY = {"day": 9, "ships": 11, "waiting": 3, "grain": "1,850"}
#: Ordinary words a later version of the first day's bulletin adds (no name, no figure).
BULLETIN_UPDATE = (
    " Later in the day the office added that the crane on the north side of the terminal was "
    "back at work after repairs, that the queue of lorries at the gate had cleared and that the "
    "bay was calm again by the evening tide."
)

#: A one-line bulletin whose figures are spelt out.
BERTHS = (
    "HARBOUR CITY, October {day} - There were {loading} ships loading at the north quay and "
    "{waiting} ships waiting in the bay for a berth, according to the harbour office."
)

#: One source's filing notice: one opening, the subject (and the closing) its own.
FILING = (
    "{name} said on Monday it had filed with the harbour commission for a permit to build up "
    "to 400 metres of new quay wall on terms to be agreed when the work is put out to tender. "
    "The contractors were not named in the draft application. {closing}"
)
QUAY_FILING = FILING.format(
    name="Northern Quay Holdings",
    closing=(
        "The company said the new wall would be used for general cargo and to shorten the "
        "queue of ships waiting for a berth in the busy summer months."
    ),
)
SALTMARSH_FILING = FILING.format(
    name="Saltmarsh Ferries",
    closing=(
        "The ferry operator said the money would go towards replacing its oldest vessels and "
        "paying down the loans it took out last year to buy the old fish market."
    ),
)
#: The first notice again with a sentence added: a version of it.
QUAY_FILING_UPDATED = (
    f"{QUAY_FILING} Work could begin in the autumn if the commission agrees before the summer "
    "recess."
)

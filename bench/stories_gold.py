"""Reviewed pairs that correct the BBC and Reuters label sets of `bench/stories.py quality`.

Both corpora are labelled only by identical bodies, yet they hold near-identical versions of
one article that no label marks: BBC re-posts with a typo fixed, a paragraph added or the
headline changed, Reuters repeats with a corrected figure, a next-day dateline or an added
paragraph. Scored against identical bodies alone, every such pair found counts as an error.

`stories_gold.tsv` lists pairs read by hand (ids only: the corpus text stays outside the
repository), one a line: corpus, the two document keys (BBC `bbc:section/number`, Reuters
`r` + NEWID), the verdict and its kind.

- `same`: one text is a version of the other, the same article of the same event: a repost
  or correction (`repost`), or an update or rewrite of that article that keeps its text in
  large part (`update`).
- `different`: two articles. `template`: one template with other names or figures (another
  issuer, another day's figures); `follow-up`: a later article on the same subject with some
  background text in common; `related`: another story sharing some paragraphs.

The corrected gold is the labels plus the `same` pairs, closed under transitivity (a version of
a version is the same article), less the pairs read as `different`: identical bodies are not
always one story (Reuters sends the same one-line flash on each day the same thing happens,
such as the Fed's daily customer repurchases of one amount). Found pairs that are neither labelled nor reviewed are
reported as unreviewed and count as errors, so the corrected precision is a lower bound until
they are read (`quality --unreviewed FILE` writes them out for reading).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

GOLD_FILE = Path(__file__).with_name("stories_gold.tsv")
KINDS = {"same": {"repost", "update"}, "different": {"template", "follow-up", "related"}}

Pair = tuple[str, str]


@dataclass(frozen=True)
class Review:
    corpus: str
    first: str
    second: str
    same: bool
    kind: str

    @property
    def pair(self) -> Pair:
        return (min(self.first, self.second), max(self.first, self.second))


def load(corpus: str, path: Path = GOLD_FILE) -> list[Review]:
    """The reviews of one corpus (`bbc` or `reuters`); a malformed line is an error."""
    reviews = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if not row or row[0].startswith("#"):
                continue
            name, first, second, verdict, kind = row
            if verdict not in KINDS or kind not in KINDS[verdict]:
                raise ValueError(f"{path}: bad verdict {verdict!r}/{kind!r} in {row}")
            if name == corpus:
                reviews.append(Review(name, first, second, verdict == "same", kind))
    return reviews


def pairs_of(groups: Iterable[Iterable[str]]) -> set[Pair]:
    return {(a, b) for members in groups for a, b in combinations(sorted(members), 2)}


def corrected(labelled: Iterable[list[str]], reviews: Iterable[Review]) -> set[Pair]:
    """The labelled groups joined by the reviewed `same` pairs; every pair inside a group but
    those reviewed as `different`."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def join(first: str, second: str) -> None:
        a, b = root(first), root(second)
        if a != b:
            parent[max(a, b)] = min(a, b)

    for members in labelled:
        for other in members[1:]:
            join(members[0], other)
    for review in reviews:
        if review.same:
            join(review.first, review.second)
    groups: dict[str, list[str]] = {}
    for key in list(parent):
        groups.setdefault(root(key), []).append(key)
    return pairs_of(groups.values()) - {review.pair for review in reviews if not review.same}


#: Multi-member clusters drawn at random and read by hand (`bench/stories.py sample`).
CLUSTERS_FILE = Path(__file__).with_name("stories_gold_clusters.tsv")


@dataclass(frozen=True)
class ClusterCheck:
    """One sampled cluster: `one` story, or `two` (or more) joined, with the kind of the
    wrongly joined pair (`template`, `follow-up`, `related`); `seed` is the sample's
    --sample-seed and `number` its place in that sample."""

    corpus: str
    seed: int
    number: int
    members: tuple[str, ...]
    one_story: bool
    kind: str


def load_cluster_checks(path: Path = CLUSTERS_FILE) -> list[ClusterCheck]:
    """The clusters read by hand; a malformed line is an error."""
    checks = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if not row or row[0].startswith("#"):
                continue
            corpus, seed, number, members, verdict, kind = row
            one = verdict == "one"
            if verdict not in ("one", "two") or (
                kind != "" if one else kind not in KINDS["different"]
            ):
                raise ValueError(f"{path}: bad verdict {verdict!r}/{kind!r} in {row}")
            checks.append(
                ClusterCheck(corpus, int(seed), int(number), tuple(members.split(" ")), one, kind)
            )
    return checks

"""The corrected gold of bench/stories.py quality: labels joined by the pairs read by hand."""

import itertools
from pathlib import Path

import pytest

from bench import stories_gold as gold


def _write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "gold.tsv"
    path.write_text("# corpus\tfirst\tsecond\tverdict\tkind\n" + "".join(f"{r}\n" for r in rows))
    return path


def test_same_pairs_join_labelled_groups_transitively(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "bbc\ta\tc\tsame\trepost",
        "bbc\tc\td\tsame\tupdate",
        "bbc\tx\ty\tdifferent\ttemplate",
        "reuters\tx\ty\tsame\trepost",
    )
    reviews = gold.load("bbc", path)
    assert [(r.pair, r.same, r.kind) for r in reviews] == [
        (("a", "c"), True, "repost"),
        (("c", "d"), True, "update"),
        (("x", "y"), False, "template"),
    ]
    assert gold.corrected([["a", "b"], ["e", "f"]], reviews) == {
        ("a", "b"),
        ("a", "c"),
        ("a", "d"),
        ("b", "c"),
        ("b", "d"),
        ("c", "d"),
        ("e", "f"),
    }


def test_a_labelled_pair_read_as_two_stories_leaves_the_gold(tmp_path: Path) -> None:
    path = _write(tmp_path, "reuters\tb\tc\tdifferent\ttemplate", "reuters\tc\td\tsame\trepost")
    # Three identical flashes of three days: two of them read as two stories.
    assert gold.corrected([["a", "b", "c"]], gold.load("reuters", path)) == {
        ("a", "b"),
        ("a", "c"),
        ("a", "d"),
        ("b", "d"),
        ("c", "d"),
    }


def test_a_verdict_outside_the_documented_kinds_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "bbc\ta\tb\tsame\ttemplate")
    with pytest.raises(ValueError, match="bad verdict 'same'/'template'"):
        gold.load("bbc", path)


def test_the_stored_reviews_name_documents_only() -> None:
    for corpus, prefix in (("bbc", "bbc:"), ("reuters", "r")):
        reviews = gold.load(corpus)
        assert reviews
        assert all(r.first.startswith(prefix) and r.second.startswith(prefix) for r in reviews)
        assert len({r.pair for r in reviews}) == len(reviews)


def test_cluster_checks_are_read_with_their_verdicts(tmp_path: Path) -> None:
    path = tmp_path / "clusters.tsv"
    path.write_text("# header\nbbc\t7\t1\ta b\tone\t\nreuters\t8\t2\tc d e\ttwo\ttemplate\n")
    assert [
        (c.corpus, c.seed, c.number, c.members, c.one_story, c.kind)
        for c in gold.load_cluster_checks(path)
    ] == [
        ("bbc", 7, 1, ("a", "b"), True, ""),
        ("reuters", 8, 2, ("c", "d", "e"), False, "template"),
    ]


@pytest.mark.parametrize("row", ["bbc\t7\t1\ta b\tone\ttemplate", "bbc\t7\t1\ta b\ttwo\trepost"])
def test_a_cluster_verdict_outside_the_documented_kinds_is_refused(
    tmp_path: Path, row: str
) -> None:
    path = tmp_path / "clusters.tsv"
    path.write_text(row + "\n")
    with pytest.raises(ValueError, match="bad verdict"):
        gold.load_cluster_checks(path)


def test_the_stored_cluster_checks_name_documents_only_and_each_sample_is_numbered_in_order() -> (
    None
):
    checks = gold.load_cluster_checks()
    prefixes = {"bbc": ("bbc:",), "reuters": ("r",), "allsides+synthetic": ("a",)}
    seeds = sorted({c.seed for c in checks})
    for (corpus, prefix), seed in itertools.product(prefixes.items(), seeds):
        ours = [c for c in checks if c.corpus == corpus and c.seed == seed]
        assert [c.number for c in ours] == list(range(1, len(ours) + 1))
        assert all(len(c.members) >= 2 for c in ours)
        assert all(m.startswith(prefix) for c in ours for m in c.members)

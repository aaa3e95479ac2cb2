"""The corrected gold of bench/stories.py quality: labels joined by the pairs read by hand."""

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

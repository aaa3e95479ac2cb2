"""Shingles, MinHash signatures and band keys on plain text (no database)."""

import numpy as np

from app.stories import minhash
from app.stories.minhash import Fingerprint, jaccard
from tests.stories_texts import FERRY, LIBRARY, reworded


def _shingles(text: str) -> set[str]:
    words = minhash.tokens("", None, text)
    return {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}


def test_jaccard_of_hashes_is_the_jaccard_of_the_shingle_sets() -> None:
    copy = reworded(FERRY, 0.15, seed=1)
    first, second = _shingles(FERRY), _shingles(copy)
    expected = len(first & second) / len(first | second)
    assert (
        jaccard(Fingerprint.of("", None, FERRY).hashes, Fingerprint.of("", None, copy).hashes)
        == expected
    )
    assert 0.3 < expected < 0.6


def test_tokens_ignore_case_and_punctuation_across_title_summary_and_body() -> None:
    assert minhash.tokens("Ferry ENDS", "Night, crossing.", "Café—closed") == [
        "ferry",
        "ends",
        "night",
        "crossing",
        "café",
        "closed",
    ]
    same = Fingerprint.of("The FERRY", None, "stops, tonight!")
    assert jaccard(same.hashes, Fingerprint.of("the ferry", "", "stops tonight").hashes) == 1.0


def test_identical_texts_share_every_band_and_unrelated_ones_none() -> None:
    one, again = Fingerprint.of("t", None, FERRY), Fingerprint.of("t", None, FERRY)
    assert one.keys == again.keys
    assert len(set(one.keys)) == minhash.BANDS
    assert set(one.keys).isdisjoint(Fingerprint.of("t", None, LIBRARY).keys)


def test_near_duplicates_share_bands() -> None:
    keys = set(Fingerprint.of("t", None, FERRY).keys)
    shared = [
        len(keys & set(Fingerprint.of("t", None, reworded(FERRY, 0.1, seed=s)).keys))
        for s in range(10)
    ]
    assert min(shared) >= 1


def test_the_signature_estimates_jaccard() -> None:
    first = Fingerprint.of("t", None, FERRY).hashes
    second = Fingerprint.of("t", None, reworded(FERRY, 0.1, seed=3)).hashes
    estimate = float(np.mean(minhash.signature(first) == minhash.signature(second)))
    assert abs(estimate - jaccard(first, second)) < 0.15


def test_short_and_empty_texts() -> None:
    short = Fingerprint.of("Hi", None, "there")
    assert len(short.hashes) == 1 and len(short.keys) == minhash.BANDS
    empty = Fingerprint.of("", None, "...")
    assert (len(empty.hashes), empty.keys) == (0, [])
    assert jaccard(empty.hashes, empty.hashes) == 1.0


def test_band_keys_never_change_for_the_same_text() -> None:
    # Stored in the database: a change here would silently cut every stored article off
    # from its future copies (run `newsarchive clusters rebuild` if it must change).
    assert Fingerprint.of("Harbour", None, "The bridge reopened on Friday.").keys[:3] == [
        5325912537436017256,
        3801733232157604422,
        -3328232926229954609,
    ]

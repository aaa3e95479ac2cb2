"""Word shingles, MinHash signatures and LSH band keys of an article's text (pure, no I/O).

Everything here is defined by this file alone (the hash of a word is CRC-32, the permutations
come from a fixed seed through our own generator, the band key mixing is SplitMix64), so the
band keys stored in the database stay valid across library upgrades: an LSH store is only as
good as the promise that the same text always hashes to the same buckets.

- Tokens: lower-cased runs of word characters (``\\w+``, Unicode) of the title, summary and
  body; shingles: every ``SHINGLE_WORDS`` consecutive tokens (a shorter text is one shingle).
- A shingle's hash mixes its words' CRC-32s into 64 bits; the set of those hashes is what two
  articles are compared on (`jaccard`: exact, up to 64-bit hash collisions).
- MinHash: ``NUM_PERM`` multiply-add-shift hash functions ``((a*x + b) mod 2^64) >> 32``
  (Dietzfelbinger's 2-universal family for 32-bit keys) over the top 32 bits of each shingle
  hash; the signature is each function's minimum over the shingles.
- LSH: the signature cut into ``BANDS`` bands of ``ROWS`` values; each band becomes one signed
  64-bit key. Two texts with Jaccard similarity s share at least one key with probability
  1 - (1 - s^ROWS)^BANDS: 0.9976 at s = 0.3, 0.99999 at s = 0.4, 0.06 at s = 0.03.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

SHINGLE_WORDS: Final = 3
NUM_PERM: Final = 128
ROWS: Final = 2
BANDS: Final = NUM_PERM // ROWS
#: Shingles hashed per step, so a very long text never needs a huge matrix.
_CHUNK: Final = 2048
_WORD = re.compile(r"\w+")
_U64 = np.uint64
_MASK64: Final = (1 << 64) - 1

Hashes = npt.NDArray[np.uint64]


def _splitmix64(state: int) -> tuple[int, int]:
    state = (state + 0x9E3779B97F4A7C15) & _MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return state, z ^ (z >> 31)


def _permutations(count: int, seed: int = 0x6E657773) -> tuple[Hashes, Hashes]:
    """`count` pairs (a, b) of 64-bit multipliers (a odd) and offsets, the same everywhere."""
    a, b, state = [], [], seed
    for _ in range(count):
        state, x = _splitmix64(state)
        state, y = _splitmix64(state)
        a.append(x | 1)
        b.append(y)
    return np.array(a, dtype=_U64), np.array(b, dtype=_U64)


_A, _B = _permutations(NUM_PERM)


def _mix(values: Hashes) -> Hashes:
    """SplitMix64's finaliser over an array (wrapping uint64 arithmetic)."""
    with np.errstate(over="ignore"):
        z = values + _U64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
        return z ^ (z >> _U64(31))


def words(text: str) -> list[str]:
    """The text's lower-cased words, as shingles are made of them."""
    return _WORD.findall(text.lower())


def tokens(title: str, summary: str | None, body: str) -> list[str]:
    return words(f"{title}\n{summary or ''}\n{body}")


def shingle_hashes(words: list[str]) -> Hashes:
    """The distinct 64-bit hashes of the text's word shingles, sorted (empty for no words)."""
    if not words:
        return np.empty(0, dtype=_U64)
    known = {word: zlib.crc32(word.encode("utf-8")) for word in dict.fromkeys(words)}
    word_hashes = np.array([known[word] for word in words], dtype=_U64)
    width = min(SHINGLE_WORDS, len(words))
    count = len(words) - width + 1
    combined = np.zeros(count, dtype=_U64)
    for offset in range(width):
        combined = _mix(combined ^ word_hashes[offset : offset + count])
    return np.unique(combined)


def signature(hashes: Hashes) -> Hashes:
    """The MinHash signature (NUM_PERM values) of a set of shingle hashes."""
    result = np.full(NUM_PERM, _MASK64, dtype=_U64)
    top = hashes >> _U64(32)
    with np.errstate(over="ignore"):
        for start in range(0, len(top), _CHUNK):
            chunk = top[start : start + _CHUNK, None]
            permuted = (chunk * _A[None, :] + _B[None, :]) >> _U64(32)
            result = np.minimum(result, permuted.min(axis=0))
    return result


def band_keys(sig: Hashes) -> list[int]:
    """One signed 64-bit key per band (band number included, so bands never collide)."""
    rows = sig.reshape(BANDS, ROWS)
    keys = np.arange(BANDS, dtype=_U64)
    for column in range(ROWS):
        keys = _mix(keys ^ rows[:, column])
    return [int(key) for key in keys.view(np.int64)]


def jaccard(first: Hashes, second: Hashes) -> float:
    """|A ∩ B| / |A ∪ B| of two sorted distinct hash arrays (1.0 for two empty ones)."""
    union = len(first) + len(second)
    if union == 0:
        return 1.0
    shared = len(np.intersect1d(first, second, assume_unique=True))
    return shared / (union - shared)


@dataclass(frozen=True)
class Fingerprint:
    """What clustering needs of one text: its shingle hashes and its LSH band keys."""

    hashes: Hashes
    keys: list[int]

    @classmethod
    def of(cls, title: str, summary: str | None, body: str) -> Fingerprint:
        hashes = shingle_hashes(tokens(title, summary, body))
        return cls(hashes=hashes, keys=band_keys(signature(hashes)) if len(hashes) else [])

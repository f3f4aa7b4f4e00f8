"""Normalized words → their ids: a 64-bit word hash (the input of word shingles) and
the id of the word's light stem (its TF-IDF term).

The word hash is computed from the word's code points in compiled code
(:func:`dedup.compute.kernels.code_hashes`), so a body normalized in numpy is hashed
without making a Python string per word. The stem needs Python (the stemmer);
the lexicon keeps each word's term id in an open-addressing table keyed by the
word hash, looked up in compiled code, and stems only the words it has not met:
a corpus has a few hundred thousand distinct words against tens of millions of
tokens.

Ids are hashes, not positions: every process (``--jobs``, Dask workers, index
writers) gives a word the same ids without sharing a table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import xxhash

from ..compute import kernels
from .normalize import light_stem

#: Distinct words kept before the lexicon starts afresh (bounds memory on huge, noisy corpora).
MAX_WORDS = 2_000_000
#: The word hash, as stored with an index (an index made with another cannot be used).
WORD_HASH = "fnv1a64-codepoints-fmix"

_EMPTY = np.empty(0, dtype=np.uint64)


def word_hashes(words: Sequence[str]) -> np.ndarray:
    """64-bit hash of each word, from its code points (as :func:`kernels.code_hashes`)."""
    if not len(words):
        return _EMPTY.copy()
    codes = np.frombuffer("".join(words).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    end = np.cumsum(lengths)
    return kernels.code_hashes(codes, end - lengths, end)


#: A term id's kind, in its two bits below the sign: a plain word (0), a rare word (2: its stem is
#: not among :func:`dedup.text.frequencies.common_stems`) or a number (3: two digits or more). Among the
#: sorted non-negative feature keys of the TF-IDF vectors, rare words and numbers are then the last
#: columns (:func:`kind_starts`); the low 60 bits are the hash, so an id's low 32 bits (what the
#: index's content-word signatures keep) do not depend on the kind.
KIND_SHIFT = 60
RARE, NUMBER = 2, 3
_HASH_BITS = (1 << KIND_SHIFT) - 1


def _kind_and_stem(word: str) -> tuple[int, str]:
    """A normalized word's kind and the string its id hashes: a number's digits (``و2015`` and
    ``2015`` are one term), else the light stem."""
    digits = "".join(c for c in word if "0" <= c <= "9")
    if len(digits) >= 2:
        return NUMBER, digits
    stem = light_stem(word)
    if digits or len(stem) < 3:
        return 0, stem
    from .frequencies import is_rare

    return (RARE if is_rare(stem) else 0), stem


def stem_id(word: str) -> int:
    """Term id of a normalized word: the 60-bit xxh3 hash of its light stem (a number: of its
    digits), its kind (:data:`KIND_SHIFT`) above."""
    kind, stem = _kind_and_stem(word)
    return (kind << KIND_SHIFT) | ((xxhash.xxh3_64_intdigest(stem.encode("utf-8")) >> 2) & _HASH_BITS)


def kind_starts(keys: np.ndarray) -> tuple[int, int]:
    """The first column of rare words and the first of numbers among sorted feature ``keys``
    (bigrams, negative, first; then plain words, rare words, numbers)."""
    return (int(np.searchsorted(keys, RARE << KIND_SHIFT)), int(np.searchsorted(keys, NUMBER << KIND_SHIFT)))


class Lexicon:
    """Word hash → term id, for the words met so far."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._allocate(1 << 16)
        self.size = 0

    def _allocate(self, capacity: int) -> None:
        self.keys = np.zeros(capacity, dtype=np.uint64)
        self.values = np.zeros(capacity, dtype=np.int64)
        self.used = np.zeros(capacity, dtype=bool)

    def __len__(self) -> int:
        return self.size

    def _room(self, more: int) -> None:
        """Keep the table at most half full after ``more`` words."""
        capacity = len(self.keys)
        while 2 * (self.size + more) > capacity:
            capacity *= 2
        if capacity != len(self.keys):
            keys, values = self.keys[self.used], self.values[self.used]
            self._allocate(capacity)
            kernels.table_insert(self.keys, self.values, self.used, keys, values)

    def term_ids_of(self, hashes: np.ndarray, word_at: Callable[[int], str]) -> np.ndarray:
        """Term id of each word given by its hash; ``word_at(k)`` gives word ``k`` itself,
        asked only for words not met before."""
        if self.size > MAX_WORDS:  # start afresh between calls, never inside one
            self.clear()
        ids = kernels.table_find(self.keys, self.values, self.used, hashes)
        missing = np.flatnonzero(ids < 0)
        if len(missing):
            new, first = np.unique(hashes[missing], return_index=True)
            terms = np.fromiter((stem_id(word_at(k)) for k in missing[first].tolist()), dtype=np.int64, count=len(new))
            self._room(len(new))
            self.size += kernels.table_insert(self.keys, self.values, self.used, new, terms)
            ids[missing] = kernels.table_find(self.keys, self.values, self.used, hashes[missing])
        return ids

    def term_ids(self, words: Sequence[str]) -> np.ndarray:
        """Stemmed-term id of each word (62-bit, non-negative)."""
        words = list(words)
        return self.term_ids_of(word_hashes(words), words.__getitem__)


#: The lexicon of this process, shared by every step that needs term ids.
LEXICON = Lexicon()

"""Normalized word → its two ids, looked up once per word.

Every normalized word of a corpus needs a 64-bit hash (the input of its word
shingles) and the id of its light stem (its TF-IDF term). Both come from one
dictionary lookup per token: the lexicon gives the word a row, and the ids are
read from two numpy columns by row. A corpus has a few hundred thousand
distinct words against tens of millions of tokens, so each word is hashed and
stemmed once.

Ids are hashes, not positions: every process (``--jobs``, Dask workers, index
writers) gives a word the same ids without sharing a table. Rows, by contrast,
belong to one process's lexicon; they never leave it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xxhash

from .normalize import light_stem

#: Distinct words kept before the lexicon starts afresh (bounds memory on huge, noisy corpora).
MAX_WORDS = 2_000_000


class Lexicon(dict):
    """Word → row; ``terms_[row]`` is the stemmed-term id, ``hashes_[row]`` the shingle hash."""

    def __init__(self) -> None:
        super().__init__()
        self.terms_ = np.empty(1 << 12, dtype=np.int64)
        self.hashes_ = np.empty(1 << 12, dtype=np.uint64)

    def __missing__(self, word: str) -> int:
        row = len(self)
        if row == len(self.terms_):
            self.terms_ = np.concatenate([self.terms_, np.empty_like(self.terms_)])
            self.hashes_ = np.concatenate([self.hashes_, np.empty_like(self.hashes_)])
        self.terms_[row] = xxhash.xxh3_64_intdigest(light_stem(word).encode("utf-8")) >> 2
        self.hashes_[row] = xxhash.xxh3_64_intdigest(word.encode("utf-8"))
        self[word] = row
        return row

    def rows(self, words: Sequence[str]) -> np.ndarray:
        """Rows of ``words`` (valid until the next call; read the columns after this returns,
        as the lookup may grow them)."""
        if len(self) > MAX_WORDS:  # start afresh between calls, never inside one
            self.clear()
        return np.fromiter(map(self.__getitem__, words), dtype=np.int64, count=len(words))

    def term_ids(self, words: Sequence[str]) -> np.ndarray:
        """Stemmed-term id of each word (62-bit, non-negative)."""
        rows = self.rows(words)  # first: the lookup may grow (replace) the columns
        return self.terms_[rows]

    def word_hashes(self, words: Sequence[str]) -> np.ndarray:
        """64-bit hash of each word (xxh3 of its UTF-8 bytes)."""
        rows = self.rows(words)
        return self.hashes_[rows]


#: The lexicon of this process, shared by every step that needs word ids.
LEXICON = Lexicon()

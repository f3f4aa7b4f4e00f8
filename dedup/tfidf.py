"""TF-IDF of sentences for the report aligner: the one place scikit-learn's text features are used.

Character 2–4-grams inside word boundaries over normalized text: Arabic
morphology makes exact word matches too strict for aligning retold sentences.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from .normalize import normalize
from .vectors import gather_rows

#: Fitted alongside an input with no words at all, so the vocabulary is never empty.
_PLACEHOLDER = "dedup-empty-input"


class Vectorizer:
    """L2-normalized TF-IDF vectors of character 2–4-grams, fitted on a group's sentences."""

    def _make(self) -> TfidfVectorizer:
        return TfidfVectorizer(
            analyzer="char_wb", preprocessor=normalize, lowercase=False, ngram_range=(2, 4),
            sublinear_tf=True, dtype=np.float32,
        )

    def fit(self, texts: Iterable[str]) -> Vectorizer:
        texts = list(texts)
        try:
            self.model_ = self._make().fit(texts)
        except ValueError:  # no words at all (empty or punctuation-only input)
            self.model_ = self._make().fit([*texts, _PLACEHOLDER])
        return self

    def fit_transform(self, texts: Iterable[str]) -> sparse.csr_matrix:
        texts = list(texts)
        return self.fit(texts).transform(texts)

    def transform(self, texts: Iterable[str]) -> sparse.csr_matrix:
        return self.model_.transform(texts).tocsr()


_CHUNK = 16384


def cosine_rows(matrix: sparse.csr_matrix, pairs: np.ndarray) -> np.ndarray:
    """Cosine of row pairs ``pairs[:, 0]`` · ``pairs[:, 1]`` of an L2-normalized matrix.

    Entries are matched by (pair, column) key in numpy, in time proportional to the
    entries of the rows involved: scipy's elementwise product of the two row
    selections fell back to a path that costs the whole vocabulary on every call.
    """
    if len(pairs) == 0:
        return np.empty(0, dtype=np.float32)
    if len(pairs) > _CHUNK:
        return np.concatenate([cosine_rows(matrix, pairs[k : k + _CHUNK]) for k in range(0, len(pairs), _CHUNK)])
    lefts, left_of = np.unique(pairs[:, 0], return_inverse=True)  # each left row gathered once
    owner_l, col_l, val_l = gather_rows(matrix, lefts)
    owner_r, col_r, val_r = gather_rows(matrix, pairs[:, 1])
    if len(col_l) == 0 or len(col_r) == 0:
        return np.zeros(len(pairs), dtype=np.float32)
    width = np.int64(matrix.shape[1])
    key_l, key_r = owner_l * width + col_l, left_of.ravel()[owner_r] * width + col_r
    if not matrix.has_sorted_indices:
        order = np.argsort(key_l, kind="stable")
        key_l, val_l = key_l[order], val_l[order]
    pos = np.minimum(np.searchsorted(key_l, key_r), len(key_l) - 1)
    hit = key_l[pos] == key_r
    products = val_l[pos[hit]].astype(np.float64) * val_r[hit]
    return np.bincount(owner_r[hit], weights=products, minlength=len(pairs)).astype(np.float32)


def top_terms(matrix: sparse.csr_matrix, k: int) -> list[np.ndarray]:
    """Column indices of each row's ``k`` heaviest terms (the row's keywords); ties go to the
    lower column, so the choice does not depend on how a row's entries are stored."""
    out = []
    for i in range(matrix.shape[0]):
        lo, hi = matrix.indptr[i], matrix.indptr[i + 1]
        idx, val = matrix.indices[lo:hi], matrix.data[lo:hi]
        if len(idx) > k:
            keep = np.lexsort((idx, -val))[:k]
            idx = idx[keep]
        out.append(np.sort(idx).astype(np.uint32))
    return out

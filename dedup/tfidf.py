"""TF-IDF vectors of articles and sentences: the one place scikit-learn's text features are used.

Words are normalized and lightly stemmed (the proclitics و ف ب ك ل and the
article ال are stripped), so "الدوحة", "بالدوحة" and "والدوحة" count as one term.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from .normalize import normalize

_PREFIXES = ("وال", "فال", "بال", "كال", "لل", "ال")
_CONJ = ("و", "ف")
#: Fitted alongside an input with no words at all, so the vocabulary is never empty.
_PLACEHOLDER = "dedup-empty-input"


def light_stem(word: str) -> str:
    """Strip a leading conjunction and the definite article, keeping at least 3 letters."""
    if len(word) > 4 and word.startswith(_CONJ) and not word[1:].startswith(_CONJ):
        if word[1:].startswith("ال") or word[1:].startswith(("ب", "ل")):
            word = word[1:]
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            return word[len(prefix) :]
    return word


def terms(text: str) -> list[str]:
    """Light-stemmed, normalized words of ``text``."""
    return [light_stem(w) for w in normalize(text).split()]


def _char_terms(text: str) -> str:
    return normalize(text)


def unigrams_and_bigrams(terms_: list[str]) -> list[str]:
    """The analyzer for pre-tokenized input: each term and each adjacent pair."""
    return terms_ + [f"{a} {b}" for a, b in zip(terms_, terms_[1:])]


class Vectorizer:
    """L2-normalized TF-IDF vectors, fitted on a corpus (or on a group's sentences).

    Parameters
    ----------
    kind:
        ``"terms"``: input is already a list of stemmed terms; unigrams and bigrams;
        ``"word"``: light-stemmed word unigrams and bigrams of raw text;
        ``"char"``: character 2–4-grams inside word boundaries (sentences,
        where Arabic morphology makes exact word matches too strict).
    """

    def __init__(self, kind: str = "word", min_df: int = 1) -> None:
        if kind not in ("terms", "word", "char"):
            raise ValueError(f"kind must be 'terms', 'word' or 'char', got {kind!r}")
        self.kind = kind
        self.min_df = min_df

    def _make(self) -> TfidfVectorizer:
        if self.kind == "terms":
            return TfidfVectorizer(analyzer=unigrams_and_bigrams, sublinear_tf=True, min_df=self.min_df, dtype=np.float32)
        if self.kind == "word":
            return TfidfVectorizer(
                tokenizer=terms, preprocessor=None, lowercase=False, ngram_range=(1, 2),
                sublinear_tf=True, min_df=self.min_df, dtype=np.float32, token_pattern=None,
            )
        return TfidfVectorizer(
            analyzer="char_wb", preprocessor=_char_terms, lowercase=False, ngram_range=(2, 4),
            sublinear_tf=True, min_df=self.min_df, dtype=np.float32,
        )

    def fit(self, texts: Iterable[str]) -> Vectorizer:
        texts = list(texts)
        try:
            self.model_ = self._make().fit(texts)
        except ValueError:  # no words at all (empty or punctuation-only input)
            placeholder = [_PLACEHOLDER] if self.kind == "terms" else _PLACEHOLDER
            self.model_ = self._make().fit([*texts, placeholder])
        return self

    def fit_transform(self, texts: Iterable[str]) -> sparse.csr_matrix:
        texts = list(texts)
        return self.fit(texts).transform(texts)

    @property
    def size(self) -> int:
        return len(self.model_.vocabulary_)

    def transform(self, texts: Iterable[str]) -> sparse.csr_matrix:
        return self.model_.transform(texts).tocsr()

    def idf(self, term: str) -> float:
        """IDF of a term, or the largest IDF for an unseen term."""
        idx = self.model_.vocabulary_.get(term)
        return float(self.model_.idf_[idx] if idx is not None else self.model_.idf_.max())

    @property
    def features_(self) -> np.ndarray:
        return self.model_.get_feature_names_out()


def cosine_rows(matrix: sparse.csr_matrix, pairs: np.ndarray) -> np.ndarray:
    """Cosine of row pairs ``pairs[:, 0]`` · ``pairs[:, 1]`` of an L2-normalized matrix."""
    if len(pairs) == 0:
        return np.empty(0, dtype=np.float32)
    left = matrix[pairs[:, 0]]
    right = matrix[pairs[:, 1]]
    return np.asarray(left.multiply(right).sum(axis=1)).ravel()


def top_terms(matrix: sparse.csr_matrix, k: int) -> list[np.ndarray]:
    """Column indices of each row's ``k`` heaviest terms (the row's keywords)."""
    out = []
    for i in range(matrix.shape[0]):
        lo, hi = matrix.indptr[i], matrix.indptr[i + 1]
        idx, val = matrix.indices[lo:hi], matrix.data[lo:hi]
        if len(idx) > k:
            keep = np.argpartition(-val, k - 1)[:k]
            idx = idx[keep]
        out.append(np.sort(idx).astype(np.uint32))
    return out

"""TF-IDF of sentences for the report aligner: the one place scikit-learn's text features are used.

Character 2–4-grams inside word boundaries over normalized text: Arabic
morphology makes exact word matches too strict for aligning retold sentences.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy import sparse
from ..text.normalize import normalize

#: Fitted alongside an input with no words at all, so the vocabulary is never empty.
_PLACEHOLDER = "dedup-empty-input"


class Vectorizer:
    """L2-normalized TF-IDF vectors of character 2–4-grams, fitted on a group's sentences."""

    def _make(self):
        # imported here: scikit-learn takes 0.6 s to import, and only the reports align sentences
        from sklearn.feature_extraction.text import TfidfVectorizer

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

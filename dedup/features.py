"""Per-article features, computed once: sentences, normalized words, shingle sets,
MinHash signatures and TF-IDF vectors of articles and of their sentences.

Each article body is segmented and normalized a single time; the shingles, the
signatures and both TF-IDF matrices are built from that one pass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .article import Article
from .normalize import normalize
from .segment import sentences
from .shingle import as_set, word_shingles
from .signature import Signer
from .tfidf import top_terms
from .vectors import TermVectors, Vocabulary


@dataclass
class Analysis:
    """What one article contributes: its alignable units (title and sentences) as
    term-id arrays with their offsets, and its shingle set."""

    spans: list[tuple[int, int]]  # offsets into ``Article.body``; (-1, -1) is the title
    units: list[np.ndarray]  # term ids of each unit
    shingles: np.ndarray


def analyze(article: Article, vocab: Vocabulary, shingle_size: int = 5, min_words: int = 4) -> Analysis:
    """Segment and normalize an article once."""
    body = article.body
    spans: list[tuple[int, int]] = []
    units: list[np.ndarray] = []
    words: list[str] = []
    title_words = normalize(article.title).split() if article.title.strip() else []
    if title_words:
        spans.append((-1, -1))
        units.append(vocab.ids(title_words))
    short: list[str] = []
    for s in sentences(body):
        toks = normalize(s.text).split()
        words.extend(toks)
        if len(toks) >= min_words:
            spans.append((s.start, s.end))
            units.append(vocab.ids(toks))
        else:
            short.extend(toks)
    if len(units) == (1 if title_words else 0) and short:
        # a note with no full sentence: align it as one unit
        lead = len(body) - len(body.lstrip())
        spans.append((lead, len(body.rstrip())))
        units.append(vocab.ids(short))
    return Analysis(spans, units, as_set(word_shingles(words, shingle_size)))


class Corpus:
    """Features of a list of articles, ready for candidate search and verification.

    Attributes (after :meth:`fit`)
    ------------------------------
    analyses_, shingles_, signatures_, vectorizer_, doc_vectors_, sentence_vectors_, offsets_
    """

    def __init__(self, articles: list[Article], shingle_size: int = 5, num_perm: int = 128, seed: int = 1,
                 min_sentence_words: int = 4) -> None:
        self.articles = articles
        self.shingle_size = shingle_size
        self.num_perm = num_perm
        self.seed = seed
        self.min_sentence_words = min_sentence_words

    def fit(self, progress: Callable[[int], None] | None = None, analyses: list[Analysis] | None = None,
            vectorizer: TermVectors | None = None) -> Corpus:
        """Compute the features.

        ``analyses`` already made (by :mod:`dedup.parallel` or a Dask worker) are used
        as they are; a ``vectorizer`` already fitted (on the whole corpus, when this
        is one partition of it) is used instead of fitting one here.
        """
        if analyses is None:
            vocab = Vocabulary()
            analyses = []
            for a in self.articles:
                analyses.append(analyze(a, vocab, self.shingle_size, self.min_sentence_words))
                if progress:
                    progress(1)
        self.analyses_ = analyses
        self.shingles_ = [an.shingles for an in self.analyses_]
        self.signatures_ = Signer(self.num_perm, self.seed).sign_many(self.shingles_)
        units = [u for an in self.analyses_ for u in an.units]
        # IDF over sentences, not documents: stable on a handful of articles as
        # on a whole archive, so one set of thresholds serves both.
        self.offsets_ = np.cumsum([0] + [len(an.units) for an in self.analyses_])
        if vectorizer is None:
            self.vectorizer_ = TermVectors()
            self.sentence_vectors_, self.doc_vectors_ = self.vectorizer_.fit_transform(units, self.offsets_)
        else:
            self.vectorizer_ = vectorizer
            self.sentence_vectors_, self.doc_vectors_ = vectorizer.transform(units, self.offsets_)
        for an in self.analyses_:
            an.units = []  # vectorized: the term ids are no longer needed
        return self

    def take(self, indices: Sequence[int]) -> Corpus:
        """The features of ``indices`` only, as a corpus of its own (without the vectorizer)."""
        idx = np.asarray(indices, dtype=np.int64)
        out = Corpus([self.articles[i] for i in idx], self.shingle_size, self.num_perm, self.seed,
                     self.min_sentence_words)
        out.analyses_ = [self.analyses_[i] for i in idx]
        out.shingles_ = [self.shingles_[i] for i in idx]
        out.signatures_ = self.signatures_[idx]
        out.doc_vectors_ = self.doc_vectors_[idx]
        rows = [np.arange(self.offsets_[i], self.offsets_[i + 1]) for i in idx]
        out.sentence_vectors_ = self.sentence_vectors_[np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)]
        out.offsets_ = np.cumsum([0] + [len(r) for r in rows])
        out.vectorizer_ = None
        return out

    @staticmethod
    def concat(parts: Sequence[Corpus]) -> Corpus:
        """One corpus made of ``parts`` in order (rows keep their values)."""
        first = parts[0]
        out = Corpus([a for p in parts for a in p.articles], first.shingle_size, first.num_perm, first.seed,
                     first.min_sentence_words)
        out.analyses_ = [an for p in parts for an in p.analyses_]
        out.shingles_ = [s for p in parts for s in p.shingles_]
        out.signatures_ = np.concatenate([p.signatures_ for p in parts])
        out.doc_vectors_ = sparse.vstack([p.doc_vectors_ for p in parts], format="csr")
        out.sentence_vectors_ = sparse.vstack([p.sentence_vectors_ for p in parts], format="csr")
        out.offsets_ = np.cumsum([0] + [n for p in parts for n in np.diff(p.offsets_).tolist()])
        out.vectorizer_ = None
        return out

    def sentence_rows(self, i: int) -> sparse.csr_matrix:
        return self.sentence_vectors_[self.offsets_[i] : self.offsets_[i + 1]]

    def sentence_texts(self, i: int) -> list[str]:
        a = self.articles[i]
        return [a.title.strip() if s < 0 else a.body[s:e] for s, e in self.analyses_[i].spans]

    def keywords(self, k: int) -> list[np.ndarray]:
        """Each article's ``k`` heaviest single-word terms."""
        return top_terms(self.doc_vectors_[:, np.flatnonzero(self.vectorizer_.unigram_)], k)

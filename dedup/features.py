"""Per-article features, computed once: sentences, normalized words, shingle sets,
MinHash signatures and TF-IDF vectors of articles and of their sentences.

Each article body is segmented and normalized a single time; the shingles, the
signatures and both TF-IDF matrices are built from that one pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .article import Article
from .normalize import normalize
from .segment import Sentence, sentences
from .shingle import as_set, word_shingles
from .signature import Signer
from .tfidf import Vectorizer, light_stem, top_terms


@dataclass
class Analysis:
    """What one article contributes: alignable sentences and their stemmed terms."""

    sentences: list[Sentence]  # alignable units; offsets into ``Article.body`` (the title has -1)
    terms: list[list[str]]  # stemmed terms of each unit
    words: list[str]  # normalized words of the whole body, in order (for shingles)


def analyze(article: Article, min_words: int = 4) -> Analysis:
    """Segment and normalize an article once."""
    body = article.body
    units: list[Sentence] = []
    terms: list[list[str]] = []
    words: list[str] = []
    if article.title.strip():
        title_words = normalize(article.title).split()
        if title_words:
            units.append(Sentence(article.title.strip(), -1, -1))
            terms.append([light_stem(w) for w in title_words])
    short: list[tuple[Sentence, list[str]]] = []
    for s in sentences(body):
        toks = normalize(s.text).split()
        words.extend(toks)
        if len(toks) >= min_words:
            units.append(s)
            terms.append([light_stem(w) for w in toks])
        elif toks:
            short.append((s, toks))
    if len(units) == (1 if article.title.strip() else 0) and short:
        # a note with no full sentence: align it as one unit
        units.append(Sentence(body.strip(), body.index(body.strip()[:1]), len(body.rstrip())))
        terms.append([light_stem(w) for _, toks in short for w in toks])
    return Analysis(units, terms, words)


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

    def fit(self, progress: Callable[[int], None] | None = None) -> Corpus:
        self.analyses_: list[Analysis] = []
        self.shingles_: list[np.ndarray] = []
        for a in self.articles:
            an = analyze(a, self.min_sentence_words)
            self.analyses_.append(an)
            self.shingles_.append(as_set(word_shingles(an.words, self.shingle_size)))
            if progress:
                progress(1)
        self.signatures_ = Signer(self.num_perm, self.seed).sign_many(self.shingles_)
        units = [t for an in self.analyses_ for t in an.terms]
        # IDF over sentences, not documents: stable on a handful of articles as
        # on a whole archive, so one set of thresholds serves both.
        self.vectorizer_ = Vectorizer("terms").fit(units)
        self.sentence_vectors_ = self.vectorizer_.transform(units)
        self.offsets_ = np.cumsum([0] + [len(an.terms) for an in self.analyses_])
        self.doc_vectors_ = self.vectorizer_.transform([[t for unit in an.terms for t in unit] for an in self.analyses_])
        return self

    def sentence_rows(self, i: int) -> sparse.csr_matrix:
        return self.sentence_vectors_[self.offsets_[i] : self.offsets_[i + 1]]

    def sentence_texts(self, i: int) -> list[str]:
        return [s.text for s in self.analyses_[i].sentences]

    def keywords(self, k: int) -> list[np.ndarray]:
        """Each article's ``k`` heaviest single-word terms."""
        unigram = np.flatnonzero([" " not in t for t in self.vectorizer_.features_])
        return top_terms(self.doc_vectors_[:, unigram], k)

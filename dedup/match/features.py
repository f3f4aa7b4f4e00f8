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

from ..article import Article
from ..compute import kernels
from ..text.lexicon import LEXICON, Lexicon, kind_starts, word_hashes
from ..text.normalize import normalize, tokens, word_spans
from ..text.segment import sentences
from .shingle import as_set, shingle_windows
from .signature import Signer
from ..compute.spill import IN_MEMORY, Spill
from .term_vectors import NO_UNITS, SentenceColumns, TermCounts, TermVectors, Units, top_terms

#: The shingle set an analysis keeps once its corpus holds the sets end to end.
NO_SHINGLES = np.empty(0, dtype=np.uint32)


@dataclass
class Analysis:
    """What one article contributes: its alignable units (title and sentences) as
    term ids with their offsets, and its shingle set."""

    spans: np.ndarray  # (units, 2) offsets into ``Article.body``; (-1, -1) is the title
    units: Units  # term ids of each unit
    shingles: np.ndarray


def _sentence_words(body: str) -> tuple[list, np.ndarray, Callable[[int], str]]:
    """The body's sentences with each one's word count, the hashes of their normalized words
    end to end, and a way to read word ``k`` itself (asked for words the lexicon has not met)."""
    found = word_spans(body)
    sents = sentences(body)
    if found is None:  # normalization depends on neighbouring characters: sentence by sentence
        per = [normalize(s.text).split() for s in sents]
        words = [w for ws in per for w in ws]
        return [(s, len(w)) for s, w in zip(sents, per)], word_hashes(words), words.__getitem__
    codes, first, end, at = found
    lo = np.searchsorted(at, [s.start for s in sents]).tolist()
    hi = np.searchsorted(at, [s.end for s in sents]).tolist()
    if lo and (lo[0] != 0 or hi[-1] != len(at) or lo[1:] != hi[:-1]):  # some words fall outside every sentence
        inside = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)]).astype(np.int64)
        first, end = first[inside], end[inside]

    def word_at(k: int) -> str:
        return codes[first[k] : end[k]].tobytes().decode("utf-32-le")

    return [(s, b - a) for s, a, b in zip(sents, lo, hi)], kernels.code_hashes(codes, first, end), word_at


def analyze(article: Article, lexicon: Lexicon = LEXICON, shingle_size: int = 5, min_words: int = 4) -> Analysis:
    """Segment and normalize an article once; hash its words and find their terms in the lexicon."""
    body = article.body
    spans: list[tuple[int, int]] = []
    title_words = tokens(article.title) if article.title.strip() else []
    per_sentence, hashes, word_at = _sentence_words(body)
    nt = len(title_words)
    terms = lexicon.term_ids_of(np.concatenate([word_hashes(title_words), hashes]),
                                lambda k: title_words[k] if k < nt else word_at(k - nt))
    pieces: list[np.ndarray] = []
    if title_words:
        spans.append((-1, -1))
        pieces.append(terms[:nt])
    short: list[np.ndarray] = []
    at = nt
    for s, n in per_sentence:
        if n >= min_words:
            spans.append((s.start, s.end))
            pieces.append(terms[at : at + n])
        else:
            short.append(terms[at : at + n])
        at += n
    if len(pieces) == (1 if title_words else 0) and short and sum(map(len, short)):
        # a note with no full sentence: align it as one unit
        lead = len(body) - len(body.lstrip())
        spans.append((lead, len(body.rstrip())))
        pieces.append(np.concatenate(short))
    return Analysis(np.array(spans, dtype=np.int64).reshape(-1, 2), Units.of(pieces),
                    as_set(shingle_windows(hashes, shingle_size)))


class Corpus:
    """Features of a list of articles, ready for candidate search and verification.

    Attributes (after :meth:`fit`)
    ------------------------------
    analyses_, signatures_, vectorizer_, doc_vectors_, offsets_;
    set_offsets_ and set_ids_: the shingle sets end to end (article ``i``'s set is
    ``set_ids_[set_offsets_[i]:set_offsets_[i + 1]]``);
    kinds_: the first column of rare words and of numbers in the vectors (:func:`~dedup.text.lexicon.kind_starts`);
    sentence_vectors_ (rows; ``None`` without ``keep_rows``) and sentence_columns_
    (:class:`SentenceColumns`, made when first asked for unless made by :meth:`fit`).
    """

    def __init__(self, articles: list[Article], shingle_size: int = 5, num_perm: int = 128, seed: int = 1,
                 min_sentence_words: int = 4, threads: int = 1, keep_rows: bool = True,
                 spill: Spill = IN_MEMORY) -> None:
        """``keep_rows=False``: the sentence vectors are kept by column only, the form
        verification reads (the job's peak held both forms). ``spill``: where the shingle
        sets and the vectors are made (:mod:`dedup.compute.spill`)."""
        self.articles = articles
        self.threads = threads  # for the compiled loops over all documents; the features do not depend on it
        self.shingle_size = shingle_size
        self.num_perm = num_perm
        self.seed = seed
        self.min_sentence_words = min_sentence_words
        self.keep_rows = keep_rows
        self.spill = spill
        self.sentence_columns_: SentenceColumns | None = None

    def fit(self, progress: Callable[[int], None] | None = None, analyses: list[Analysis] | None = None,
            vectorizer: TermVectors | None = None, counts: list[TermCounts] | None = None,
            signatures: np.ndarray | None = None, sets: tuple[np.ndarray, np.ndarray] | None = None) -> Corpus:
        """Compute the features.

        ``analyses`` already made (by :mod:`dedup.engine.processes` or a Dask worker) are used
        as they are, with the term ``counts`` of their units, their ``signatures`` and
        their shingle ``sets`` (each set's size, and the sets end to end) when these were
        made there; a ``vectorizer`` already fitted (on the whole corpus, when this
        is one partition of it) is used instead of fitting one here.
        """
        if analyses is None:
            analyses = []
            for a in self.articles:
                analyses.append(analyze(a, LEXICON, self.shingle_size, self.min_sentence_words))
                if progress:
                    progress(1)
        self.analyses_ = analyses
        if signatures is None:
            signatures = Signer(self.num_perm, self.seed).sign_many([an.shingles for an in analyses])
        self.signatures_ = signatures
        if sets is None:
            sizes = np.fromiter((len(an.shingles) for an in analyses), dtype=np.int64, count=len(analyses))
            ids = self.spill.keep(np.concatenate([an.shingles for an in analyses]).astype(np.uint32, copy=False)
                                  if analyses else np.empty(0, dtype=np.uint32))
        else:
            sizes, ids = sets
        self.set_offsets_ = kernels.starts_of(sizes)
        self.set_ids_ = ids
        for an in analyses:
            an.shingles = NO_SHINGLES  # held end to end above
        # IDF over sentences, not documents: stable on a handful of articles as
        # on a whole archive, so one set of thresholds serves both.
        self.offsets_ = kernels.starts_of([len(an.spans) for an in self.analyses_])  # one span per unit
        self.sentence_vectors_ = None
        if counts is not None or vectorizer is None:
            self.vectorizer_ = TermVectors(self.threads, self.spill)
            # a list given is consumed: each part released once placed
            parts = counts if counts is not None else [TermCounts.of(Units.concat([an.units for an in analyses]))]
            sentences, self.doc_vectors_ = self.vectorizer_.fit_transform_counts(parts, self.offsets_,
                                                                                 by_column=not self.keep_rows)
            del parts
            if self.keep_rows:
                self.sentence_vectors_ = sentences
            else:
                self.sentence_columns_ = sentences
        else:
            self.vectorizer_ = vectorizer
            units = Units.concat([an.units for an in self.analyses_])
            self.sentence_vectors_, self.doc_vectors_ = vectorizer.transform(units, self.offsets_)
        for an in self.analyses_:
            an.units = NO_UNITS  # vectorized: the term ids are no longer needed
        self.kinds_ = kind_starts(self.vectorizer_.keys_)
        return self

    def sentence_columns(self) -> SentenceColumns:
        """The sentence vectors by column (:class:`SentenceColumns`), made from the rows once."""
        if self.sentence_columns_ is None:
            self.sentence_columns_ = SentenceColumns.of(self.sentence_vectors_, self.offsets_, self.threads)
        return self.sentence_columns_

    def shingles(self, i: int) -> np.ndarray:
        """Article ``i``'s shingle set (sorted ids)."""
        return self.set_ids_[self.set_offsets_[i] : self.set_offsets_[i + 1]]

    def take(self, indices: Sequence[int]) -> Corpus:
        """The features of ``indices`` only, as a corpus of its own (without the vectorizer)."""
        idx = np.asarray(indices, dtype=np.int64)
        out = Corpus([self.articles[i] for i in idx], self.shingle_size, self.num_perm, self.seed,
                     self.min_sentence_words)
        out.analyses_ = [self.analyses_[i] for i in idx]
        sizes = np.diff(self.set_offsets_)[idx]
        out.set_offsets_ = kernels.starts_of(sizes)
        out.set_ids_ = (np.concatenate([self.shingles(i) for i in idx.tolist()]) if len(idx)
                        else np.empty(0, dtype=np.uint32))
        out.signatures_ = self.signatures_[idx]
        out.doc_vectors_ = self.doc_vectors_[idx]
        rows = [np.arange(self.offsets_[i], self.offsets_[i + 1]) for i in idx]
        out.sentence_vectors_ = self.sentence_vectors_[np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)]
        out.offsets_ = kernels.starts_of([len(r) for r in rows])
        out.vectorizer_ = None
        out.kinds_ = self.kinds_
        return out

    @staticmethod
    def concat(parts: Sequence[Corpus]) -> Corpus:
        """One corpus made of ``parts`` in order (rows keep their values)."""
        first = parts[0]
        out = Corpus([a for p in parts for a in p.articles], first.shingle_size, first.num_perm, first.seed,
                     first.min_sentence_words)
        out.analyses_ = [an for p in parts for an in p.analyses_]
        out.set_offsets_ = kernels.join_starts([p.set_offsets_ for p in parts])
        out.set_ids_ = np.concatenate([p.set_ids_ for p in parts])
        out.signatures_ = np.concatenate([p.signatures_ for p in parts])
        out.doc_vectors_ = sparse.vstack([p.doc_vectors_ for p in parts], format="csr")
        out.sentence_vectors_ = sparse.vstack([p.sentence_vectors_ for p in parts], format="csr")
        out.offsets_ = kernels.starts_of([n for p in parts for n in np.diff(p.offsets_).tolist()])
        out.vectorizer_ = None
        out.kinds_ = first.kinds_  # the parts share one vectorizer
        return out

    def sentence_rows(self, i: int) -> sparse.csr_matrix:
        return self.sentence_vectors_[self.offsets_[i] : self.offsets_[i + 1]]

    def sentence_texts(self, i: int) -> list[str]:
        a = self.articles[i]
        return [a.title.strip() if s < 0 else a.body[s:e] for s, e in self.analyses_[i].spans.tolist()]

    def keywords(self, k: int) -> list[np.ndarray]:
        """Each article's ``k`` heaviest single-word terms, as their columns (the vectors' single
        words picked in place: selecting their columns first was a copy of the article vectors)."""
        return top_terms(self.doc_vectors_, k, self.threads, allowed=self.vectorizer_.unigram_)

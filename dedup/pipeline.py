"""The grouping job: read → strip boilerplate → normalize → shingle → sign →
candidates → verify → group. One call per step, each inside a timer."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from .article import Article, ReadProblem
from .boilerplate import Boilerplate
from .candidates import candidate_pairs, keyword_pairs
from .group import Group, group
from .io import FieldMap, read
from .normalize import tokens
from .segment import sentences
from .shingle import as_set, word_shingles
from .signature import Signer
from .tfidf import Vectorizer, top_terms
from .verify import Thresholds, Verdict, decide, fact_alignment

log = logging.getLogger("dedup")


@dataclass(frozen=True)
class Settings:
    """Everything that decides the groups. Defaults are calibrated (README, "Quality")."""

    shingle_size: int = 5
    num_perm: int = 128
    seed: int = 1
    lsh_threshold: float = 0.5
    keywords: int = 30
    min_shared_keywords: int = 3
    thresholds: Thresholds = field(default_factory=Thresholds)
    min_sentence_words: int = 4

    def __post_init__(self) -> None:
        if self.shingle_size < 1:
            raise ValueError(f"shingle_size must be at least 1, got {self.shingle_size}")
        if not 0.0 < self.lsh_threshold < 1.0:
            raise ValueError(f"lsh_threshold must be in (0, 1), got {self.lsh_threshold}")


@dataclass
class ClusterResult:
    """Groups over the articles read, and what could not be read."""

    articles: list[Article]
    groups: list[Group]
    problems: list[ReadProblem]
    verdicts: dict[tuple[int, int], Verdict]
    timings: dict[str, float]

    @property
    def summary(self) -> dict:
        multi = [g for g in self.groups if len(g.members) > 1]
        return {
            "articles": len(self.articles),
            "unreadable": len(self.problems),
            "groups": len(self.groups),
            "duplicate_groups": sum(1 for g in multi if g.relation == "duplicate"),
            "variant_groups": sum(1 for g in multi if g.relation == "variant"),
            "articles_in_groups": sum(len(g.members) for g in multi),
        }


@contextmanager
def _timer(timings: dict[str, float], stage: str):
    start = time.perf_counter()
    yield
    timings[stage] = time.perf_counter() - start
    log.debug("%s: %.2fs", stage, timings[stage])


def article_text(article: Article) -> str:
    """What is compared: the headline and the cleaned body."""
    return f"{article.title}\n{article.body}" if article.title else article.body


class Corpus:
    """The per-article measurements verification needs, computed once."""

    def __init__(self, articles: list[Article], settings: Settings) -> None:
        self.articles = articles
        self.settings = settings

    def fit(self, progress: Callable[[int], None] | None = None) -> Corpus:
        s = self.settings
        self.shingles_ = []
        for a in self.articles:
            self.shingles_.append(as_set(word_shingles(tokens(a.body), s.shingle_size)))
            if progress:
                progress(1)
        self.signatures_ = Signer(s.num_perm, s.seed).sign_many(self.shingles_)
        texts = [article_text(a) for a in self.articles]
        # IDF over sentences, not documents: stable on a handful of articles
        # as on a whole archive, so one set of thresholds serves both.
        self._sentences: dict[int, tuple[list[str], sparse.csr_matrix]] = {}
        self.vectorizer_ = Vectorizer("word").fit(t for i in range(len(self.articles)) for t in self._sentence_texts(i))
        self.doc_vectors_ = self.vectorizer_.transform(texts)
        return self

    def keywords(self) -> list[np.ndarray]:
        unigram = np.flatnonzero([" " not in t for t in self.vectorizer_.features_])
        return top_terms(self.doc_vectors_[:, unigram], self.settings.keywords)

    def _sentence_texts(self, i: int) -> list[str]:
        body = self.articles[i].body
        texts = [s.text for s in sentences(body, self.settings.min_sentence_words)]
        if not texts and body.strip():  # a short note: the whole body is its one "sentence"
            texts = [body.strip()]
        title = self.articles[i].title
        return [title, *texts] if title else texts

    def sentence_vectors(self, i: int) -> tuple[list[str], sparse.csr_matrix]:
        if i not in self._sentences:
            texts = self._sentence_texts(i)
            vectors = self.vectorizer_.transform(texts) if texts else sparse.csr_matrix((0, self.vectorizer_.size))
            self._sentences[i] = (texts, vectors)
        return self._sentences[i]

    def verify(self, i: int, j: int) -> Verdict:
        ta, va = self.sentence_vectors(i)
        tb, vb = self.sentence_vectors(j)
        cosine = float(self.doc_vectors_[i].multiply(self.doc_vectors_[j]).sum())
        facts = fact_alignment(va, vb, ta, tb, self.settings.thresholds.fact_sentence)
        dates = (self.articles[i].published, self.articles[j].published)
        return decide(self.shingles_[i], self.shingles_[j], cosine, facts, self.settings.thresholds, dates)


def cluster_articles(
    articles: list[Article],
    settings: Settings = Settings(),
    problems: list[ReadProblem] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ClusterResult:
    """Group already-read articles (the library entry point behind :func:`cluster`)."""
    timings: dict[str, float] = {}
    n = len(articles)
    tick = (lambda stage: (lambda k: progress(stage, k, n))) if progress else (lambda stage: None)
    with _timer(timings, "boilerplate"):
        cleaner = Boilerplate().fit(a.text for a in articles)
        for a in articles:
            cleaner.strip(a)
    with _timer(timings, "sign"):
        corpus = Corpus(articles, settings).fit(tick("sign"))
    with _timer(timings, "candidates"):
        near = candidate_pairs(corpus.signatures_, settings.lsh_threshold)
        same_story = keyword_pairs(corpus.keywords(), settings.min_shared_keywords)
        pairs = np.unique(np.concatenate([near, same_story]), axis=0) if len(near) + len(same_story) else near
    with _timer(timings, "verify"):
        verdicts: dict[tuple[int, int], Verdict] = {}
        for i, j in pairs.tolist():
            verdicts[(i, j)] = corpus.verify(i, j)
        if progress:
            progress("verify", len(pairs), max(len(pairs), 1))
    with _timer(timings, "group"):
        groups = group(n, verdicts, corpus.verify)
    log.info("candidates: %d near-duplicate, %d same-story", len(near), len(same_story))
    return ClusterResult(articles, groups, list(problems or []), verdicts, timings)


def cluster(
    paths: Iterable[str] | str,
    settings: Settings = Settings(),
    fields: FieldMap = FieldMap(),
    on_problem: Callable[[ReadProblem], None] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ClusterResult:
    """Group the articles under ``paths`` (folders, JSON Lines or CSV files).

    >>> result = cluster("seeds/")                      # doctest: +SKIP
    >>> [[result.articles[m].id for m in g.members] for g in result.groups]  # doctest: +SKIP
    """
    if isinstance(paths, str):
        paths = [paths]
    problems: list[ReadProblem] = []

    def report(p: ReadProblem) -> None:
        problems.append(p)
        if on_problem:
            on_problem(p)

    timings: dict[str, float] = {}
    with _timer(timings, "read"):
        articles = list(read(paths, fields, report))
    result = cluster_articles(articles, settings, problems, progress)
    result.timings = {**timings, **result.timings}
    return result

"""Comparing two articles: the verification step on a pair, with its evidence.

The whole of :mod:`dedup.match` on one pair, without a corpus: both articles stripped, analyzed
and signed alone, then verified as the job verifies a candidate pair. ``dedup compare`` calls it,
and the index (:mod:`dedup.index.index`) verifies each incoming article against its stored
neighbours with :func:`compare_many`, so the index and ``compare`` give one verdict.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import replace
from typing import NamedTuple

import numpy as np

from ..article import Article
from ..text.boilerplate import Boilerplate
from .features import Analysis, Corpus, analyze
from ..text.lexicon import LEXICON
from .signature import Signer
from .settings import Settings
from .verdict import Verdict
from .verify import Verifier


def compare_articles(a: Article, b: Article, settings: Settings = Settings()) -> Verdict:
    """Relation of two articles (boilerplate markers stripped; no corpus statistics)."""
    cleaner = Boilerplate()
    for article in (a, b):
        cleaner.strip(article)
    corpus = Corpus([a, b], settings.shingle_size, settings.num_perm, settings.seed, settings.min_sentence_words).fit()
    return Verifier(corpus, settings.thresholds).verify(0, 1)


def compare_many(article: Article, others: Sequence[Article], settings: Settings = Settings(),
                 memo: MutableMapping | None = None) -> list[Verdict]:
    """:func:`compare_articles` of ``article`` and each of ``others``, in order: each pair on its
    own (pair-local statistics), so each verdict is the one ``dedup compare`` gives that pair.

    The same as ``[compare_articles(copy(article), copy(o), settings) for o in others]`` (tested
    to the last bit), without doing again per pair what depends on one article only: each
    article is stripped, analyzed and signed once (on a copy: the articles given are not
    changed); each pair's corpus statistics and verification are made as ``compare_articles``
    makes them. ``memo``, a mapping kept by the caller across calls, keeps these per-article
    features by the article's id, title, text and date (an index verifying each new article
    against stored ones meets the same stored articles again)."""
    sides = [_side(a, settings, memo) for a in (article, *others)]
    return [_verify_pair(sides[0], side, settings) for side in sides[1:]]


class _Side(NamedTuple):
    """What one article brings to any pair: stripped copy, analysis, signature."""

    article: Article
    analysis: Analysis
    signature: np.ndarray


def _side(a: Article, settings: Settings, memo: MutableMapping | None) -> _Side:
    key = (a.id, a.title, a.text, a.published)
    if memo is not None and key in memo:
        return memo[key]
    copy = Boilerplate().strip(_copy(a))
    analysis = analyze(copy, LEXICON, settings.shingle_size, settings.min_sentence_words)
    side = _Side(copy, analysis, Signer(settings.num_perm, settings.seed).sign_many([analysis.shingles])[0])
    if memo is not None:
        memo[key] = side
    return side


def _verify_pair(a: _Side, b: _Side, settings: Settings) -> Verdict:
    """What :func:`compare_articles` does after stripping, on features made before: the pair's
    corpus fitted on copies of the two analyses (fitting consumes them) and verified."""
    corpus = Corpus([a.article, b.article], settings.shingle_size, settings.num_perm, settings.seed,
                    settings.min_sentence_words)
    corpus.fit(analyses=[replace(a.analysis), replace(b.analysis)], signatures=np.stack([a.signature, b.signature]))
    return Verifier(corpus, settings.thresholds).verify(0, 1)


def _copy(a: Article) -> Article:
    """An article that may be stripped in place without changing ``a``."""
    return replace(a, meta=dict(a.meta), removed=list(a.removed), kept=list(a.kept))


def compare(text_a: str, text_b: str, settings: Settings = Settings(), title_a: str = "", title_b: str = "") -> Verdict:
    """Relation of two texts: ``.relation`` is ``duplicate``, ``variant`` or ``distinct``;
    ``.similarity`` is in [0, 1].

    >>> compare("قال الوزير إن الاجتماع ناجح", "قال الوزير إن الاجتماع ناجح").relation
    'duplicate'
    """
    return compare_articles(Article("a", text_a, title=title_a), Article("b", text_b, title=title_b), settings)

"""Comparing two articles: the verification step on a pair, with its evidence."""

from __future__ import annotations

from .article import Article
from .boilerplate import Boilerplate
from .features import Corpus
from .pipeline import Settings
from .verify import Verdict, Verifier


def compare_articles(a: Article, b: Article, settings: Settings = Settings()) -> Verdict:
    """Relation of two articles (boilerplate markers stripped; no corpus statistics)."""
    cleaner = Boilerplate()
    for article in (a, b):
        cleaner.strip(article)
    corpus = Corpus([a, b], settings.shingle_size, settings.num_perm, settings.seed, settings.min_sentence_words).fit()
    return Verifier(corpus, settings.thresholds).verify(0, 1)


def compare(text_a: str, text_b: str, settings: Settings = Settings(), title_a: str = "", title_b: str = "") -> Verdict:
    """Relation of two texts: ``.relation`` is ``duplicate``, ``variant`` or ``distinct``;
    ``.similarity`` is in [0, 1].

    >>> compare("قال الوزير إن الاجتماع ناجح", "قال الوزير إن الاجتماع ناجح").relation
    'duplicate'
    """
    return compare_articles(Article("a", text_a, title=title_a), Article("b", text_b, title=title_b), settings)

"""Fact alignment across the articles of a group.

Every sentence of every article becomes a vector (TF-IDF over character 2–4-grams
inside words, fitted on the group's sentences: Arabic morphology makes exact word
matches too strict). Sentence pairs from different articles are merged into
*facts*, strongest pair first, with at most one sentence per article in a fact,
and two facts join only if their sentences are, on average, as close as a
matching pair must be (so a fact does not drift through a chain of partial
overlaps).

With sentence vectors from the semantic extra (``encode``), a pair of sentences
below the lexical match still matches when the mean of its lexical and semantic
cosines reaches :data:`RESCUE` and each sentence is the other's best partner
between their two articles (on that mean): a retelling in other words is
aligned, while the encoder's pull towards sentences that only share names and
places (it scores them high) does not make a match on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..article import Article
from ..text.boilerplate import CAPTION_WORDS, dateline_length, is_chrome_sentence, is_label_line, is_photo_credit
from ..text.segment import Sentence, sentences, statements
from .sentence_tfidf import Vectorizer

#: Two sentences say the same thing at or above this cosine.
MATCH = 0.42
#: Two partial facts merge if their sentences average at least this cosine.
MERGE_MEAN = 0.34
#: With sentence vectors: a mutual-best pair whose mean of lexical and semantic cosine reaches this
#: matches although its lexical cosine is below :data:`MATCH`. Chosen on 14 hand-aligned SaudiNewsNet
#: article pairs of 2015-08-01/03/04 (``benchmarks/labels/alignment_train.jsonl``): 5 of the 37 linked
#: sentence pairs below MATCH found, no unlinked pair taken (``python -m benchmarks alignment``).
RESCUE = 0.38


@dataclass
class Fact:
    """Sentences (at most one per article) that say the same thing."""

    sentences: dict[int, int]  # article index -> sentence index
    similarity: dict[tuple[int, int], float] = field(default_factory=dict)  # article pair -> cosine

    @property
    def articles(self) -> set[int]:
        return set(self.sentences)


@dataclass
class Alignment:
    """Sentences per article and the facts they form (every sentence is in exactly one fact)."""

    sentences: list[list[Sentence]]
    facts: list[Fact]
    #: cosine of every two sentences, numbered article by article (article ``k``'s sentence ``i`` is
    #: number ``starts[k] + i``)
    #: (with sentence vectors, a pair matched by :data:`RESCUE` holds the mean of its two cosines)
    cosines: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    _best: np.ndarray | None = field(default=None, repr=False, compare=False)

    @cached_property
    def starts(self) -> list[int]:
        """The number of each article's first sentence among all the sentences."""
        return np.concatenate([[0], np.cumsum([len(ss) for ss in self.sentences])[:-1]]).astype(int).tolist()

    def closest(self, fact: Fact, article: int) -> float:
        """The highest cosine between a sentence of ``fact`` and any sentence of ``article``."""
        starts = self.starts
        if self._best is None:  # each sentence's best cosine with each article, computed once
            self._best = np.zeros((self.cosines.shape[0], len(self.sentences)))
            for k, ss in enumerate(self.sentences):
                if ss:
                    self._best[:, k] = self.cosines[:, starts[k]:starts[k] + len(ss)].max(axis=1)
        rows = [starts[k] + i for k, i in fact.sentences.items()]
        return float(self._best[rows, article].max()) if rows and self.sentences[article] else 0.0


def _starts_line(text: str, s: Sentence) -> bool:
    """Whether ``s`` begins its line in ``text`` (a dateline opens a paragraph)."""
    return not text[text.rfind("\n", 0, s.start) + 1:s.start].strip()


def _whole_line(text: str, s: Sentence) -> bool:
    """Whether ``s`` is all of its line in ``text``."""
    after = text.find("\n", s.end)
    return _starts_line(text, s) and not text[s.end:after if after >= 0 else len(text)].strip()


def _without_dateline(s: Sentence) -> Sentence:
    """``s`` without a byline or dateline glued to its start (:func:`dedup.text.boilerplate.dateline_length`)."""
    cut = dateline_length(s.text)
    return Sentence(s.text[cut:], s.start + cut, s.end) if cut else s


def _units(article: Article, min_words: int, split_statements: bool = True) -> list[Sentence]:
    """The pieces of ``article`` that can be facts: its sentences, long enough and not page furniture
    (tag, link and credit lines; photo captions, the sentence before a credit; lines that are headings,
    caption labels, bylines or salutations), a dateline glued to a sentence's start cut off, each cut into
    its statements (:func:`dedup.text.segment.statements`) unless ``split_statements`` is false."""
    body = article.body
    every = sentences(body, unclosed_quotes=True)
    caption = {i for i in range(len(every) - 1)
               if is_photo_credit(every[i + 1].text) and len(every[i].text.split()) <= CAPTION_WORDS}
    kept = [_without_dateline(s) if _starts_line(body, s) else s for i, s in enumerate(every)
            if len(s.text.split()) >= min_words and not is_chrome_sentence(s.text) and i not in caption
            and not (_whole_line(body, s) and is_label_line(s.text))]
    return [p for s in kept for p in statements(s)] if split_statements else kept


def rescued(lexical: np.ndarray, semantic: np.ndarray, owner: np.ndarray, match: float = MATCH,
            rescue: float = RESCUE) -> np.ndarray:
    """Which sentence pairs below ``match`` lexically match on the mean of both cosines.

    A pair is rescued when its mean cosine reaches ``rescue`` and, between its two
    articles, neither sentence has a partner with a higher mean.
    """
    mean = (lexical + semantic) / 2
    out = np.zeros(lexical.shape, dtype=bool)
    articles = np.unique(owner)
    for x in articles:
        rows = np.flatnonzero(owner == x)
        for y in articles[articles > x]:
            cols = np.flatnonzero(owner == y)
            block = mean[np.ix_(rows, cols)]
            best = (block >= block.max(axis=1, keepdims=True)) & (block >= block.max(axis=0, keepdims=True))
            hit = best & (block >= rescue) & (lexical[np.ix_(rows, cols)] < match)
            i, j = np.nonzero(hit)
            out[rows[i], cols[j]] = True
            out[cols[j], rows[i]] = True
    return out


def align(
    articles: list[Article],
    match: float = MATCH,
    merge_mean: float = MERGE_MEAN,
    min_words: int = 2,
    encode: Callable[[list[str]], np.ndarray] | None = None,
) -> Alignment:
    """Align the sentences of ``articles`` into facts.

    ``encode`` maps sentences to L2-normalized vectors (:func:`dedup.report.semantic.encode`);
    without it the alignment is lexical only. Facts come out in reading order: by the
    first article that carries them, then by position in that article.
    """
    sents = [_units(a, min_words) for a in articles]
    owner = np.array([k for k, ss in enumerate(sents) for _ in ss], dtype=np.int64)
    local = np.array([i for ss in sents for i in range(len(ss))], dtype=np.int64)
    texts = [s.text for ss in sents for s in ss]
    n = len(texts)
    if n == 0:
        return Alignment(sents, [], np.zeros((0, 0)))
    vectors = Vectorizer().fit_transform(texts)
    sim = (vectors @ vectors.T).toarray()
    linked = sim >= match
    if encode is not None:
        embedded = np.asarray(encode(texts), dtype=np.float64)
        semantic = embedded @ embedded.T
        extra = rescued(sim, semantic, owner, match)
        sim = np.where(extra, (sim + semantic) / 2, sim)
        linked |= extra
    cross = owner[:, None] != owner[None, :]
    iu, ju = np.nonzero(np.triu(cross & linked, k=1))
    order = np.lexsort((ju, iu, -sim[iu, ju]))
    fact_of = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}

    def find(x: int) -> int:
        while fact_of[x] != x:
            fact_of[x] = fact_of[fact_of[x]]
            x = fact_of[x]
        return x

    for k in order.tolist():
        a, b = find(int(iu[k])), find(int(ju[k]))
        if a == b:
            continue
        ma, mb = members[a], members[b]
        if set(owner[ma].tolist()) & set(owner[mb].tolist()):
            continue  # one sentence per article in a fact
        if sim[np.ix_(ma, mb)].mean() < merge_mean:
            continue
        fact_of[b] = a
        members[a] = ma + mb
        del members[b]

    facts = []
    for root, idx in members.items():
        idx = sorted(idx)
        fact = Fact({int(owner[i]): int(local[i]) for i in idx})
        for x in idx:
            for y in idx:
                if owner[x] < owner[y]:
                    fact.similarity[(int(owner[x]), int(owner[y]))] = round(float(sim[x, y]), 4)
        facts.append(fact)
    facts.sort(key=lambda f: (min(f.sentences), f.sentences[min(f.sentences)]))
    return Alignment(sents, facts, sim)

"""Verification: decide the relation of a candidate pair, with the evidence.

* ``duplicate``: the same text reposted — most word 5-grams of the shorter
  article appear in the other (so trimmed copies and copies with other
  boilerplate count), or the 5-gram sets are close.
* ``variant``: the same event written up differently — the articles share
  facts: several sentences of one have a close counterpart in the other
  (TF-IDF cosine of aligned sentences), and their whole-text TF-IDF vectors
  agree. Articles published far apart are never variants.
* ``distinct``: anything else.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from threadpoolctl import threadpool_limits
from .shingle import overlap
from .tfidf import cosine_rows
from .vectors import rows_dot


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds. ``variant_facts`` and ``variant_cosine`` were chosen by
    ``python -m benchmarks quality`` on the dev splits (README, "Quality")."""

    duplicate_containment: float = 0.8
    duplicate_jaccard: float = 0.6
    variant_facts: float = 0.22
    variant_cosine: float = 0.15
    fact_sentence: float = 0.3
    max_days: float = 3.0

    def __post_init__(self) -> None:
        for name in ("duplicate_containment", "duplicate_jaccard", "variant_facts", "variant_cosine", "fact_sentence"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0.0, 1.0], got {value}")


@dataclass(frozen=True)
class SharedSentence:
    """A sentence of each article that say the same thing."""

    a: str
    b: str
    similarity: float


@dataclass
class Verdict:
    """The relation of two articles and why."""

    relation: str
    similarity: float
    shingle_jaccard: float
    containment: float
    cosine: float
    fact_score: float
    shared: list[SharedSentence] = field(default_factory=list)
    measures: Measures | None = None

    def as_dict(self) -> dict:
        return {
            "relation": self.relation,
            "similarity": round(self.similarity, 4),
            "evidence": {
                "shingle_jaccard": round(self.shingle_jaccard, 4),
                "containment": round(self.containment, 4),
                "tfidf_cosine": round(self.cosine, 4),
                "fact_score": round(self.fact_score, 4),
                "shared_sentences": [
                    {"a": s.a, "b": s.b, "similarity": round(s.similarity, 4)} for s in self.shared
                ],
            },
        }


def _days_apart(a: str, b: str) -> float | None:
    try:
        da, db = date.fromisoformat(a[:10]), date.fromisoformat(b[:10])
    except ValueError:
        return None
    return abs((da - db).days)


@contextmanager
def one_blas_thread():
    """Sentence products on one BLAS thread: a multi-threaded BLAS may sum a product's terms in
    another order, and the last bits of a similarity must not depend on the machine's
    threads (the local and the Dask engine, whose workers run BLAS on one thread,
    must agree to the bit). The products are small; the threads gained little."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def fact_alignment(sim: np.ndarray, min_sim: float) -> tuple[float, list[tuple[int, int, float]]]:
    """Fact score of a sentence-similarity matrix, and its mutual best matches above ``min_sim``.

    The score is the mean of the three best matches seen from each side, averaged
    over both sides (so it is symmetric); missing matches count as 0.
    """
    if sim.shape[0] == 0 or sim.shape[1] == 0:
        return 0.0, []
    best_b = sim.argmax(axis=1)
    best_a = sim.argmax(axis=0)
    top_a = np.sort(sim.max(axis=1))[::-1][:3]
    top_b = np.sort(sim.max(axis=0))[::-1][:3]
    score = (float(top_a.sum()) / 3 + float(top_b.sum()) / 3) / 2  # fewer than three matches: the rest count 0
    mutual = [
        (i, int(best_b[i]), float(sim[i, best_b[i]]))
        for i in range(sim.shape[0])
        if best_a[best_b[i]] == i and sim[i, best_b[i]] >= min_sim
    ]
    mutual.sort(key=lambda t: (-t[2], t[0], t[1]))
    return float(score), mutual


@dataclass(frozen=True)
class Measures:
    """What verification measures on a pair; :func:`classify` turns it into a relation."""

    jaccard: float
    containment: float
    cosine: float
    fact_score: float
    smaller: int  # shingle-set sizes
    larger: int
    days_apart: float | None


def shingle_relation(m: Measures, t: Thresholds) -> str | None:
    """``duplicate``/``variant`` from the shingle sets alone, or ``None`` when they cannot tell."""
    if m.jaccard >= t.duplicate_jaccard or (m.containment >= t.duplicate_containment and m.smaller >= 0.5 * m.larger):
        return "duplicate"
    if m.containment >= t.duplicate_containment and m.smaller >= 20:
        return "variant"  # one text inside a much longer one: the same story, extended
    return None


def classify(m: Measures, t: Thresholds) -> str:
    """The relation of a measured pair under thresholds ``t``."""
    relation = shingle_relation(m, t)
    if relation is None:
        related = m.fact_score >= t.variant_facts and m.cosine >= t.variant_cosine
        relation = "variant" if related else "distinct"
    if relation == "variant" and m.days_apart is not None and m.days_apart > t.max_days:
        relation = "distinct"
    return relation


def similarity(relation: str, m: Measures) -> float:
    """One figure in [0, 1] for a pair: containment for duplicates, else a blend of facts and cosine."""
    blended = min(1.0, 0.5 * m.fact_score + 0.5 * m.cosine)
    return max(m.containment, blended) if relation == "duplicate" else blended


def _measures(set_a, set_b, cosine: float, fact: float, published: tuple[str, str]) -> Measures:
    small, large = sorted((len(set_a), len(set_b)))
    days = _days_apart(*published) if all(published) else None
    jac, con = overlap(set_a, set_b)
    return Measures(jac, con, cosine, fact, small, large, days)


class Verifier:
    """Verifies candidate pairs of a fitted :class:`~dedup.features.Corpus`."""

    def __init__(self, corpus, thresholds: Thresholds = Thresholds()) -> None:
        self.corpus = corpus
        self.thresholds = thresholds
        self._sizes = np.array([len(x) for x in corpus.shingles_], dtype=np.int64)
        self._texts: dict[int, list[str]] = {}

    def verify(self, i: int, j: int) -> Verdict:
        return self.verify_many(np.array([[i, j]]))[(i, j)]

    def verify_many(self, pairs: np.ndarray) -> dict[tuple[int, int], Verdict]:
        """Verdicts for ``pairs`` (rows ``i < j``), computed in batches per left article."""
        c, t = self.corpus, self.thresholds
        out: dict[tuple[int, int], Verdict] = {}
        if len(pairs) == 0:
            return out
        cosines = cosine_rows(c.doc_vectors_, pairs)
        # MinHash Jaccard estimates of all pairs at once: a pair whose texts share
        # little and whose vectors disagree is decided here, without exact measures
        est = (c.signatures_[pairs[:, 0]] == c.signatures_[pairs[:, 1]]).mean(axis=1)
        sizes = self._sizes
        small = np.minimum(sizes[pairs[:, 0]], sizes[pairs[:, 1]])
        large = np.maximum(sizes[pairs[:, 0]], sizes[pairs[:, 1]])
        # containment from the estimate, |A∩B| = J(|A|+|B|)/(1+J): trusted where the sizes are close
        con_est = est * (small + large) / ((1 + est) * np.maximum(small, 1))
        quick = (cosines < t.variant_cosine) & (est < min(0.2, t.duplicate_jaccard / 2)) & (
            (small < 20) | ((small >= 0.2 * large) & (con_est < t.duplicate_containment - 0.3)))
        for k in np.flatnonzero(quick).tolist():
            m = Measures(float(est[k]), float(con_est[k]), float(cosines[k]), 0.0, int(small[k]), int(large[k]), None)
            out[(int(pairs[k, 0]), int(pairs[k, 1]))] = Verdict("distinct", similarity("distinct", m), m.jaccard,
                                                                m.containment, m.cosine, 0.0, [], m)
        align: dict[int, list[tuple[int, float]]] = {}
        rest = np.flatnonzero(~quick)
        for (i, j), cos in zip(pairs[rest].tolist(), cosines[rest].tolist()):
            m = _measures(c.shingles_[i], c.shingles_[j], cos, 0.0, self._dates(i, j))
            if shingle_relation(m, t) is None and cos < t.variant_cosine:
                out[(i, j)] = self._verdict(m, [], i, j)  # cannot become a variant: skip alignment
            else:
                align.setdefault(i, []).append((j, cos))
        for i, partners in align.items():
            left = np.arange(c.offsets_[i], c.offsets_[i + 1])
            rows = np.concatenate([np.arange(c.offsets_[j], c.offsets_[j + 1]) for j, _ in partners])
            sims = rows_dot(c.sentence_vectors_, left, rows) if len(rows) and len(left) else None
            col = 0
            for j, cos in partners:
                width = int(c.offsets_[j + 1] - c.offsets_[j])
                sim = sims[:, col : col + width] if sims is not None else np.zeros((len(left), width))
                col += width
                fact, matches = fact_alignment(sim, t.fact_sentence)
                m = _measures(c.shingles_[i], c.shingles_[j], cos, fact, self._dates(i, j))
                out[(i, j)] = self._verdict(m, matches, i, j)
        self._texts.clear()
        return out

    def _sentence_texts(self, i: int) -> list[str]:
        if i not in self._texts:  # a left article meets many partners in a row
            self._texts[i] = self.corpus.sentence_texts(i)
        return self._texts[i]

    def _dates(self, i: int, j: int) -> tuple[str, str]:
        return self.corpus.articles[i].published, self.corpus.articles[j].published

    def _verdict(self, m: Measures, matches: list[tuple[int, int, float]], i: int, j: int) -> Verdict:
        relation = classify(m, self.thresholds)
        shared = []
        if relation != "distinct" and matches:
            ta, tb = self._sentence_texts(i), self._sentence_texts(j)
            shared = [SharedSentence(ta[x], tb[y], s) for x, y, s in matches]
        return Verdict(relation, similarity(relation, m), m.jaccard, m.containment, m.cosine, m.fact_score, shared, m)

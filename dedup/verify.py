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

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

import numpy as np
from . import kernels
from .candidates import day_numbers


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


class SharedSentence(NamedTuple):
    """A sentence of each article that say the same thing (a named tuple: verification
    makes hundreds of thousands, and a frozen dataclass is slow to build)."""

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


_RELATIONS = ("distinct", "variant", "duplicate")


def _csr(matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A CSR matrix as the arrays the kernels read, column indices sorted in each row."""
    if not matrix.has_sorted_indices:
        matrix = matrix.sorted_indices()
    return matrix.indptr, matrix.indices, matrix.data


class Verifier:
    """Verifies candidate pairs of a fitted :class:`~dedup.features.Corpus`."""

    def __init__(self, corpus, thresholds: Thresholds = Thresholds()) -> None:
        self.corpus = corpus
        self.thresholds = thresholds
        self._sizes = np.array([len(x) for x in corpus.shingles_], dtype=np.int64)
        self._set_offsets = np.concatenate([[0], np.cumsum(self._sizes)]).astype(np.int64)
        self._set_ids = (np.concatenate(corpus.shingles_).astype(np.uint32, copy=False) if len(corpus.shingles_)
                         else np.empty(0, dtype=np.uint32))
        self._days = day_numbers(a.published for a in corpus.articles)
        self._docs = _csr(corpus.doc_vectors_)
        self._offsets = np.asarray(corpus.offsets_, dtype=np.int64)
        self._sentences = kernels.by_column(*_csr(corpus.sentence_vectors_), self._offsets)
        self._texts: dict[int, list[str]] = {}

    def verify(self, i: int, j: int) -> Verdict:
        return self.verify_many(np.array([[i, j]]))[(i, j)]

    def verify_many(self, pairs: np.ndarray) -> dict[tuple[int, int], Verdict]:
        """Verdicts for ``pairs`` (rows ``i < j``).

        The measures of all pairs are made in compiled loops and classified in numpy,
        by the same rules as :func:`classify` and :func:`similarity`, stated on arrays.
        """
        t = self.thresholds
        if len(pairs) == 0:
            return {}
        pairs = np.ascontiguousarray(pairs, dtype=np.int64).reshape(-1, 2)
        first, second = pairs[:, 0], pairs[:, 1]
        cos = kernels.row_cosines(*self._docs, pairs).astype(np.float64)
        # MinHash Jaccard estimates of all pairs at once: a pair whose texts share
        # little and whose vectors disagree is decided here, without exact measures
        sigs = self.corpus.signatures_
        est = (sigs[first] == sigs[second]).mean(axis=1)
        small = np.minimum(self._sizes[first], self._sizes[second])
        large = np.maximum(self._sizes[first], self._sizes[second])
        # containment from the estimate, |A∩B| = J(|A|+|B|)/(1+J): trusted where the sizes are close
        con_est = est * (small + large) / ((1 + est) * np.maximum(small, 1))
        quick = (cos < t.variant_cosine) & (est < min(0.2, t.duplicate_jaccard / 2)) & (
            (small < 20) | ((small >= 0.2 * large) & (con_est < t.duplicate_containment - 0.3)))
        rest = np.flatnonzero(~quick)
        inter = kernels.intersections(self._set_offsets, self._set_ids, pairs[rest])
        lo, hi = small[rest], large[rest]
        with np.errstate(invalid="ignore", divide="ignore"):
            jac, con = est.copy(), con_est.copy()
            jac[rest] = np.where(lo == 0, np.where(hi == 0, 1.0, 0.0), inter / (lo + hi - inter))
            con[rest] = np.where(lo == 0, 0.0, inter / lo)
        days = np.abs(self._days[first] - self._days[second])
        days[quick] = np.nan  # decided without them
        dup = (jac >= t.duplicate_jaccard) | ((con >= t.duplicate_containment) & (small >= 0.5 * large))
        contained = ~dup & (con >= t.duplicate_containment) & (small >= 20)
        # aligned: every pair that can be related (the rest cannot become variants)
        align = ~quick & (dup | contained | (cos >= t.variant_cosine))
        aligned = np.flatnonzero(align)
        fact = np.zeros(len(pairs))
        scores, m_pair, m_a, m_b, m_sim = kernels.alignments(*self._sentences, self._offsets, pairs[aligned],
                                                             t.fact_sentence)
        fact[aligned] = scores
        relation = np.where(dup, 2, np.where(contained | ((fact >= t.variant_facts) & (cos >= t.variant_cosine)), 1, 0))
        relation[quick] = 0
        relation[(relation == 1) & (days > t.max_days)] = 0  # NaN (unknown) keeps the variant
        blended = np.minimum(1.0, 0.5 * fact + 0.5 * cos)
        sim = np.where(relation == 2, np.maximum(con, blended), blended)
        # shared sentences of related pairs, best first
        shared: dict[int, list[tuple[int, int, float]]] = {}
        keep = relation[aligned[m_pair]] > 0 if len(m_pair) else np.zeros(0, dtype=bool)
        for k, x, y, v in zip(aligned[m_pair[keep]].tolist(), m_a[keep].tolist(), m_b[keep].tolist(),
                              m_sim[keep].tolist()):
            shared.setdefault(k, []).append((x, y, v))
        out: dict[tuple[int, int], Verdict] = {}
        for k, (i, j, rel, sm, ja, co, cs, fa, s_, l_, d) in enumerate(zip(
                first.tolist(), second.tolist(), relation.tolist(), sim.tolist(), jac.tolist(), con.tolist(),
                cos.tolist(), fact.tolist(), small.tolist(), large.tolist(), days.tolist())):
            m = Measures(ja, co, cs, fa, s_, l_, None if d != d else d)
            matches = shared.get(k)
            out[(i, j)] = Verdict(_RELATIONS[rel], sm, ja, co, cs, fa, self._shared(i, j, matches) if matches else [], m)
        return out

    def _shared(self, i: int, j: int, matches: list[tuple[int, int, float]]) -> list[SharedSentence]:
        matches.sort(key=lambda x: (-x[2], x[0], x[1]))
        ta, tb = self._sentence_texts(i), self._sentence_texts(j)
        return [SharedSentence(ta[x], tb[y], s) for x, y, s in matches]

    def _sentence_texts(self, i: int) -> list[str]:
        # kept for the verifier's life: every verdict quoting a sentence shares one string
        # (a story reposted ten times quoted its sentences in 45 pairs, each a copy)
        if i not in self._texts:
            self._texts[i] = self.corpus.sentence_texts(i)
        return self._texts[i]

"""What a verdict is, and the rule that decides it: the relation of two articles, with the evidence.

* ``duplicate``: the same text reposted — most word 5-grams of the shorter
  article appear in the other (so trimmed copies and copies with other
  boilerplate count), or the 5-gram sets are close.
* ``variant``: the same event written up differently — the articles share
  facts: several sentences of one have a close counterpart in the other
  (TF-IDF cosine of aligned sentences), and their whole-text TF-IDF vectors
  agree. Articles published far apart are never variants.
* ``distinct``: anything else.

The domain of the verify stage: :class:`Thresholds`, :class:`Verdict`, :class:`Measures` and
:func:`decide`. The measures are made for many pairs at once by :mod:`dedup.match.verify`, and
stored by :mod:`dedup.match.verdicts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from .model import load as load_model




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
    #: The same-story probability (:mod:`dedup.match.model`) at or above which a pair is a variant: by
    #: default the shipped model's operating point (chosen on the dev day); ``None``: the older
    #: fact-and-cosine rule decides (``variant_facts`` and ``variant_cosine``), kept for comparison.
    variant_probability: float | None = field(default_factory=lambda: load_model().threshold)

    def __post_init__(self) -> None:
        for name in ("duplicate_containment", "duplicate_jaccard", "variant_facts", "variant_cosine", "fact_sentence",
                     "variant_probability"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0.0, 1.0], got {value}")

    @classmethod
    def calibrated(cls, **kw) -> Thresholds:
        """These thresholds with the same-story model's operating point (the default)."""
        return cls(variant_probability=load_model().threshold, **kw)


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
    probability: float = 0.0  # that the two report the same story (dedup.match.model)


_RELATIONS = ("distinct", "variant", "duplicate")
#: Texts of fewer word 5-grams than this (about 24 words) are duplicates only when one contains
#: the whole of the other.
SHORT_TEXT = 20


def _score(fact, cosine, probability, t: Thresholds):
    """A pair's similarity before the duplicate rule: the mean of fact score and cosine, or the
    same-story probability when the model decides."""
    return np.minimum(1.0, 0.5 * fact + 0.5 * cosine) if t.variant_probability is None else probability


def decide(jaccard, containment, smaller, larger, fact, cosine, probability, days, t: Thresholds
           ) -> tuple[np.ndarray, np.ndarray]:
    """The relation codes (0 distinct, 1 variant, 2 duplicate) and similarities of measured pairs,
    given as arrays: the one rule that verification, ``compare`` and calibration apply.

    A duplicate is decided on the texts (5-gram sets): most of the shorter's 5-grams in the other,
    or close sets; all of them when the shorter has fewer than :data:`SHORT_TEXT`. A variant: one text contained in a much
    longer one, or related by the variant rule, and never between articles more than
    ``t.max_days`` apart (``days`` NaN: unknown). The variant rule is the fact-and-cosine rule
    (``fact >= t.variant_facts`` and ``cosine >= t.variant_cosine``; similarity their mean) unless
    ``t.variant_probability`` is set: then the same-story ``probability`` of :mod:`dedup.match.model` at
    or above it (similarity: the probability). A duplicate's similarity is its containment when higher."""
    jaccard, containment, smaller, larger, fact, cosine, probability, days = (
        np.asarray(x, dtype=np.float64) for x in (jaccard, containment, smaller, larger, fact, cosine, probability, days))
    # a short text (a headline, a brief) is a duplicate only when the whole of it is in the other:
    # one word swapped (Syria for Yemen, a figure changed) leaves most of its few 5-grams shared
    whole = (containment >= 1.0) & (smaller >= 0.5 * larger)
    dup = np.where(smaller < SHORT_TEXT, whole,
                   (jaccard >= t.duplicate_jaccard) | ((containment >= t.duplicate_containment) & (smaller >= 0.5 * larger)))
    contained = ~dup & (containment >= t.duplicate_containment) & (smaller >= 20)
    if t.variant_probability is None:
        related = (fact >= t.variant_facts) & (cosine >= t.variant_cosine)
    else:
        related = probability >= t.variant_probability
    score = _score(fact, cosine, probability, t)
    relation = np.where(dup, 2, np.where(contained | related, 1, 0))
    relation[(relation == 1) & (days > t.max_days)] = 0  # NaN (unknown) keeps the variant
    return relation.astype(np.int8), np.where(relation == 2, np.maximum(containment, score), score)


#: Headlines whose cosine is below this share (next to) no word: a pair sharing only a block one
#: carries of the other (:func:`embedded_blocks`) is then told apart from a rewrite under a new headline.
UNRELATED_HEADLINES = 0.1
#: A carried block begins within the other's first units (headline, lead) ...
BLOCK_OPENING = 2
#: ... and lies past the carrier's own first units ...
OWN_OPENING = 2
#: ... which has at least this many units outside it ...
OWN_UNITS = 3
#: ... and is copied word for word: each of its sentences at least this alike (TF-IDF cosine).
VERBATIM = 0.9


def embedded_blocks(n_pairs: int, m_pair: np.ndarray, m_a: np.ndarray, m_b: np.ndarray, m_sim: np.ndarray,
                    units_a: np.ndarray, units_b: np.ndarray, titled: np.ndarray | None = None) -> np.ndarray:
    """Whether each of ``n_pairs`` aligned pairs shares nothing but a block of one story that the
    other carries, as a "read also" block (with or without its marker line) carries one: the
    other's opening (its first :data:`BLOCK_OPENING` units: headline, lead) and what follows it,
    copied word for word (every aligned sentence at least :data:`VERBATIM` alike) and in one
    piece (consecutive units in both), into the carrier past its own headline and lead (its
    first :data:`OWN_OPENING` units), with at least :data:`OWN_UNITS` units of its own outside
    the block. A block is two aligned sentences or more; one when both have headlines
    (``titled``), since headlines then tell the two stories apart (see :data:`UNRELATED_HEADLINES`).

    ``m_pair``, ``m_a``, ``m_b``, ``m_sim``: the aligned sentences (pair, unit of the first, unit of
    the second, similarity); ``units_a``, ``units_b``: each pair's articles' unit counts."""
    out = np.zeros(n_pairs, dtype=bool)
    if not len(m_pair):
        return out
    count = np.bincount(m_pair, minlength=n_pairs)[:n_pairs]
    least = 2 if titled is None else np.where(titled, 1, 2)
    weakest = np.full(n_pairs, np.inf)
    np.minimum.at(weakest, m_pair, m_sim)
    found = (count >= least) & (weakest >= VERBATIM)

    def extent(units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo = np.full(n_pairs, np.iinfo(np.int64).max)
        hi = np.full(n_pairs, -1)
        np.minimum.at(lo, m_pair, units)
        np.maximum.at(hi, m_pair, units)
        return lo, hi - lo + 1

    (lo_a, span_a), (lo_b, span_b) = extent(m_a), extent(m_b)
    found &= (span_a == count) & (span_b == count)  # one piece in both
    for lo, other_lo, span, n in ((lo_a, lo_b, span_a, units_a), (lo_b, lo_a, span_b, units_b)):
        out |= found & (lo >= OWN_OPENING) & (other_lo < BLOCK_OPENING) & (n - span >= OWN_UNITS)
    return out


def _decide_one(m: Measures, t: Thresholds) -> tuple[np.ndarray, np.ndarray]:
    days = np.nan if m.days_apart is None else m.days_apart
    return decide([m.jaccard], [m.containment], [m.smaller], [m.larger], [m.fact_score], [m.cosine], [m.probability],
                  [days], t)


def classify(m: Measures, t: Thresholds) -> str:
    """The relation of a measured pair under thresholds ``t`` (:func:`decide` on one pair)."""
    return _RELATIONS[int(_decide_one(m, t)[0][0])]


def similarity(relation: str, m: Measures, t: Thresholds = Thresholds()) -> float:
    """The similarity :func:`decide` gives a pair of this ``relation`` under ``t``."""
    score = float(_score(m.fact_score, m.cosine, m.probability, t))
    return max(m.containment, score) if relation == "duplicate" else score

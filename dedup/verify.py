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

import numpy as np
from scipy import sparse

from .shingle import containment, jaccard


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds, chosen on labelled data (see README, "Quality")."""

    duplicate_containment: float = 0.8
    duplicate_jaccard: float = 0.6
    variant_facts: float = 0.2
    variant_cosine: float = 0.18
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


def fact_alignment(
    sent_a: sparse.csr_matrix, sent_b: sparse.csr_matrix, texts_a: list[str], texts_b: list[str], min_sim: float
) -> tuple[float, list[SharedSentence]]:
    """Mean of the three best sentence matches (both directions), and the mutual matches above ``min_sim``."""
    if sent_a.shape[0] == 0 or sent_b.shape[0] == 0:
        return 0.0, []
    sim = (sent_a @ sent_b.T).toarray()
    best_b = sim.argmax(axis=1)
    best_a = sim.argmax(axis=0)
    # symmetric: the three best matches seen from each side, averaged
    top_a = np.sort(sim.max(axis=1))[::-1][:3]
    top_b = np.sort(sim.max(axis=0))[::-1][:3]
    score = (np.pad(top_a, (0, 3 - len(top_a))).mean() + np.pad(top_b, (0, 3 - len(top_b))).mean()) / 2
    mutual = [(i, int(best_b[i]), float(sim[i, best_b[i]])) for i in range(sim.shape[0]) if best_a[best_b[i]] == i]
    mutual.sort(key=lambda t: (-t[2], t[0]))
    shared = [SharedSentence(texts_a[i], texts_b[j], s) for i, j, s in mutual if s >= min_sim]
    return float(score), shared


def decide(
    set_a: np.ndarray,
    set_b: np.ndarray,
    cosine: float,
    facts: tuple[float, list[SharedSentence]],
    thresholds: Thresholds,
    published: tuple[str, str] = ("", ""),
) -> Verdict:
    """The relation of one pair from its measurements."""
    jac = jaccard(set_a, set_b)
    con = containment(set_a, set_b)
    fact_score, shared = facts
    days = _days_apart(*published) if all(published) else None
    ratio = min(len(set_a), len(set_b)) / max(len(set_a), len(set_b), 1)
    if jac >= thresholds.duplicate_jaccard or (con >= thresholds.duplicate_containment and ratio >= 0.5):
        relation = "duplicate"
    elif con >= thresholds.duplicate_containment and min(len(set_a), len(set_b)) >= 20:
        relation = "variant"  # one text inside a much longer one: the same story, extended
    elif (
        fact_score >= thresholds.variant_facts
        and cosine >= thresholds.variant_cosine
        and (days is None or days <= thresholds.max_days)
    ):
        relation = "variant"
    else:
        relation = "distinct"
    similarity = max(con, min(1.0, 0.5 * fact_score + 0.5 * cosine)) if relation == "duplicate" else min(
        1.0, 0.5 * fact_score + 0.5 * cosine
    )
    return Verdict(relation, float(similarity), jac, con, float(cosine), fact_score, shared)

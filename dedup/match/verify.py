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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

import numpy as np
from ..compute import kernels
from .model import EVIDENCE, SameStoryModel, load as load_model
from .candidates import day_numbers, pair_codes_of
from ..compute.spill import IN_MEMORY, Spill


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


def _csr(matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A CSR matrix as the arrays the kernels read, column indices sorted in each row."""
    if not matrix.has_sorted_indices:
        matrix = matrix.sorted_indices()
    return matrix.indptr, matrix.indices, matrix.data


#: Verdicts code a pair ``(i, j)`` as ``i * PAIR_BASE + j``.
PAIR_BASE = 1 << 32


def pair_codes(pairs: np.ndarray) -> np.ndarray:
    """One int64 per pair ``(i, j)``, ordered as the pairs are, whatever the corpus size."""
    return pair_codes_of(np.asarray(pairs, dtype=np.int64).reshape(-1, 2), PAIR_BASE)


#: The evidence that is not among the measures, kept as ``evidence_<name>`` columns when asked
#: (``Verifier(evidence=True)``: for training the model).
EVIDENCE_COLUMNS = tuple(f"evidence_{k}" for k in EVIDENCE if k not in ("jaccard", "containment", "cosine", "fact"))
_COLUMNS = ("similarity", "jaccard", "containment", "cosine", "fact_score", "smaller", "larger", "days", "probability")


class Verdicts(Mapping):
    """The verdicts of many pairs, held as columns: ``(i, j) -> Verdict``, a :class:`Verdict`
    made when one is read.

    Verification keeps a verdict for every candidate pair (most of them distinct), and a
    million articles make millions of pairs; as objects each took about 2.6 KB, as columns
    under 100 bytes. Rows are in ascending ``(i, j)`` order. Shared sentences are stored as
    sentence numbers and turned into text (``texts(i)``: article ``i``'s unit texts) on reading.
    A store may also hold ready-made verdict objects (:meth:`of`), for verdicts made elsewhere.
    """

    def __init__(self, pairs: np.ndarray, relation: np.ndarray, columns: dict[str, np.ndarray] | None = None,
                 shared: tuple[np.ndarray, ...] | None = None, texts: Callable[[int], list[str]] | None = None,
                 objects: list | None = None, shared_in_order: bool = False, spill: Spill = IN_MEMORY) -> None:
        """``shared``: (row, sentence of i, sentence of j, similarity) of each shared sentence;
        ``shared_in_order`` when each row's entries already come best first (taken from stores);
        ``spill``: where stores made from this one by joining or merging put their columns."""
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        codes = pair_codes(pairs)
        # rows given in order (candidates and chunks come sorted) are kept as given, not copied
        order = None if bool(np.all(codes[1:] >= codes[:-1])) else np.argsort(codes, kind="stable")
        put = (lambda x: x) if order is None else (lambda x: x[order])
        self.codes = put(codes)
        self.pairs = put(pairs)
        self.relation = put(np.asarray(relation, dtype=np.int8))
        self.columns = {k: put(np.asarray(v)) for k, v in (columns or {}).items()}
        self.objects = ([objects[k] for k in order.tolist()] if order is not None else list(objects)
                        ) if objects is not None else None
        self.texts = texts
        self.spill = spill
        if shared is None:
            shared = (np.empty(0, dtype=np.int64),) + tuple(np.empty(0, dtype=t) for t in (np.int32, np.int32, np.float64))
        row, a, b, sim = shared
        if order is not None:
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            row = rank[row]
        if shared_in_order:  # only the rows moved: a stable sort keeps each row's order
            by = np.argsort(row, kind="stable")
        else:
            by = np.lexsort((b, a, -sim, row))  # each pair's shared sentences, best first
        self.shared = (row[by], a[by], b[by], sim[by])
        self._shared_at = np.searchsorted(self.shared[0], np.arange(len(codes) + 1))

    @classmethod
    def of(cls, verdicts: Mapping) -> Verdicts:
        """A store over verdicts given as a mapping ``(i, j) -> Verdict`` (returned as they are)."""
        if isinstance(verdicts, Verdicts):
            return verdicts
        keys = list(verdicts)
        values = [verdicts[k] for k in keys]
        return cls(np.array(keys, dtype=np.int64).reshape(-1, 2),
                   np.array([_RELATIONS.index(v.relation) for v in values], dtype=np.int8),
                   {"similarity": np.array([v.similarity for v in values], dtype=np.float64)}, objects=values)

    @staticmethod
    def concat(parts: Sequence[Verdicts]) -> Verdicts:
        """One store of all ``parts``; a pair in several keeps the first part's verdict."""
        parts = [p for p in parts if len(p)] or list(parts[:1])
        if len(parts) == 1:
            return parts[0]
        codes = np.concatenate([p.codes for p in parts])
        if all(p.objects is None for p in parts) and bool(np.all(codes[1:] > codes[:-1])):
            # parts in order, none sharing a pair (verification's chunks): joined, no row to drop
            return Verdicts._joined(parts)
        _, first = np.unique(codes, return_index=True)
        keep = np.zeros(len(codes), dtype=bool)
        keep[first] = True
        if any(p.objects is not None for p in parts):
            values = [v for p in parts for v in p.values()]
            return Verdicts.of({k: v for k, v, kept in zip((k for p in parts for k in p), values, keep) if kept})
        names, shared = Verdicts._end_to_end(parts)
        return Verdicts._select(np.concatenate([p.pairs for p in parts]), np.concatenate([p.relation for p in parts]),
                                {k: np.concatenate([p.columns[k] for p in parts]) for k in names},
                                shared, parts[0].texts, keep)

    def merged(self, other: Verdicts) -> Verdicts:
        """This store with the rows of ``other`` whose pairs it lacks, put in their places
        (:meth:`concat` of the two, this one first): each column is copied once, with the new
        rows inserted, instead of joined, deduplicated and selected (three copies of a store of
        24M verdicts at the end of grouping a million articles)."""
        if self.objects is not None or other.objects is not None or not len(self) or not len(other):
            return Verdicts.concat([self, other])
        new = np.flatnonzero(self.rows(other.pairs) < 0)
        at = np.searchsorted(self.codes, other.codes[new])  # where each new row goes (codes distinct)
        names = [k for k in self.columns if k in other.columns]
        columns = {k: self.spill.insert(self.columns[k], at, other.columns[k][new]) for k in names}
        mine_row, other_row = self.shared[0], other.shared[0]
        alive = np.zeros(len(other), dtype=bool)
        alive[new] = True
        renumber = np.full(len(other), -1, dtype=np.int64)
        renumber[new] = at + np.arange(len(new))  # the new rows' places among all rows
        keep = alive[other_row]
        shared = (np.concatenate([mine_row + np.searchsorted(at, mine_row, side="right"), renumber[other_row[keep]]]),
                  *(np.concatenate([m, o[keep]]) for m, o in zip(self.shared[1:], other.shared[1:])))
        by = np.argsort(shared[0], kind="stable")  # each row's entries keep their order (best first)
        return Verdicts(self.spill.insert(self.pairs, at, other.pairs[new]),
                        self.spill.insert(self.relation, at, other.relation[new]), columns,
                        tuple(x[by] for x in shared), self.texts, shared_in_order=True, spill=self.spill)

    @staticmethod
    def _end_to_end(parts: Sequence[Verdicts]) -> tuple[list[str], tuple[np.ndarray, ...]]:
        """The columns every part has, and the parts' shared sentences end to end, their rows
        numbered as the parts' rows are when the parts are put end to end."""
        starts = kernels.starts_of([len(p) for p in parts]).tolist()
        names = [k for k in parts[0].columns if all(k in p.columns for p in parts)]
        return names, tuple(np.concatenate(c) for c in zip(*[(p.shared[0] + start,) + p.shared[1:]
                                                             for start, p in zip(starts, parts)]))

    @staticmethod
    def _joined(parts: Sequence[Verdicts]) -> Verdicts:
        """The rows of ``parts`` end to end (their pairs in order across them), each column
        joined as soon as it is made, so a large store is held about twice, not three times
        (where the first part's ``spill`` makes arrays)."""
        spill = parts[0].spill
        names, shared = Verdicts._end_to_end(parts)
        return Verdicts(spill.concatenate([p.pairs for p in parts]), spill.concatenate([p.relation for p in parts]),
                        {k: spill.concatenate([p.columns[k] for p in parts]) for k in names}, shared, parts[0].texts,
                        shared_in_order=True, spill=spill)

    @staticmethod
    def _select(pairs, relation, columns, shared, texts, keep: np.ndarray) -> Verdicts:
        """A store of the rows where ``keep`` holds, their shared sentences renumbered."""
        row, a, b, sim = shared
        alive = keep[row]
        remap = np.cumsum(keep) - 1
        return Verdicts(pairs[keep], relation[keep], {k: v[keep] for k, v in columns.items()},
                        (remap[row[alive]], a[alive], b[alive], sim[alive]), texts, shared_in_order=True)

    def take(self, rows: np.ndarray) -> Verdicts:
        """A store of ``rows`` of this one."""
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        if self.objects is not None:
            return Verdicts.of({tuple(self.pairs[r].tolist()): self.objects[r] for r in rows.tolist()})
        keep = np.zeros(len(self), dtype=bool)
        keep[rows] = True
        return Verdicts._select(self.pairs, self.relation, self.columns, self.shared, self.texts, keep)

    def __len__(self) -> int:
        return len(self.codes)

    def __iter__(self):
        return iter(map(tuple, self.pairs.tolist()))

    def rows(self, pairs: np.ndarray) -> np.ndarray:
        """The row of each pair, -1 where it has no verdict here."""
        codes = pair_codes(pairs)
        at = np.searchsorted(self.codes, codes)
        found = at < len(self.codes)
        found[found] = self.codes[at[found]] == codes[found]
        return np.where(found, at, -1)

    def __contains__(self, key) -> bool:
        return bool(self.rows(np.array([key]))[0] >= 0)

    def __getitem__(self, key) -> Verdict:
        row = int(self.rows(np.array([key]))[0])
        if row < 0:
            raise KeyError(key)
        return self.at(row)

    def at(self, row: int) -> Verdict:
        """The verdict in row ``row``, made now."""
        if self.objects is not None:
            return self.objects[row]
        c = self.columns
        i, j = self.pairs[row].tolist()
        sm, ja, co, cs, fa, s_, l_, d, pr = (c[k][row].item() if k in c else 0.0 for k in _COLUMNS)
        m = Measures(ja, co, cs, fa, s_, l_, None if d != d else d, pr)
        lo, hi = self._shared_at[row], self._shared_at[row + 1]
        shared = []
        if hi > lo and self.texts is not None:
            ta, tb = self.texts(i), self.texts(j)
            _, a, b, sim = (x[lo:hi].tolist() for x in self.shared)
            shared = [SharedSentence(ta[x], tb[y], v) for x, y, v in zip(a, b, sim)]
        return Verdict(_RELATIONS[self.relation[row]], sm, ja, co, cs, fa, shared, m)


#: Pairs verified at once (each costs about 150 bytes of working arrays while verified).
CHUNK = 1 << 20

#: With the corpus's arrays in files (``--spill-dir``), pairs are verified block by block of their
#: second article, each block this many bytes of vectors and shingle sets: a block is read into
#: memory once while its pairs are verified, their first articles read in order (ascending).
BLOCK_BYTES = 1 << 30

#: Fewer pairs than this are verified in the order given, each article's pages read alone.
MIN_BLOCKED = 1 << 14


class Verifier:
    """Verifies candidate pairs of a fitted :class:`~dedup.match.features.Corpus`."""

    def __init__(self, corpus, thresholds: Thresholds = Thresholds(), threads: int = 1, quote: bool = True,
                 spill: Spill = IN_MEMORY, model: SameStoryModel | None = None, evidence: bool = False) -> None:
        """``quote``: verdicts quote their shared sentences (from the articles' text); ``spill``:
        where the verdicts of many pairs are stored (:mod:`dedup.compute.spill`); ``model``: the same-story
        model (default: the shipped one); ``evidence``: the verdicts keep each pair's evidence as
        :data:`EVIDENCE_COLUMNS` (eight more columns: at a million articles, 1.5 GB of them)."""
        self.corpus = corpus
        self.spill = spill
        self.quote = quote
        self.thresholds = thresholds
        self.model = model or load_model()
        self.evidence = evidence
        self.threads = threads  # for the compiled loops over many pairs; the verdicts do not depend on it
        self._set_offsets, self._set_ids = corpus.set_offsets_, corpus.set_ids_
        self._sizes = np.diff(self._set_offsets)
        self._days = day_numbers(a.published for a in corpus.articles)
        self._docs = _csr(corpus.doc_vectors_)
        self._kinds = corpus.kinds_
        self._offsets = np.asarray(corpus.offsets_, dtype=np.int64)
        self._units = np.diff(self._offsets)  # each article's alignable units
        # whether an article's first unit is its headline (a title given apart from the text)
        self._titled = np.fromiter((len(an.spans) > 0 and an.spans[0, 0] < 0 for an in corpus.analyses_), dtype=bool,
                                   count=len(corpus.analyses_))
        self._sentences = corpus.sentence_columns()
        self._held = (self._set_ids, *self._docs, *self._sentences)
        self._bytes_per_article = sum(a.nbytes for a in self._held) / max(1, len(corpus.articles))

    def verify(self, i: int, j: int) -> Verdict:
        return self.verify_many(np.array([[i, j]]))[(i, j)]

    def verify_many(self, pairs: np.ndarray) -> Verdicts:
        """Verdicts for ``pairs`` (rows ``i < j``).

        The measures of all pairs are made in compiled loops and classified in numpy,
        by the same rules as :func:`classify` and :func:`similarity`, stated on arrays;
        :data:`CHUNK` pairs at a time, which bounds the arrays made on the way.
        """
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        size = self._block_size()
        spilled = size < len(self.corpus.articles)
        if spilled:  # many pairs: a block of articles read at once; a few: each article's pages alone
            Spill.expect(self._held, random=len(pairs) < MIN_BLOCKED)
        if spilled and len(pairs) >= MIN_BLOCKED:
            return self._by_block(pairs, size)
        if len(pairs) <= CHUNK:
            return self._verify(pairs)
        return Verdicts.concat([self._verify(pairs[k : k + CHUNK]) for k in range(0, len(pairs), CHUNK)])

    def _block_size(self) -> int:
        """Articles per block of :data:`BLOCK_BYTES` when the corpus's arrays are in files, else all."""
        if self.spill.folder is None:
            return len(self.corpus.articles)
        return max(1, int(BLOCK_BYTES // max(1.0, self._bytes_per_article)))

    def _evidence(self, pairs, aligned, jac, con, cos, fact, small, large, matches) -> dict[str, np.ndarray]:
        """The evidence of each pair (:data:`dedup.match.model.EVIDENCE`); what only the sentence
        alignment measures is made for the ``aligned`` pairs (0 elsewhere, 1 for ``start_max``)."""
        n = len(pairs)
        m_pair, m_a, m_b = matches
        units = self._units
        head = np.zeros((n, 3))
        head[aligned] = kernels.heads(*self._sentences, self._offsets, pairs[aligned], self.threads)
        shared = np.bincount(m_pair, minlength=len(aligned))[: len(aligned)].astype(np.float64)
        first_a = np.full(len(aligned), np.inf)
        first_b = np.full(len(aligned), np.inf)
        np.minimum.at(first_a, m_pair, m_a)
        np.minimum.at(first_b, m_pair, m_b)
        lead = np.zeros(len(aligned))
        np.maximum.at(lead, m_pair, ((m_a < kernels.HEAD_UNITS) & (m_b < kernels.HEAD_UNITS)).astype(np.float64))
        n_a = np.maximum(units[pairs[aligned, 0]], 1)
        n_b = np.maximum(units[pairs[aligned, 1]], 1)
        cover = np.zeros((n, 2))
        cover[aligned, 0], cover[aligned, 1] = shared / n_a, shared / n_b
        start = np.ones(n)
        start[aligned] = np.minimum(np.maximum(first_a / n_a, first_b / n_b), 1.0)
        lead_shared = np.zeros(n)
        lead_shared[aligned] = lead
        with np.errstate(divide="ignore"):
            ratio = np.log((1.0 + small) / (1.0 + large))
        marks = kernels.marked(self._docs[0], self._docs[1], pairs, *self._kinds, self.threads).astype(np.float64)
        rare_fewer = np.minimum(marks[:, 0], marks[:, 1])
        numbers_fewer = np.minimum(marks[:, 3], marks[:, 4])
        with np.errstate(invalid="ignore", divide="ignore"):
            rare_shared = np.where(rare_fewer > 0, marks[:, 2] / rare_fewer, 0.0)
            numbers_shared = np.where(numbers_fewer > 0, marks[:, 5] / numbers_fewer, 0.0)
        return {"rare_shared": rare_shared, "rare_count": np.log1p(marks[:, 2]), "numbers_shared": numbers_shared,
                "numbers_apart": ((numbers_fewer > 0) & (marks[:, 5] == 0)).astype(np.float64),
                "jaccard": jac, "containment": con, "cosine": cos, "fact": fact, "head": head[:, 0],
                "head_lead": head[:, 1], "lead": head[:, 2], "cover_min": cover.min(axis=1), "cover_max": cover.max(axis=1),
                "start_max": start, "lead_shared": lead_shared, "size_ratio": ratio}

    def _by_block(self, pairs: np.ndarray, size: int) -> Verdicts:
        """:meth:`verify_many` for a corpus in files: the pairs (made distinct and put in order)
        verified by block of ``size`` second articles, so that the pages of one block are read
        from the files once, instead of each pair's second article read wherever it lies (at a
        million articles whose stories' copies lie across the whole corpus, verifying in pair
        order read 760 GB in 11 minutes with a 2.3 GB page cache). The measures are written in
        the order verified, then each column put in pair order: the same store as pair order."""
        codes = pair_codes(pairs)
        if not bool(np.all(codes[1:] > codes[:-1])):
            _, first = np.unique(codes, return_index=True)
            pairs = pairs[first]
        n = len(pairs)
        order = np.argsort(pairs[:, 1] // size, kind="stable")  # by block, then as given
        columns: dict[str, np.ndarray] = {}
        relation = self.spill.empty(n, np.int8)
        shared: list[tuple] = []
        for start in range(0, n, CHUNK):
            rows = order[start : start + CHUNK]
            rel, cols, found = self._measures(pairs[rows])
            for name, values in cols.items():
                if name not in columns:
                    columns[name] = self.spill.empty(n, values.dtype)
                columns[name][rows] = values  # in place: each column a few hundred MB at most
            relation[rows] = rel
            if found is not None:
                shared.append((rows[found[0]],) + tuple(found[1:]))
        del order
        joined = tuple(np.concatenate(c) for c in zip(*shared)) if shared else None
        return Verdicts(self.spill.keep(pairs), relation, columns, joined,
                        self.corpus.sentence_texts if self.quote else None, spill=self.spill)

    def _verify(self, pairs: np.ndarray) -> Verdicts:
        relation, columns, shared = self._measures(pairs)
        return Verdicts(pairs, relation, columns, shared, self.corpus.sentence_texts if self.quote else None,
                        spill=self.spill)

    def _measures(self, pairs: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray], tuple | None]:
        """The relation, the measures and (when quoting) the shared sentences ``(row, sentence of
        i, sentence of j, similarity)`` of ``pairs``, rows as given."""
        t = self.thresholds
        if len(pairs) == 0:
            empty = (np.empty(0, dtype=np.int64),) + tuple(np.empty(0, dtype=x) for x in (np.int32, np.int32, np.float64))
            names = _COLUMNS + (EVIDENCE_COLUMNS if self.evidence else ())
            return np.empty(0, dtype=np.int8), {k: np.empty(0) for k in names}, empty if self.quote else None
        pairs = np.ascontiguousarray(pairs, dtype=np.int64).reshape(-1, 2)
        first, second = pairs[:, 0], pairs[:, 1]
        cos = kernels.row_cosines(*self._docs, pairs, self.threads).astype(np.float64)
        # MinHash Jaccard estimates of all pairs at once: a pair whose texts share
        # little and whose vectors disagree is decided here, without exact measures
        est = kernels.agreements(self.corpus.signatures_, pairs, self.threads)
        small = np.minimum(self._sizes[first], self._sizes[second])
        large = np.maximum(self._sizes[first], self._sizes[second])
        # containment from the estimate, |A∩B| = J(|A|+|B|)/(1+J): trusted where the sizes are close
        con_est = est * (small + large) / ((1 + est) * np.maximum(small, 1))
        quick = (cos < t.variant_cosine) & (est < min(0.2, t.duplicate_jaccard / 2)) & (
            (small < 20) | ((small >= 0.2 * large) & (con_est < t.duplicate_containment - 0.3)))
        rest = np.flatnonzero(~quick)
        inter = kernels.intersections(self._set_offsets, self._set_ids, pairs[rest], self.threads)
        lo, hi = small[rest], large[rest]
        with np.errstate(invalid="ignore", divide="ignore"):
            jac, con = est.copy(), con_est.copy()
            jac[rest] = np.where(lo == 0, np.where(hi == 0, 1.0, 0.0), inter / (lo + hi - inter))
            con[rest] = np.where(lo == 0, 0.0, inter / lo)
        days = np.abs(self._days[first] - self._days[second])
        days[quick] = np.nan  # decided without them
        # aligned: every pair that is not decided distinct by the quick look
        align = ~quick
        aligned = np.flatnonzero(align)
        fact = np.zeros(len(pairs))
        scores, m_pair, m_a, m_b, m_sim = kernels.alignments(*self._sentences, self._offsets, pairs[aligned],
                                                             t.fact_sentence, self.threads)
        fact[aligned] = scores
        evidence = self._evidence(pairs, aligned, jac, con, cos, fact, small, large, (m_pair, m_a, m_b))
        probability = np.zeros(len(pairs))
        probability[aligned] = self.model.probability({k: v[aligned] for k, v in evidence.items()})
        units = self._units
        carried = np.zeros(len(pairs), dtype=bool)
        carried[aligned] = embedded_blocks(len(aligned), m_pair, m_a, m_b, m_sim, units[first[aligned]],
                                           units[second[aligned]], titled=self._titled[first[aligned]] & self._titled[second[aligned]])
        carried &= evidence["head"] < UNRELATED_HEADLINES
        probability[carried] = 0.0  # the same story only in the block one carries of the other
        relation, sim = decide(jac, con, small, large, fact, cos, probability, days, t)
        relation[quick | carried] = 0
        sim[carried] = 0.0
        columns = dict(zip(_COLUMNS, (sim, jac, con, cos, fact, small, large, days, probability)))
        if self.evidence:
            columns.update({c: evidence[c[len("evidence_"):]] for c in EVIDENCE_COLUMNS})
        if not self.quote:  # nothing would read them: on 300k articles they were 26M rows
            return relation, columns, None
        # shared sentences of related pairs only
        keep = relation[aligned[m_pair]] > 0 if len(m_pair) else np.zeros(0, dtype=bool)
        return relation, columns, (aligned[m_pair[keep]], m_a[keep].astype(np.int32),
                                       m_b[keep].astype(np.int32), m_sim[keep])

"""Verification: the measures of many candidate pairs at once, and their verdicts.

:class:`Verifier` reads a fitted :class:`~dedup.match.features.Corpus` (shingle sets, TF-IDF
rows and sentence vectors), measures every pair given in chunks of :data:`CHUNK` (block by block
when the corpus's arrays are in files) and decides each with :func:`~dedup.match.verdict.decide`;
the result is a :class:`~dedup.match.verdicts.Verdicts`. What a verdict means is in
:mod:`dedup.match.verdict`; this module is how many are made fast.
"""

from __future__ import annotations


import numpy as np
from ..compute import kernels
from .model import SameStoryModel, load as load_model
from .candidates import day_numbers
from ..compute.spill import IN_MEMORY, Spill

from .verdict import UNRELATED_HEADLINES, Thresholds, Verdict, decide, embedded_blocks
from .verdicts import EVIDENCE_COLUMNS, _COLUMNS, Verdicts, pair_codes


def _csr(matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A CSR matrix as the arrays the kernels read, column indices sorted in each row."""
    if not matrix.has_sorted_indices:
        matrix = matrix.sorted_indices()
    return matrix.indptr, matrix.indices, matrix.data


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

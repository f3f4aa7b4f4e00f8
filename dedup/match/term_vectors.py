"""Corpus-scale TF-IDF over integer term ids, in numpy.

The same weighting as scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` with
unigrams and bigrams (smooth IDF ``ln((1 + n) / (1 + df)) + 1``, ``1 + ln(tf)``,
rows L2-normalized), but fed integer ids instead of strings: each distinct word
is stemmed once (:mod:`dedup.text.lexicon`), and bigrams are mixed id pairs. On
SaudiNewsNet this is several times faster than the string vectorizer and holds
a few bytes per token instead of a Python string.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import sparse

from ..compute import kernels
from ..compute.spill import IN_MEMORY, Spill


@dataclass(frozen=True)
class Units:
    """Term-id sequences (sentences) stored flat: ``ids`` of all units end to end, and each unit's length."""

    ids: np.ndarray
    lengths: np.ndarray

    @staticmethod
    def of(units: Sequence[np.ndarray]) -> Units:
        lengths = np.fromiter(map(len, units), dtype=np.int64, count=len(units))
        ids = np.concatenate(units).astype(np.int64, copy=False) if len(units) else np.empty(0, dtype=np.int64)
        return Units(ids, lengths)

    @staticmethod
    def concat(parts: Sequence[Units]) -> Units:
        if not parts:
            return Units(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
        return Units(np.concatenate([p.ids for p in parts]), np.concatenate([p.lengths for p in parts]))

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, k: int) -> np.ndarray:
        start = int(self.lengths[:k].sum())
        return self.ids[start : start + int(self.lengths[k])]


#: Units of an analysis whose terms were already counted or vectorized.
NO_UNITS = Units(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))


def _units(units: Units | Sequence[np.ndarray]) -> Units:
    return units if isinstance(units, Units) else Units.of(units)


def _features(units: Units | Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Row index and 64-bit feature key of every unigram and bigram occurrence, in one numpy pass."""
    units = _units(units)
    if len(units.ids) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    ids = units.ids  # unigram keys are the ids themselves (>= 0)
    rows = np.repeat(np.arange(len(units), dtype=np.int64), units.lengths)
    inside = rows[:-1] == rows[1:]  # a bigram never spans two units
    mixed = (ids[:-1][inside].astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ ids[1:][inside].astype(np.uint64)
    bigrams = -1 - (mixed >> np.uint64(2)).astype(np.int64)  # bigram keys are negative
    return np.concatenate([rows, rows[:-1][inside]]), np.concatenate([ids, bigrams])


def _counts(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sparse.csr_matrix:
    """Occurrences per (row, column), as a CSR matrix with sorted column indices."""
    counts = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=shape)
    counts.sum_duplicates()
    return counts


class SentenceColumns(NamedTuple):
    """Sentence vectors of documents in the form the alignment kernel merges: each
    document's entries as one run sorted by column, then sentence. ``starts[d]`` is the
    first entry of document ``d``; ``rows`` are sentence numbers within the document."""

    starts: np.ndarray
    cols: np.ndarray
    rows: np.ndarray
    vals: np.ndarray

    @staticmethod
    def of(matrix: sparse.csr_matrix, offsets: np.ndarray, threads: int = 1) -> SentenceColumns:
        """The columns of sentence vectors given as rows (``offsets``: each document's first row)."""
        if not matrix.has_sorted_indices:
            matrix = matrix.sorted_indices()
        return SentenceColumns(*kernels.by_column(matrix.indptr, matrix.indices, matrix.data,
                                                  np.asarray(offsets, dtype=np.int64), threads))


@dataclass(frozen=True)
class TermCounts:
    """Term counts of some units: their distinct feature keys (sorted) and a units × keys count matrix.

    Counted on slices of a corpus in parallel, then put together by
    :meth:`TermVectors.fit_transform_counts`.
    """

    keys: np.ndarray
    counts: sparse.csr_matrix

    @staticmethod
    def of(units: Units | Sequence[np.ndarray]) -> TermCounts:
        units = _units(units)
        rows, keys = _features(units)
        uniq, cols = np.unique(keys, return_inverse=True)
        return TermCounts(uniq, _counts(rows, cols.ravel(), (len(units), len(uniq))))

    def kept_in(self, spill: Spill) -> TermCounts:
        """These counts with their entries made where ``spill`` makes arrays."""
        c = self.counts
        if spill.folder is None:
            return self
        return TermCounts(spill.keep(self.keys), sparse.csr_matrix((spill.keep(c.data), spill.keep(c.indices), c.indptr),
                                                                   shape=c.shape, copy=False))

    def frequencies(self) -> tuple[np.ndarray, np.ndarray]:
        """The keys and, for each, the number of units containing it."""
        return self.keys, np.bincount(self.counts.indices, minlength=len(self.keys)).astype(np.int64)


def document_frequencies(units: Units | Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted feature keys and, for each, the number of units containing it."""
    return TermCounts.of(units).frequencies()


def sorted_union(parts: Sequence[np.ndarray], spill: Spill = IN_MEMORY) -> np.ndarray:
    """The distinct values of sorted arrays of distinct keys, sorted. The parts end to end are
    sorted runs, sorted in their place (where ``spill`` makes arrays: at a million articles
    the slices' keys end to end are 2.7 GB)."""
    if not len(parts):
        return np.empty(0, dtype=np.int64)
    keys = spill.concatenate(parts)
    keys.sort()  # numpy's default sort: 0.16 s for 6.6M keys here, its run-merging stable sort 0.24 s
    if len(keys):
        keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
    return keys


def column_index_type(n_columns: int):
    """The integer type of column numbers among ``n_columns`` columns."""
    return np.int32 if n_columns < 2**31 else np.int64


def merge_frequencies(parts: Sequence[tuple[np.ndarray, np.ndarray] | TermCounts], positions: list | None = None,
                      spill: Spill = IN_MEMORY, threads: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Sum the frequencies counted on separate partitions: ``(keys, df)`` pairs (each part's
    keys sorted and distinct), or :class:`TermCounts`, whose frequencies are then counted one
    part at a time as they are added. Each part's frequencies are added where its keys fall
    among all the keys, found for ``threads`` parts at once (numpy's binary searches release
    the GIL; the result does not depend on it). ``positions``, when given, receives each part's
    key positions among the merged keys (as :func:`column_index_type`, made where ``spill``
    makes arrays)."""
    keys = sorted_union([p.keys if isinstance(p, TermCounts) else p[0] for p in parts], spill)
    index = column_index_type(len(keys))
    df = np.zeros(len(keys), dtype=np.int64)

    def locate(p) -> tuple[np.ndarray, np.ndarray]:
        k, d = p.frequencies() if isinstance(p, TermCounts) else p
        return np.searchsorted(keys, k).astype(index, copy=False), d

    def add(found) -> None:
        for at, d in found:
            df[at] += d  # distinct keys within a part: no position twice
            if positions is not None:
                positions.append(spill.keep(at))

    if threads <= 1 or len(parts) <= 1:  # no pool: starting its thread cost a pair's comparison 2 ms
        for p in parts:
            add([locate(p)])
        return keys, df
    with ThreadPoolExecutor(threads) as pool:
        for first in range(0, len(parts), threads):  # a few parts' positions in memory at a time
            add(pool.map(locate, parts[first : first + threads]))
    return keys, df


class TermVectors:
    """TF-IDF of units of term ids; :meth:`fit_transform` learns the feature columns and IDF from units (sentences).

    ``threads``: how many threads sum the document vectors (the result does not depend on it);
    ``spill``: where the vectors of a whole corpus are made (:mod:`dedup.compute.spill`)."""

    def __init__(self, threads: int = 1, spill: Spill = IN_MEMORY) -> None:
        self.threads = threads
        self.spill = spill

    def _weigh(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        m = counts.astype(np.float32, copy=False)  # the counts are not used again: weighed in their place
        d = m.data
        np.log(d, out=d)
        d += 1
        kernels.weigh_rows(m.indptr, m.indices, d, self.idf_, self.threads)  # (1 + ln tf) * idf, unit rows
        if not m.has_sorted_indices:
            m.sort_indices()  # rows in column order: the verification kernels merge rows
        return m

    def fit(self, units: Units | Sequence[np.ndarray]) -> TermVectors:
        """Learn the feature columns and IDF from ``units`` (sentences)."""
        keys, df = document_frequencies(units)
        return self.from_frequencies(keys, df, len(units))

    def from_frequencies(self, keys: np.ndarray, df: np.ndarray, n_units: int) -> TermVectors:
        """Set the columns and IDF from frequencies counted elsewhere (summed over partitions)."""
        self.keys_ = keys
        self.idf_ = (np.log((1 + n_units) / (1 + df)) + 1).astype(np.float32)
        self.unigram_ = self.keys_ >= 0
        return self

    def transform(self, units: Units | Sequence[np.ndarray], offsets: np.ndarray) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """Vectors of ``units`` and of the documents made of ``units[offsets[d]:offsets[d + 1]]``.

        Each row depends on its own terms only, so a partition of a corpus gets the
        rows the whole corpus would (the Dask engine relies on this)."""
        rows, keys = _features(units)
        return self._vectors(_counts(rows, np.searchsorted(self.keys_, keys), (len(units), len(self.keys_))), offsets)

    def fit_transform(self, units: Units | Sequence[np.ndarray], offsets: np.ndarray) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """:meth:`fit` then :meth:`transform`, with the features extracted once."""
        return self.fit_transform_counts([TermCounts.of(units)], offsets)

    def fit_transform_counts(self, parts: list[TermCounts], offsets: np.ndarray, by_column: bool = False
                             ) -> tuple[sparse.csr_matrix | SentenceColumns, sparse.csr_matrix]:
        """:meth:`fit_transform` of the units counted in ``parts`` (consecutive slices of whole
        documents, in order). The list is consumed: each part is released once it is placed,
        so the counts are never held twice. With ``by_column`` the sentence vectors come as
        :class:`SentenceColumns` (what verification reads), each part weighed and sorted in
        its place, without the rows ever held whole."""
        positions: list[np.ndarray] = []
        keys, df = merge_frequencies(parts, positions, self.spill, self.threads)
        index = column_index_type(len(keys))
        n_units = sum(p.counts.shape[0] for p in parts)
        self.from_frequencies(keys, df, n_units)
        offsets = np.asarray(offsets, dtype=np.int64)
        total = sum(p.counts.nnz for p in parts)
        ends = np.cumsum([p.counts.shape[0] for p in parts])
        by_part = bool(np.isin(ends, offsets).all())  # each part holds whole documents: summed part by part
        columns = by_column and by_part
        indptr = np.zeros(n_units + 1, dtype=np.int64)
        indices = self.spill.empty(total, index)
        data = self.spill.empty(total, np.float32)
        rows_of = self.spill.empty(total, kernels.sentence_number_type(offsets)) if columns else None
        sizes = [(p.counts.shape[0], p.counts.nnz) for p in parts]
        units_at = kernels.starts_of([r for r, _ in sizes])
        entries_at = kernels.starts_of([z for _, z in sizes])
        docs_at = np.searchsorted(offsets, units_at).tolist()
        docs_at[-1] = len(offsets) - 1
        inner = self.threads if len(parts) < self.threads else 1  # threads within a part, or parts in threads

        def place(k: int):
            """Part ``k`` put in its place: local columns → corpus columns (both sorted, so rows
            stay in column order); its documents summed while it is at hand."""
            p, parts[k] = parts[k], None
            c = p.counts
            unit, entry, rows, nnz = int(units_at[k]), int(entries_at[k]), c.shape[0], c.nnz
            cols, positions[k] = positions[k][c.indices], None
            mine = offsets[docs_at[k] : docs_at[k + 1] + 1] - unit
            values = c.data.astype(np.float32, copy=False)
            doc = kernels.row_sums(c.indptr, cols, values, mine, inner) if by_part else None
            if doc is not None:  # the parts' sums are as large as the article vectors: made where those are
                doc = tuple(self.spill.keep(x) for x in doc)
            if columns:  # weighed (rows stand alone) and sorted by column, in the part's place
                w = sparse.csr_matrix((values, cols, c.indptr), shape=(rows, len(keys)))
                w.has_sorted_indices = True
                w = self._weigh(w)
                start, _, _, _ = kernels.by_column(w.indptr, w.indices, w.data, mine, inner,
                                                   out=(indices[entry : entry + nnz], rows_of[entry : entry + nnz],
                                                        data[entry : entry + nnz]))
                return doc, start
            indices[entry : entry + nnz] = cols
            data[entry : entry + nnz] = c.data
            indptr[unit + 1 : unit + rows + 1] = c.indptr[1:] + entry
            return doc, None

        if inner == 1 and self.threads > 1:
            with ThreadPoolExecutor(self.threads) as pool:
                placed = list(pool.map(place, range(len(parts))))
        else:
            placed = [place(k) for k in range(len(parts))]
        docs, starts = [d for d, _ in placed], [s for _, s in placed]
        del placed
        doc_counts = None
        if by_part:
            doc_ptr, doc_cols, doc_values = self._stacked(docs)
            doc_counts = sparse.csr_matrix((doc_values, doc_cols, doc_ptr), shape=(len(offsets) - 1, len(keys)))
        if columns:
            del docs
            doc_counts.has_sorted_indices = True
            return SentenceColumns(kernels.join_starts(starts), indices, rows_of, data), self._weigh(doc_counts)
        counts = sparse.csr_matrix((data, indices, indptr), shape=(n_units, len(keys)))
        counts.has_sorted_indices = True
        if not by_part:
            d = kernels.row_sums(indptr, indices, data, offsets, self.threads)
            doc_counts = sparse.csr_matrix((d[2], d[1], d[0]), shape=(len(offsets) - 1, len(keys)))
        doc_counts.has_sorted_indices = True
        del docs
        vectors = self._weigh(counts)
        return (SentenceColumns.of(vectors, offsets, self.threads) if by_column else vectors), self._weigh(doc_counts)

    def _stacked(self, parts: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR parts ``(indptr, indices, data)`` one above the other, each released once copied
        (the list is consumed): the parts and the whole are never both held whole."""
        indptr = kernels.join_starts([p[0] for p in parts])
        if not parts:
            return indptr, np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
        indices, data = [p[1] for p in parts], [p[2] for p in parts]
        parts.clear()
        return indptr, self.spill.concatenate(indices, consume=True), self.spill.concatenate(data, consume=True)

    def _vectors(self, counts: sparse.csr_matrix, offsets: np.ndarray) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        indptr, indices, data = kernels.row_sums(counts.indptr, counts.indices, counts.data,
                                                 np.asarray(offsets, dtype=np.int64), self.threads)
        doc_counts = sparse.csr_matrix((data, indices, indptr), shape=(len(offsets) - 1, counts.shape[1]))
        doc_counts.has_sorted_indices = True
        return self._weigh(counts), self._weigh(doc_counts)

    @property
    def size(self) -> int:
        return len(self.keys_)


def top_terms(matrix: sparse.csr_matrix, k: int, threads: int = 1, allowed: np.ndarray | None = None
              ) -> list[np.ndarray]:
    """Column indices of each row's ``k`` heaviest terms (the row's keywords) among the columns
    ``allowed`` (a boolean per column; all when not given); ties go to the lower column, so the
    choice does not depend on how a row's entries are stored."""
    starts, cols = kernels.heaviest_columns(matrix.indptr, matrix.indices, matrix.data, k, threads, allowed)
    return np.split(cols, starts[1:-1])

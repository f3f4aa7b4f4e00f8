"""Many verdicts, stored by column: the result of verifying the candidate pairs of a corpus.

:class:`Verdicts` is a mapping ``(i, j) → Verdict`` over arrays (a pair's code, its relation, its
measures, the sentences it shares), so that millions of verdicts hold no Python object each; a
:class:`~dedup.match.verdict.Verdict` is made when one is read. Made by :mod:`dedup.match.verify`,
read by the grouping (:mod:`dedup.match.group`), the outputs and the job's result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from ..compute import kernels
from .model import EVIDENCE
from .candidates import pair_codes_of
from ..compute.spill import IN_MEMORY, Spill

from .verdict import _RELATIONS, SharedSentence, Verdict, Measures


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

"""Grouping verified pairs into stories, without chaining through weak links.

Duplicate pairs are joined transitively (a repost of a repost is a repost).
Variant pairs are merged strongest first, average-linkage style: two groups
merge only if at least half of the pairs across them (all of them, or a
deterministic sample of ``max_checks``) are verified as related. So a chain
A–B–C where A and C report different events does not become one group.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from ..compute import kernels
from .verdicts import PAIR_BASE, Verdicts


class UnionFind:
    """Disjoint sets over ``0..n-1`` with path halving and union by size."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.size = [1] * n

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        if self.size[ra] < self.size[rb] or (self.size[ra] == self.size[rb] and rb < ra):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        return ra


def components(n: int, pairs: np.ndarray) -> np.ndarray:
    """The connected component of each of ``0..n-1`` under the undirected ``pairs`` (an ``(m, 2)``
    array): a label per node, the one place scipy's connected components is called."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    graph = sparse.csr_matrix((np.ones(len(pairs), dtype=bool), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def duplicate_roots(n: int, pairs: np.ndarray) -> list[int]:
    """Each article's duplicate set, named by its lowest member: the sets that duplicate
    ``pairs`` join transitively, found by scipy's connected components (a union per pair in
    Python held the pairs as Python lists: 3 GB for the 24M duplicate pairs of a million articles)."""
    if not len(pairs):
        return list(range(n))
    labels = components(n, pairs)
    lowest = np.full(int(labels.max()) + 1, n, dtype=np.int64)
    np.minimum.at(lowest, labels, np.arange(n, dtype=np.int64))
    return lowest[labels].tolist()


@dataclass
class Group:
    """Members (document indexes, ascending) and the verified pairs inside."""

    members: list[int]
    relation: str
    edges: list[tuple[int, int, object]] = field(default_factory=list)
    duplicate_of: dict[int, int] = field(default_factory=dict)


VerifyMany = Callable[[list[tuple[int, int]]], Mapping]


class Edges(Sequence):
    """A group's verified related pairs ``(i, j, Verdict)``, each verdict made when read
    (a group of a story reposted a hundred times has thousands)."""

    def __init__(self, verdicts: Verdicts, rows: np.ndarray) -> None:
        self.verdicts = verdicts
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[x] for x in range(*k.indices(len(self)))]
        row = int(self.rows[k])
        i, j = self.verdicts.pairs[row].tolist()
        return (i, j, self.verdicts.at(row))

    def __eq__(self, other) -> bool:
        return list(self) == list(other)

    def __repr__(self) -> str:
        return f"Edges({len(self)} pairs)"


#: Stories whose related pairs link at most this many articles have all their pairs verified
#: in one batch before grouping.
BATCH_STORY = 64


def pairs_within_stories(n: int, related: np.ndarray, max_size: int) -> np.ndarray:
    """Every pair ``i < j`` inside each connected component of the ``related`` pairs that has
    3 to ``max_size`` articles (grouping only ever checks pairs inside one component)."""
    if not len(related):
        return np.empty((0, 2), dtype=np.int64)
    labels = components(n, related)
    sizes = np.bincount(labels)
    order = np.argsort(labels, kind="stable")  # by component, articles ascending inside
    out = [np.empty((0, 2), dtype=np.int64)]
    for size in range(3, max_size + 1):
        members = order[sizes[labels[order]] == size].reshape(-1, size)  # a component per row
        if len(members):
            a, b = np.triu_indices(size, 1)
            out.append(np.stack([members[:, a].ravel(), members[:, b].ravel()], axis=1).astype(np.int64))
    return np.concatenate(out)


def group(
    n: int,
    verdicts: Mapping[tuple[int, int], object],
    verify_many: VerifyMany,
    min_link: float = 0.5,
    max_checks: int = 64,
) -> list[Group]:
    """Partition ``0..n-1`` into groups.

    Parameters
    ----------
    verdicts:
        Verified candidate pairs ``(i, j) -> Verdict`` with ``i < j`` (a :class:`Verdicts`
        store, or any mapping).
    verify_many:
        Verifies further pairs on demand (the average-linkage check), in one batch per merge.
    """
    return group_verdicts(n, verdicts, verify_many, min_link, max_checks)[0]


def group_verdicts(n: int, verdicts: Mapping, verify_many: VerifyMany, min_link: float = 0.5,
                   max_checks: int = 64) -> tuple[list[Group], Verdicts]:
    """:func:`group`, and the verdicts it used: those given and those it verified on demand."""
    table = Verdicts.of(verdicts)
    pairs, rel = table.pairs, table.relation
    dup = duplicate_roots(n, pairs[rel == 2])
    story = UnionFind(n)
    members: dict[int, list[int]] = {}
    for i in range(n):
        story.union(dup[i], i)
    for i in range(n):
        members.setdefault(story.find(i), []).append(i)

    extra: list[Verdicts] = []
    extra_related: dict[int, bool] = {}  # by pair code
    # the pairs of small stories, verified in one batch: a linkage check finds its pairs here
    # instead of verifying a few at a time (a verdict is kept only if a check asks for it)
    within = pairs_within_stories(n, pairs[rel > 0], BATCH_STORY)
    ahead = Verdicts.of(verify_many(list(map(tuple, within[table.rows(within) < 0].tolist()))))
    asked: list[np.ndarray] = []

    def linked(a: list[int], b: list[int]) -> int:
        """How many of the pairs across ``a`` and ``b`` (all, or an even sample) are related."""
        count, hit, rest = kernels.cross_links(np.array(a, dtype=np.int64), np.array(b, dtype=np.int64), max_checks,
                                               PAIR_BASE, table.codes, rel, ahead.codes, ahead.relation)
        if len(hit):
            asked.append(hit)
        rest = rest.tolist()
        missing = [k for k in rest if k not in extra_related]
        if missing:
            more = Verdicts.of(verify_many([divmod(k, PAIR_BASE) for k in missing]))
            extra.append(more)
            extra_related.update(zip(more.codes.tolist(), (more.relation > 0).tolist()))
        return int(count) + sum(extra_related[k] for k in rest)

    variant = np.flatnonzero(rel == 1)
    sim = table.columns["similarity"][variant]
    order = variant[np.lexsort((pairs[variant, 1], pairs[variant, 0], -sim))]
    for i, j in pairs[order].tolist():
        ri, rj = story.find(i), story.find(j)
        if ri == rj:
            continue
        a, b = members[ri], members[rj]
        total = len(a) * len(b)
        if total == 1:  # two single articles: the one pair across is this variant pair
            related = min_link <= 1
        else:
            related = linked(a, b) >= min_link * min(total, max_checks)
        if related:
            root = story.union(ri, rj)
            other = rj if root == ri else ri
            members[root] = sorted(members[root] + members.pop(other))

    table = table.merged(Verdicts.concat([ahead.take(np.concatenate(asked)) if asked else ahead.take([]), *extra]))
    roots = np.array([story.find(i) for i in range(n)], dtype=np.int64)
    inside = np.flatnonzero((table.relation > 0) & (roots[table.pairs[:, 0]] == roots[table.pairs[:, 1]]))
    by_root = roots[table.pairs[inside, 0]]
    order = np.argsort(by_root, kind="stable")  # rows stay in (i, j) order within a group
    lows = np.searchsorted(by_root[order], list(members), side="left").tolist()
    highs = np.searchsorted(by_root[order], list(members), side="right").tolist()
    edges = {root: inside[order[lo:hi]] for root, lo, hi in zip(members, lows, highs)}
    groups = []
    for root, root_members in members.items():
        dup_roots = {dup[m] for m in root_members}
        relation = "unique" if len(root_members) == 1 else ("duplicate" if len(dup_roots) == 1 else "variant")
        first_of: dict[int, int] = {}
        for m in root_members:  # members are ascending: the first of each duplicate set is its original
            first_of.setdefault(dup[m], m)
        duplicate_of = {m: first_of[dup[m]] for m in root_members if first_of[dup[m]] != m}
        groups.append(Group(sorted(root_members), relation, Edges(table, edges[root]), duplicate_of))
    groups.sort(key=lambda g: (len(g.members) == 1, -len(g.members), g.members[0]))
    return groups, table

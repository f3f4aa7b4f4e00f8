"""Grouping verified pairs into stories, without chaining through weak links.

Duplicate pairs are joined transitively (a repost of a repost is a repost).
Variant pairs are merged strongest first, average-linkage style: two groups
merge only if at least half of the pairs across them (all of them, or a
deterministic sample of ``max_checks``) are verified as related. So a chain
A–B–C where A and C report different events does not become one group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


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


@dataclass
class Group:
    """Members (document indexes, ascending) and the verified pairs inside."""

    members: list[int]
    relation: str
    edges: list[tuple[int, int, object]] = field(default_factory=list)
    duplicate_of: dict[int, int] = field(default_factory=dict)


VerifyMany = Callable[[list[tuple[int, int]]], dict]


def group(
    n: int,
    verdicts: dict[tuple[int, int], object],
    verify_many: VerifyMany,
    min_link: float = 0.5,
    max_checks: int = 64,
) -> list[Group]:
    """Partition ``0..n-1`` into groups.

    Parameters
    ----------
    verdicts:
        Verified candidate pairs ``(i, j) -> Verdict`` with ``i < j``.
    verify_many:
        Verifies further pairs on demand (the average-linkage check), in one batch per merge.
    """
    dup = UnionFind(n)
    for (i, j), v in verdicts.items():
        if v.relation == "duplicate":
            dup.union(i, j)
    story = UnionFind(n)
    members: dict[int, list[int]] = {}
    for i in range(n):
        root = dup.find(i)
        story.union(root, i)
    for i in range(n):
        members.setdefault(story.find(i), []).append(i)

    def linked(cross: list[tuple[int, int]]) -> int:
        keys = [(x, y) if x < y else (y, x) for x, y in cross]
        missing = [k for k in keys if k not in verdicts]
        if missing:
            verdicts.update(verify_many(missing))
        return sum(1 for k in keys if verdicts[k].relation != "distinct")

    variant_edges = sorted(
        ((v.similarity, i, j) for (i, j), v in verdicts.items() if v.relation == "variant"),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    for _, i, j in variant_edges:
        ri, rj = story.find(i), story.find(j)
        if ri == rj:
            continue
        a, b = members[ri], members[rj]
        total = len(a) * len(b)
        picks = range(total) if total <= max_checks else (int(k * total / max_checks) for k in range(max_checks))
        cross = [(a[p // len(b)], b[p % len(b)]) for p in picks]  # all pairs, or an even sample of them
        if linked(cross) >= min_link * len(cross):
            root = story.union(ri, rj)
            other = rj if root == ri else ri
            members[root] = sorted(members[root] + members.pop(other))

    inside: dict[int, list] = {}
    for (i, j), v in sorted(verdicts.items()):
        if v.relation != "distinct" and story.find(i) == story.find(j):
            inside.setdefault(story.find(i), []).append((i, j, v))
    groups = []
    for root, root_members in members.items():
        dup_roots = {dup.find(m) for m in root_members}
        relation = "unique" if len(root_members) == 1 else ("duplicate" if len(dup_roots) == 1 else "variant")
        first_of: dict[int, int] = {}
        for m in root_members:  # members are ascending: the first of each duplicate set is its original
            first_of.setdefault(dup.find(m), m)
        duplicate_of = {m: first_of[dup.find(m)] for m in root_members if first_of[dup.find(m)] != m}
        groups.append(Group(sorted(root_members), relation, inside.get(root, []), duplicate_of))
    groups.sort(key=lambda g: (len(g.members) == 1, -len(g.members), g.members[0]))
    return groups

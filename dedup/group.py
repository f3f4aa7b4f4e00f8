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


Verify = Callable[[int, int], object]


def group(
    n: int,
    verdicts: dict[tuple[int, int], object],
    verify: Verify,
    min_link: float = 0.5,
    max_checks: int = 64,
) -> list[Group]:
    """Partition ``0..n-1`` into groups.

    Parameters
    ----------
    verdicts:
        Verified candidate pairs ``(i, j) -> Verdict`` with ``i < j``.
    verify:
        Verifies a further pair on demand (used for the average-linkage check).
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

    def related(i: int, j: int) -> bool:
        key = (i, j) if i < j else (j, i)
        if key not in verdicts:
            verdicts[key] = verify(*key)
        return verdicts[key].relation != "distinct"

    variant_edges = sorted(
        ((v.similarity, i, j) for (i, j), v in verdicts.items() if v.relation == "variant"),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    for _, i, j in variant_edges:
        ri, rj = story.find(i), story.find(j)
        if ri == rj:
            continue
        a, b = members[ri], members[rj]
        cross = [(x, y) for x in a for y in b]
        if len(cross) > max_checks:
            step = len(cross) / max_checks
            cross = [cross[int(k * step)] for k in range(max_checks)]
        linked = sum(1 for x, y in cross if related(x, y))
        if linked >= min_link * len(cross):
            root = story.union(ri, rj)
            other = rj if root == ri else ri
            members[root] = sorted(members[root] + members.pop(other))

    groups = []
    for root_members in members.values():
        inside = set(root_members)
        edges = sorted(
            (i, j, v) for (i, j), v in verdicts.items() if i in inside and j in inside and v.relation != "distinct"
        )
        dup_roots = {dup.find(m) for m in root_members}
        relation = "unique" if len(root_members) == 1 else ("duplicate" if len(dup_roots) == 1 else "variant")
        duplicate_of = {}
        for m in root_members:
            first = min(x for x in root_members if dup.find(x) == dup.find(m))
            if first != m:
                duplicate_of[m] = first
        groups.append(Group(sorted(root_members), relation, edges, duplicate_of))
    groups.sort(key=lambda g: (len(g.members) == 1, -len(g.members), g.members[0]))
    return groups

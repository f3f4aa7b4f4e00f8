"""What a grouping job is, for every engine that runs it: the settings that decide the groups
(:class:`Settings`), the result (:class:`ClusterResult`), and the failure of an engine that cannot
run (:class:`EngineError`).

Sits below the engines: the local one (:mod:`dedup.engine.local`, :mod:`dedup.engine.processes`) and the Dask
one (:mod:`dedup.engine.dask`) both import it, and neither imports the other's types.
"""

from __future__ import annotations

from dataclasses import dataclass

from .article import Article, ReadProblem
from .match.group import Group
from .match.settings import Settings  # noqa: F401 (what decides the groups: part of the job's description)
from .match.verdicts import Verdicts


class EngineError(RuntimeError):
    """The engine asked for cannot run: Dask not installed, or its scheduler unreachable."""


@dataclass
class ClusterResult:
    """Groups over the articles read, and what could not be read."""

    articles: list[Article]
    groups: list[Group]
    problems: list[ReadProblem]
    verdicts: Verdicts  # (i, j) -> Verdict, for every pair verified
    timings: dict[str, float]

    @property
    def summary(self) -> dict:
        multi = [g for g in self.groups if len(g.members) > 1]
        return {
            "articles": len(self.articles),
            "unreadable": sum(not p.kept for p in self.problems),
            "repaired": sum(p.kept for p in self.problems),
            "groups": len(self.groups),
            "duplicate_groups": sum(1 for g in multi if g.relation == "duplicate"),
            "variant_groups": sum(1 for g in multi if g.relation == "variant"),
            "articles_in_groups": sum(len(g.members) for g in multi),
            # what a deduplicated corpus keeps: each article that is not a copy of another
            "unique_articles": len(self.articles) - sum(len(g.duplicate_of) for g in self.groups),
        }

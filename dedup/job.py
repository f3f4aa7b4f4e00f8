"""What a grouping job is, for every engine that runs it: the settings that decide the groups
(:class:`Settings`), the result (:class:`ClusterResult`), and the failure of an engine that cannot
run (:class:`EngineError`).

Sits below the engines: the local one (:mod:`dedup.engine.local`, :mod:`dedup.engine.processes`) and the Dask
one (:mod:`dedup.engine.dask`) both import it, and neither imports the other's types.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .article import Article, ReadProblem
from .match.candidates import MAX_POSTINGS
from .match.group import Group
from .match.verify import Thresholds, Verdicts


class EngineError(RuntimeError):
    """The engine asked for cannot run: Dask not installed, or its scheduler unreachable."""


@dataclass(frozen=True)
class Settings:
    """Everything that decides the groups. Defaults are calibrated (README, "Quality")."""

    shingle_size: int = 5
    num_perm: int = 128
    seed: int = 1
    lsh_threshold: float = 0.5
    keywords: int = 30
    min_shared_keywords: int = 3
    #: a keyword carried by more articles than this makes no same-story candidates
    max_postings: int = MAX_POSTINGS
    thresholds: Thresholds = field(default_factory=Thresholds)
    min_sentence_words: int = 4

    def __post_init__(self) -> None:
        if self.shingle_size < 1:
            raise ValueError(f"shingle_size must be at least 1, got {self.shingle_size}")
        if not 0.0 < self.lsh_threshold < 1.0:
            raise ValueError(f"lsh_threshold must be in (0, 1), got {self.lsh_threshold}")


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

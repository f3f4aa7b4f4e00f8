"""What decides the groups (:class:`Settings`): shingles, signatures, candidate search and the
verdict's thresholds, in one frozen value.

The matching's own configuration, read by every stage of :mod:`dedup.match` and by both engines
(:mod:`dedup.engine`); the job (:mod:`dedup.job`) carries it. Defaults are the calibrated ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .candidates import MAX_POSTINGS
from .verdict import Thresholds


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

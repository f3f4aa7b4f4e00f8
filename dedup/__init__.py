"""dedup: duplicate- and variant-story detection for Arabic news."""

from .article import Article, ReadProblem
from .compare import compare, compare_articles
from .io import FieldMap, InputError, read
from .normalize import NormConfig, normalize
from .pipeline import ClusterResult, Settings, cluster, cluster_articles
from .report import diff, render as render_report, report
from .verify import Thresholds, Verdict

__version__ = "0.1.0"

__all__ = [
    "Article",
    "ClusterResult",
    "FieldMap",
    "InputError",
    "NormConfig",
    "ReadProblem",
    "Settings",
    "Thresholds",
    "Verdict",
    "cluster",
    "cluster_articles",
    "compare",
    "compare_articles",
    "diff",
    "render_report",
    "report",
    "normalize",
    "read",
]

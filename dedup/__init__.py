"""dedup: duplicate- and variant-story detection for Arabic news.

The public API: read articles (:func:`read`), group them (:func:`cluster`,
:func:`cluster_articles`), compare two (:func:`compare`, :func:`compare_articles`), report what
outlets added, dropped or disagree on (:func:`report`, :func:`diff`). The package's folders follow
the flow: ``io`` → ``text`` → ``match`` → ``engine`` → ``report``, ``index`` beside; ``compute``
below them all, ``cli`` above (see docs/architecture.md).
"""

from .article import Article, ReadProblem
from .match.compare import compare, compare_articles
from .io.fields import FieldMap
from .io.read import read
from .io.walk import InputError
from .text.normalize import NormConfig, normalize
from .engine.local import cluster, cluster_articles
from .job import ClusterResult
from .match.settings import Settings
from .report.variants import diff, render as render_report, report
from .match.verdict import Thresholds, Verdict

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

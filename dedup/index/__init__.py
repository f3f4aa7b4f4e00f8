"""The persistent index an ingest pipeline asks "seen this already?".

:mod:`~dedup.index.index` decides (the same verdict as ``compare``, on the article's stored
neighbours), with :mod:`~dedup.index.entries` (its settings, its verdict, an article prepared); :mod:`~dedup.index.store` says what a store keeps and the interface it offers,
implemented by :mod:`~dedup.index.sqlite` (one file, the default) and :mod:`~dedup.index.redis`
(shared by many workers); :mod:`~dedup.index.ingest` checks and records a feed batch by batch.
"""

from .entries import IndexSettings, IndexVerdict
from .index import Index

__all__ = ["Index", "IndexSettings", "IndexVerdict"]

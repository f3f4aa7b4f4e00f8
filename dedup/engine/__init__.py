"""Engines: the grouping job run end to end over a corpus.

:mod:`~dedup.engine.stages` writes the job's stages once, as what each does to one part of the
corpus. :mod:`~dedup.engine.local` runs them on this machine (:mod:`~dedup.engine.processes` for
the map stages in ``--jobs`` worker processes, on the pool of :mod:`~dedup.engine.workers`), and
hands the job to :mod:`~dedup.engine.dask` for ``engine="dask"``, which runs them on a Dask cluster.
Both read the job's settings and give its result as :mod:`dedup.job` defines them: same groups.
"""

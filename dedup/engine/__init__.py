"""Engines: the grouping job run end to end over a corpus.

:mod:`~dedup.engine.local` runs it on this machine (:mod:`~dedup.engine.processes` for ``--jobs``
worker processes, :mod:`~dedup.compute.spill` for arrays kept in files), :mod:`~dedup.engine.dask`
on a Dask cluster. Both read the job's settings and give its result as :mod:`dedup.job` defines
them, and both call the same stages of :mod:`dedup.text` and :mod:`dedup.match`: same groups.
"""

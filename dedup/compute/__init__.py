"""How the work is computed, below what it means: the lowest floor of the package.

:mod:`~dedup.compute.kernels` runs the loops of :mod:`~dedup.compute.loops` (plain Python for small
inputs, compiled by numba for large ones, on several threads when long); :mod:`~dedup.compute.spill`
makes the job's largest arrays in files mapped into memory (``--spill-dir``) or in memory. The
stages (:mod:`dedup.text`, :mod:`dedup.match`, the report's aligner, the index, the engines) call
them through these two small interfaces and never see numba, threads or files.
"""

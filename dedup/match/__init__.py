"""Matching: are two articles the same story?

The judgement of the flow, after :mod:`dedup.text`: :mod:`~dedup.match.features` (per-article
sentences, shingles, term vectors), :mod:`~dedup.match.shingle` and :mod:`~dedup.match.signature`
(MinHash), :mod:`~dedup.match.candidates` (LSH bands and shared keywords: the pairs worth a look),
:mod:`~dedup.match.verify` (the verdict on a pair, with its evidence; :mod:`~dedup.match.model`
its calibrated probability), :mod:`~dedup.match.group` (verdicts into stories) and
:mod:`~dedup.match.compare` (the same on one pair). How the work is spread over processes or
machines is :mod:`dedup.engine`'s business, not this package's.
"""

"""Matching: are two articles the same story?

The judgement of the flow, after :mod:`dedup.text`: :mod:`~dedup.match.features` (per-article
sentences, shingles, term vectors), :mod:`~dedup.match.shingle` and :mod:`~dedup.match.signature`
(MinHash), :mod:`~dedup.match.candidates` (LSH bands and shared keywords: the pairs worth a look),
:mod:`~dedup.match.term_vectors` (TF-IDF over term ids), :mod:`~dedup.match.verify` (the
measures of many pairs at once), :mod:`~dedup.match.verdict` (what a verdict is and the rule that
decides it; :mod:`~dedup.match.model` the calibrated same-story probability),
:mod:`~dedup.match.verdicts` (many verdicts by column), :mod:`~dedup.match.group` (verdicts into
stories), :mod:`~dedup.match.settings` (what decides the groups) and :mod:`~dedup.match.compare`
(all of it on one pair). How the work is spread over processes or
machines is :mod:`dedup.engine`'s business, not this package's.
"""

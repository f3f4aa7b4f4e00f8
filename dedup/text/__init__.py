"""Text: what an article's words are before anything is compared.

The first step of the flow after reading (:mod:`dedup.io`): :mod:`~dedup.text.boilerplate` strips what
the outlet's page template repeats, :mod:`~dedup.text.normalize` folds Arabic spelling variants,
:mod:`~dedup.text.segment` cuts sentences, :mod:`~dedup.text.lexicon` turns words into ids and
:mod:`~dedup.text.frequencies` says how common a word is in Arabic at large. Nothing here knows
about pairs, groups or reports.
"""

"""Variant reports: for each group, which facts each outlet added, dropped or shares.

Last stage of the flow, after grouping: :mod:`~dedup.report.align` aligns the articles'
sentences into facts (TF-IDF from :mod:`~dedup.report.sentence_tfidf`, sentence vectors from
:mod:`~dedup.report.semantic` when installed), :mod:`~dedup.report.disagreements` finds the facts on
which outlets differ, :mod:`~dedup.report.variants` builds the report,
:mod:`~dedup.report.html` and :mod:`~dedup.report.markdown` render it, worded as
:mod:`~dedup.report.wording` says. (``dedup.report`` itself, imported from the package, is the
function :func:`dedup.report`; the modules are reached as ``dedup.report.variants`` and so on.)
"""

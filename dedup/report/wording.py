"""How the report words what it shows, shared by the report (:mod:`dedup.report.variants`) and its renderers
(:mod:`dedup.report.html`, :mod:`dedup.report.markdown`): the Arabic name of each kind of disagreement, and
the word-level differences between two wordings of one fact.
"""

from __future__ import annotations

import difflib

from ..text.normalize import normalize

#: The Arabic label of each kind of disagreement between versions of a fact.
DISAGREEMENT_AR = {"number": "أرقام", "quote": "اقتباس", "day": "اليوم", "month": "الشهر", "nationality": "الجنسية",
                   "rank": "الرتبة"}


def word_diff(reference: str, other: str) -> list[list[str]]:
    """Word-level edit script turning ``reference`` into ``other``: ``=``, ``-`` (deleted), ``+`` (inserted).

    Words are compared normalized (so spelling variants of one word are equal)
    and shown as written in ``other`` (or ``reference`` for deletions).
    """
    ra, rb = reference.split(), other.split()
    na, nb = [normalize(w) for w in ra], [normalize(w) for w in rb]
    ops: list[list[str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, na, nb, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append(["=", " ".join(rb[j1:j2])])
            continue
        if i2 > i1:
            ops.append(["-", " ".join(ra[i1:i2])])
        if j2 > j1:
            ops.append(["+", " ".join(rb[j1:j2])])
    return ops

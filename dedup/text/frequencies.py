"""How common a word is in Arabic at large, from ``wordfreq`` (the one module that imports it).

A word's commonness does not depend on the articles at hand, so ``compare`` on two texts, the
index (whose corpus grows article by article) and ``cluster`` on a whole archive judge it the same
way. ``wordfreq`` (Apache-2.0 code, CC-BY-SA 4.0 data, by Robyn Speer) ships word frequencies
of Arabic from Wikipedia, subtitles, news, books, the web and Twitter; it is read, never copied
into this package.

A *common stem* is the light stem (:func:`dedup.text.normalize.light_stem`) of one of the
:data:`COMMON_WORDS` most frequent Arabic words (Zipf frequency about 3 and above: a few times per
million words), normalized as dedup normalizes text. A word whose stem is not common is *rare*:
names of people and places, and uncommon terms, which two reports of one event share and two
reports of different events mostly do not.
"""

from __future__ import annotations

from functools import lru_cache

from .normalize import light_stem, normalize

#: How many of the most frequent Arabic words make the common stems (60,000: Zipf >= 2.96).
COMMON_WORDS = 60_000


@lru_cache(maxsize=1)
def common_stems() -> frozenset[str]:
    """The light stems of the :data:`COMMON_WORDS` most frequent Arabic words (0.7 s, once per process)."""
    import wordfreq

    out: set[str] = set()
    for word in wordfreq.top_n_list("ar", COMMON_WORDS):
        for w in normalize(word).split():
            out.add(light_stem(w))
    return frozenset(out)


def is_rare(stem: str) -> bool:
    """Whether a light stem of normalized Arabic letters is outside the common stems."""
    return stem not in common_stems()

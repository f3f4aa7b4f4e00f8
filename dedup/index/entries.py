"""What the index knows of an article: the settings that decide its signatures and verdicts
(:class:`IndexSettings`), the verdict it gives (:class:`IndexVerdict`), what makes a second
sighting the same article (:func:`content_key`), and an article prepared for a look-up
(:func:`prepare`: its two MinHash signatures and their LSH band keys).

Below :mod:`dedup.index.index`, which stores and decides; the signatures are those of
:mod:`dedup.match.signature`, the band keys those of :mod:`dedup.match.candidates`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import xxhash

from ..article import Article
from ..text.boilerplate import Boilerplate
from ..match.candidates import band_keys, optimal_bands
from ..text.normalize import DEFAULT as NORM, normalize, tokens
from ..match.shingle import as_set, word_shingles
from ..match.signature import SCHEME, Signer
from ..text.lexicon import LEXICON, WORD_HASH


KINDS = ("text", "terms")
_STOP = {normalize(w) for w in (
    "في من على إلى الى عن مع أن إن ان هذا هذه ذلك التي الذي الذين كان كانت وقد قد لا ما لم لن او أو ثم حتى بعد قبل "
    "كما وفي ومن وعلى وأن وإن عند بين حيث خلال اليوم امس أمس قال وقال واضاف وأضاف وأكد اكد واشار وأشار اي أي كل "
    "هو هي هم نحن انه أنه انها أنها الا إلا غير منذ لدى الى ضمن عبر"
).split()}


#: What an index's stored layout is; 1 kept no verdicts or content hashes, 2 no text (both
#: migrated on open for writing; see :meth:`Index._decide` for articles stored without text).
FORMAT = 3


@dataclass(frozen=True)
class IndexSettings:
    """What decides an index's signatures and verdicts. Stored in the index; checked on open."""

    num_perm: int = 128
    seed: int = 1
    scheme: str = SCHEME
    shingle_size: int = 5
    normalization: str = NORM.key()
    word_hash: str = WORD_HASH
    #: LSH threshold of the 5-gram bands (near-duplicate candidates); and the estimate rule's
    #: duplicate threshold for articles stored without text (format 2)
    threshold: float = 0.5
    #: the estimate rule's variant threshold (content-word Jaccard) for articles stored without text
    variant_threshold: float = 0.3
    max_days: float = 3.0
    #: LSH threshold of the content-word bands (same-story candidates): rewrites of one event share
    #: few content words (the seeds' three: 0.11 to 0.16)
    candidate_threshold: float = 0.1

    #: Settings that change signatures or bands: an index made with others is unusable.
    STRUCTURAL = ("num_perm", "seed", "scheme", "shingle_size", "normalization", "word_hash", "threshold",
                  "variant_threshold", "candidate_threshold")

    def __post_init__(self) -> None:
        for name in ("threshold", "variant_threshold", "candidate_threshold"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise ValueError(f"{name} must be in (0, 1), got {value}")
        if self.scheme != SCHEME:
            raise ValueError(f"scheme must be {SCHEME!r}, got {self.scheme!r}")

    def bands(self, kind: str) -> tuple[int, int]:
        return optimal_bands(self.threshold if kind == "text" else self.candidate_threshold, self.num_perm)

    @classmethod
    def from_dict(cls, d: dict) -> IndexSettings:
        known = {f.name for f in fields(cls)}
        d = {"word_hash": "xxh3-utf8", **d}  # indexes made before the word hash was stored used xxh3 of UTF-8
        # indexes made before format 3 banded the content words at their variant threshold
        d.setdefault("candidate_threshold", d.get("variant_threshold", cls.variant_threshold))
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass(frozen=True)
class IndexVerdict:
    id: str
    verdict: str  # new | duplicate | variant | conflict | recorded
    of: str | None  # the stored article (duplicate) or group (variant)
    group: str
    similarity: float
    replay: bool = False  # the stored verdict of this very article (same id, same content)

    def as_dict(self) -> dict:
        out = {"id": self.id, "verdict": self.verdict, "of": self.of, "group": self.group,
               "similarity": round(self.similarity, 4)}
        if self.replay:
            out["replay"] = True
        return out

    def stored(self) -> str:
        """What the index keeps of this verdict, to give it back on a replay."""
        d = self.as_dict()
        del d["id"]
        return json.dumps(d, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def replayed(cls, ident: str, stored: str) -> IndexVerdict:
        d = json.loads(stored)
        return cls(ident, d["verdict"], d["of"], d["group"], d["similarity"], replay=True)


def content_key(article: Article) -> str:
    """What makes a second sighting of an id the same article: xxh3-128 of the title and the text,
    runs of white space made one space (a re-export that changed line ends is the same content).
    About 20 us an article, 1% of an add."""
    text = " ".join(article.title.split()) + "\x1e" + " ".join(article.text.split())
    return xxhash.xxh3_128_hexdigest(text.encode("utf-8", "surrogatepass"))


class Prepared:
    """An article's signatures and band keys, computed once; see :func:`prepare`."""

    def __init__(self, article: Article, text_sig: np.ndarray, terms_sig: np.ndarray, settings: IndexSettings) -> None:
        self.article, self.text_sig, self.terms_sig = article, text_sig, terms_sig
        self.keys = {kind: _keys(sig, settings.bands(kind)) for kind, sig in zip(KINDS, (text_sig, terms_sig))}
        #: (candidate id, candidate content key) -> (relation, similarity) of the pairs verified so far
        self.verified: dict[tuple[str, str], tuple[str, float]] = {}

    def all_keys(self) -> list[tuple[str, int, int]]:
        return [(kind, band, key) for kind in KINDS for band, key in enumerate(self.keys[kind])]


def prepare(articles: Sequence[Article], settings: IndexSettings, signer: Signer) -> list[Prepared]:
    """Sign a batch of articles: word 5-gram shingles, and the set of stemmed content words."""
    sets = []
    for a in articles:
        if a.clean is None:
            Boilerplate().strip(a)
        body = tokens(a.body)
        content = [w for w in body + tokens(a.title) if len(w) > 2 and w not in _STOP]
        sets.append(as_set(word_shingles(body, settings.shingle_size)))
        sets.append(as_set((LEXICON.term_ids(content) & 0xFFFFFFFF).astype(np.uint32)))
    sigs = signer.sign_many(sets)
    return [Prepared(a, sigs[2 * k], sigs[2 * k + 1], settings) for k, a in enumerate(articles)]


def _keys(sig: np.ndarray, br: tuple[int, int]) -> list[int]:
    return [int(k) for k in band_keys(sig.reshape(1, -1), *br)[0].view(np.int64)]

"""A persistent index that an ingest pipeline asks "seen this already?".

Each article is signed twice with the same :class:`~dedup.signature.Signer`:
word 5-gram shingles (near-duplicates) and its set of stemmed content words
(same-story variants). Both signatures are banded for LSH and stored with the
article's group. A verdict is:

* ``duplicate`` of the stored article whose 5-gram Jaccard estimate is highest
  and at least ``threshold``;
* ``variant`` of a stored article's group when the content-word Jaccard estimate
  is at least ``variant_threshold`` (and the dates, when both are known, are at
  most ``max_days`` apart);
* ``new`` otherwise.

Storage is a :mod:`dedup.store_sqlite` file by default, or Redis
(:mod:`dedup.store_redis`) for an index shared by many workers and machines.
Settings are stored in the index and checked on every open.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date

import numpy as np

from .article import Article
from .boilerplate import Boilerplate
from .candidates import band_keys, optimal_bands
from .normalize import DEFAULT as NORM, normalize, tokens
from .shingle import as_set, word_shingles
from .signature import SCHEME, Signer, estimate_jaccard
from .lexicon import LEXICON, WORD_HASH

KINDS = ("text", "terms")
_STOP = {normalize(w) for w in (
    "في من على إلى الى عن مع أن إن ان هذا هذه ذلك التي الذي الذين كان كانت وقد قد لا ما لم لن او أو ثم حتى بعد قبل "
    "كما وفي ومن وعلى وأن وإن عند بين حيث خلال اليوم امس أمس قال وقال واضاف وأضاف وأكد اكد واشار وأشار اي أي كل "
    "هو هي هم نحن انه أنه انها أنها الا إلا غير منذ لدى الى ضمن عبر"
).split()}


class IndexError_(Exception):
    """An index that cannot be used as asked (missing, incompatible settings)."""


class IndexBusy(Exception):
    """Another writer holds the index longer than the wait allowed; try again."""


class IndexUnavailable(Exception):
    """The index server cannot be reached."""


@dataclass(frozen=True)
class IndexSettings:
    """What decides an index's signatures and verdicts. Stored in the index; checked on open."""

    num_perm: int = 128
    seed: int = 1
    scheme: str = SCHEME
    shingle_size: int = 5
    normalization: str = NORM.key()
    word_hash: str = WORD_HASH
    threshold: float = 0.5
    variant_threshold: float = 0.3
    max_days: float = 3.0

    #: Settings that change signatures or bands: an index made with others is unusable.
    STRUCTURAL = ("num_perm", "seed", "scheme", "shingle_size", "normalization", "word_hash", "threshold",
                  "variant_threshold")

    def __post_init__(self) -> None:
        for name in ("threshold", "variant_threshold"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise ValueError(f"{name} must be in (0, 1), got {value}")
        if self.scheme != SCHEME:
            raise ValueError(f"scheme must be {SCHEME!r}, got {self.scheme!r}")

    def bands(self, kind: str) -> tuple[int, int]:
        return optimal_bands(self.threshold if kind == "text" else self.variant_threshold, self.num_perm)

    @classmethod
    def from_dict(cls, d: dict) -> IndexSettings:
        known = {f.name for f in fields(cls)}
        d = {"word_hash": "xxh3-utf8", **d}  # indexes made before the word hash was stored used xxh3 of UTF-8
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass
class Entry:
    """One article as the index stores it."""

    id: str
    group: str
    added: float
    published: str
    text_sig: np.ndarray
    terms_sig: np.ndarray


@dataclass(frozen=True)
class IndexVerdict:
    id: str
    verdict: str  # new | duplicate | variant
    of: str | None  # the stored article (duplicate) or group (variant)
    group: str
    similarity: float

    def as_dict(self) -> dict:
        return {"id": self.id, "verdict": self.verdict, "of": self.of, "group": self.group,
                "similarity": round(self.similarity, 4)}


class Prepared:
    """An article's signatures and band keys, computed once; see :func:`prepare`."""

    def __init__(self, article: Article, text_sig: np.ndarray, terms_sig: np.ndarray, settings: IndexSettings) -> None:
        self.article, self.text_sig, self.terms_sig = article, text_sig, terms_sig
        self.keys = {kind: _keys(sig, settings.bands(kind)) for kind, sig in zip(KINDS, (text_sig, terms_sig))}

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


#: Stored articles compared with each incoming one, at most: those sharing the most
#: LSH buckets with it. A story reposted thousands of times then costs an add no
#: more than one reposted a hundred times.
MAX_CANDIDATES = 100


def _closest(buckets: Iterable[Iterable[str]], limit: int = MAX_CANDIDATES) -> list[str]:
    """The ids found in the most of ``buckets`` (more shared bands, higher estimated Jaccard), ties by id."""
    hits: dict[str, int] = {}
    for members in buckets:
        for i in members:
            hits[i] = hits.get(i, 0) + 1
    if len(hits) <= limit:
        return sorted(hits)
    return sorted(sorted(hits, key=lambda i: (-hits[i], i))[:limit])


def _keys(sig: np.ndarray, br: tuple[int, int]) -> list[int]:
    return [int(k) for k in band_keys(sig.reshape(1, -1), *br)[0].view(np.int64)]


def _days_apart(a: str, b: str) -> float | None:
    try:
        return abs((date.fromisoformat(a[:10]) - date.fromisoformat(b[:10])).days)
    except ValueError:
        return None


class Index:
    """Check and add articles against everything seen before.

    Open with :meth:`open` (``path.sqlite`` or ``redis://host:port/db?prefix=name``).
    """

    def __init__(self, store, settings: IndexSettings) -> None:
        self.store = store
        self.settings = settings
        self.signer = Signer(settings.num_perm, settings.seed)

    # -- opening -------------------------------------------------------------------
    @classmethod
    def open(cls, location: str, settings: IndexSettings | None = None, create: bool = False) -> Index:
        """Open an index; with ``create``, make it if missing.

        Raises
        ------
        IndexError_
            Missing index (without ``create``), or ``settings`` that differ from the stored ones.
        """
        store = _store_for(location)
        stored = store.get_meta()
        if stored is None:
            if not create:
                store.close()
                raise IndexError_(f"{location}: no index here (create one with `dedup index create {location}`)")
            chosen = settings or IndexSettings()
            store.set_meta({"settings": asdict(chosen), "created": time.time(), "format": 1})
            return cls(store, chosen)
        current = IndexSettings.from_dict(stored["settings"])
        if settings is not None:
            diff = [f"{k}: index has {getattr(current, k)!r}, asked for {getattr(settings, k)!r}"
                    for k in IndexSettings.STRUCTURAL if getattr(current, k) != getattr(settings, k)]
            if diff:
                store.close()
                raise IndexError_(f"{location}: incompatible settings ({'; '.join(diff)}); "
                                  "use the index's settings or create a new index")
        return cls(store, current)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- verdicts ------------------------------------------------------------------
    def _decide(self, p: Prepared, candidates: dict[str, Entry]) -> IndexVerdict:
        best_dup, best_var = (0.0, None), (0.0, None)
        for entry in candidates.values():
            j_text = estimate_jaccard(p.text_sig, entry.text_sig)
            j_terms = estimate_jaccard(p.terms_sig, entry.terms_sig)
            if j_text > best_dup[0] or (j_text == best_dup[0] and best_dup[1] and entry.id < best_dup[1].id):
                best_dup = (j_text, entry)
            days = _days_apart(p.article.published, entry.published) if p.article.published and entry.published else None
            if (days is None or days <= self.settings.max_days) and j_terms > best_var[0]:
                best_var = (j_terms, entry)
        if best_dup[1] is not None and best_dup[0] >= self.settings.threshold:
            e = best_dup[1]
            return IndexVerdict(p.article.id, "duplicate", e.id, e.group, best_dup[0])
        if best_var[1] is not None and best_var[0] >= self.settings.variant_threshold:
            e = best_var[1]
            return IndexVerdict(p.article.id, "variant", e.group, e.group, best_var[0])
        return IndexVerdict(p.article.id, "new", None, p.article.id, 0.0)

    def _run(self, articles: Sequence[Article], record: bool) -> list[IndexVerdict]:
        prepared = prepare(articles, self.settings, self.signer)
        keys = sorted({k for p in prepared for k in p.all_keys()})
        now = time.time()

        def work(tx) -> list[IndexVerdict]:
            stored = tx.candidates(keys)  # band key -> stored ids
            top = [_closest(stored.get(k, ()) for k in p.all_keys()) for p in prepared]
            entries = tx.entries(sorted({i for t in top for i in t}))
            known = tx.existing([p.article.id for p in prepared]) if record else set()
            local: dict[tuple[str, int, int], list[str]] = {}
            local_entries: dict[str, Entry] = {}
            out, new_entries = [], []
            for p, found in zip(prepared, top):
                batch = _closest(local.get(k, ()) for k in p.all_keys())  # earlier articles of this batch
                cands = {i: entries.get(i) or local_entries.get(i) for i in [*found, *batch]}
                verdict = self._decide(p, {i: e for i, e in cands.items() if e is not None})
                out.append(verdict)
                if record and p.article.id not in known and p.article.id not in local_entries:
                    e = Entry(p.article.id, verdict.group, now, p.article.published, p.text_sig, p.terms_sig)
                    new_entries.append((e, p.all_keys()))
                    local_entries[e.id] = e
                    for k in p.all_keys():
                        local.setdefault(k, []).append(e.id)
            if record and new_entries:
                tx.insert(new_entries)
            return out

        return self.store.transaction(keys, work, write=record)

    def check(self, article: Article) -> IndexVerdict:
        """The verdict for one article; the index is not changed."""
        return self._run([article], record=False)[0]

    def check_many(self, articles: Sequence[Article]) -> list[IndexVerdict]:
        return self._run(list(articles), record=False)

    def add(self, article: Article) -> IndexVerdict:
        """Verdict, and record the article (atomically with the check)."""
        return self._run([article], record=True)[0]

    def add_many(self, articles: Iterable[Article], batch: int = 500) -> list[IndexVerdict]:
        """Verdicts for many articles; each batch is checked and recorded in one transaction."""
        out: list[IndexVerdict] = []
        chunk: list[Article] = []
        for a in articles:
            chunk.append(a)
            if len(chunk) >= batch:
                out += self._run(chunk, record=True)
                chunk = []
        if chunk:
            out += self._run(chunk, record=True)
        return out

    # -- maintenance ---------------------------------------------------------------
    def remove(self, ids: Sequence[str]) -> int:
        """Forget these articles; returns how many were there."""
        return self.store.remove(list(ids))

    def prune(self, keep_days: float) -> int:
        """Forget articles added more than ``keep_days`` ago; returns how many."""
        if keep_days < 0:
            raise ValueError(f"keep_days must be >= 0, got {keep_days}")
        return self.store.prune(time.time() - keep_days * 86400)

    def stats(self) -> dict:
        return {"settings": asdict(self.settings), **self.store.stats()}


def _store_for(location: str):
    if location.startswith(("redis://", "rediss://", "unix://")):
        from .store_redis import RedisStore

        return RedisStore(location)
    from .store_sqlite import SqliteStore

    return SqliteStore(location)


def encode_sig(sig: np.ndarray) -> bytes:
    return np.ascontiguousarray(sig, dtype="<u4").tobytes()


def decode_sig(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)

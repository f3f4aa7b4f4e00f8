"""A persistent index that an ingest pipeline asks "seen this already?".

Each article is signed twice with the same :class:`~dedup.match.signature.Signer`:
word 5-gram shingles (near-duplicates) and its set of stemmed content words
(same-story variants). Both signatures are banded for LSH; the bands find the
candidates. Each article is stored with its group, its verdict and what
verification needs (title, text, published date; the title and text
zlib-compressed, :func:`~dedup.index.store.pack_body`).

An incoming article is verified against the :data:`MAX_CANDIDATES` stored
articles that share the most bands with it, each pair by
:func:`dedup.match.compare.compare_many` — the verdict ``dedup compare`` gives that
pair. A verdict is:

* ``duplicate`` of the candidate with the highest similarity among those
  verified ``duplicate``;
* else ``variant`` of the group of the candidate with the highest similarity
  among those verified ``variant``;
* ``new`` otherwise;
* ``conflict`` when the id is recorded already with other content (not recorded).

Articles recorded by format 2, which kept no text, are decided by the rule of
that format when they are candidates: ``duplicate`` when the MinHash estimate
of the 5-gram Jaccard is at least ``threshold``, ``variant`` when that of the
content words is at least ``variant_threshold`` (dates at most ``max_days``
apart); :meth:`Index._decide` ranks both kinds of candidates together by
similarity.

Every recorded article keeps its verdict, keyed by its id and a hash of its
content (:func:`content_key`). An article met again with the same id and the same
content is a *replay*: it gets the stored verdict back (same verdict, ``of`` and
group, marked ``replay``) and nothing is written, so re-running an input after an
interruption gives the decisions of an uninterrupted run. The same id with other
content is a ``conflict``: reported, never recorded. The replay does not depend on
how a verdict is decided (:meth:`Index._decide`): it returns what was stored.

Storage is a :mod:`dedup.index.sqlite` file by default, or Redis
(:mod:`dedup.index.redis`) for an index shared by many workers and machines.
Settings are stored in the index and checked on every open.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from datetime import date

import numpy as np

from ..article import Article
from ..match.signature import Signer, estimate_jaccard
from .store import Entry, IndexError_, Store
from .entries import FORMAT, IndexSettings, IndexVerdict, Prepared, content_key, prepare

#: Stored articles verified against each incoming one, at most: those sharing the most
#: LSH buckets with it. A story reposted thousands of times then costs an add no
#: more than one reposted five times (each pair verified costs about 5 ms; on the labelled dev day five
#: candidates grouped as well as ten or twenty, python -m benchmarks index-quality).
MAX_CANDIDATES = 5
#: Articles whose verification features (stripped copy, analysis, signature) an index keeps for
#: the next pairs they are in, at most: a story's stored articles are candidates again and again.
MEMO = 1000


def _closest(buckets: Iterable[Iterable[str]], limit: int = MAX_CANDIDATES) -> list[str]:
    """The ids found in the most of ``buckets`` (more shared bands, higher estimated Jaccard), ties by id."""
    hits: dict[str, int] = {}
    for members in buckets:
        for i in members:
            hits[i] = hits.get(i, 0) + 1
    if len(hits) <= limit:
        return sorted(hits)
    return sorted(sorted(hits, key=lambda i: (-hits[i], i))[:limit])


def _days_apart(a: str, b: str) -> float | None:
    try:
        return abs((date.fromisoformat(a[:10]) - date.fromisoformat(b[:10])).days)
    except ValueError:
        return None


class Index:
    """Check and add articles against everything seen before.

    Open with :meth:`open` (``path.sqlite`` or ``redis://host:port/db?prefix=name``).
    """

    def __init__(self, store: Store, settings: IndexSettings) -> None:
        self.store = store
        self.settings = settings
        self.signer = Signer(settings.num_perm, settings.seed)
        #: stored articles verified against each incoming one, at most (those sharing the most bands)
        self.max_candidates = MAX_CANDIDATES
        self._memo: dict = {}  # per-article features for verification (dedup.match.compare.compare_many)
        #: the decision settings of verification (:class:`dedup.engine.local.Settings`; None: the defaults,
        #: as ``dedup compare``); not stored: they change verdicts to come, not the index
        self.decide = None

    # -- opening -------------------------------------------------------------------
    @classmethod
    def open(cls, location: str, settings: IndexSettings | None = None, create: bool = False,
             write: bool = True) -> Index:
        """Open an index; with ``create``, make it if missing (nothing is created otherwise).

        ``write=False`` opens it for checks and statistics only, which a read-only index allows.

        Raises
        ------
        IndexError_
            Missing index (without ``create``), not an index (another application's file),
            settings that differ from the stored ones, a newer format.
        IndexReadOnly
            ``write`` asked of an index that cannot be written.
        """
        store = _store_for(location, create=create, write=write)
        try:
            stored = store.get_meta()
            if stored is None:
                if not create:
                    raise IndexError_(f"{location}: no index here (create one with `dedup index create {location}`)")
                chosen = settings or IndexSettings()
                store.set_meta({"settings": asdict(chosen), "created": time.time(), "format": FORMAT})
                return cls(store, chosen)
            if stored.get("format", 1) > FORMAT:
                raise IndexError_(f"{location}: index format {stored['format']} was made by a newer dedup; "
                                  f"this one reads formats 1 to {FORMAT}")
            current = IndexSettings.from_dict(stored["settings"])
            if settings is not None:
                diff = [f"{k}: index has {getattr(current, k)!r}, asked for {getattr(settings, k)!r}"
                        for k in IndexSettings.STRUCTURAL if getattr(current, k) != getattr(settings, k)]
                if diff:
                    raise IndexError_(f"{location}: incompatible settings ({'; '.join(diff)}); "
                                      "use the index's settings or create a new index")
            if write and stored.get("format", 1) < FORMAT:
                store.migrate()
                store.set_meta({**stored, "format": FORMAT})
            return cls(store, current)
        except BaseException:
            store.close()
            raise

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- verdicts ------------------------------------------------------------------
    def _decide(self, p: Prepared, candidates: dict[str, Entry]) -> IndexVerdict:
        """The verdict of ``p`` against ``candidates``: each stored with its text verified with it
        (:func:`dedup.match.compare.compare_many`, pairs verified before taken from ``p.verified``), each
        stored without (format 2) judged by the estimates; the duplicate with the highest similarity,
        else the variant with the highest similarity (ties: the smallest id), else new."""
        found: dict[str, list[tuple[float, Entry]]] = {"duplicate": [], "variant": []}
        with_text = [e for e in candidates.values() if e.text is not None]
        for e, (relation, sim) in zip(with_text, self._verify(p, with_text)):
            if relation in found:
                found[relation].append((sim, e))
        for e in candidates.values():
            if e.text is None:
                relation, sim = self._estimate(p, e)
                if relation in found:
                    found[relation].append((sim, e))
        if found["duplicate"]:
            sim, e = min(found["duplicate"], key=lambda x: (-x[0], x[1].id))
            return IndexVerdict(p.article.id, "duplicate", e.id, e.group, sim)
        if found["variant"]:
            sim, e = min(found["variant"], key=lambda x: (-x[0], x[1].id))
            return IndexVerdict(p.article.id, "variant", e.group, e.group, sim)
        return IndexVerdict(p.article.id, "new", None, p.article.id, 0.0)

    def _verify(self, p: Prepared, entries: list[Entry]) -> list[tuple[str, float]]:
        """(relation, similarity) of ``p`` and each entry, as ``dedup compare`` decides the pair;
        each pair verified once (kept in ``p.verified``, keyed by the entry's id and content)."""
        from ..match.compare import compare_many

        todo = [e for e in entries if (e.id, e.content) not in p.verified]
        if todo:
            if len(self._memo) > MEMO:
                self._memo.clear()
            for e, v in zip(todo, compare_many(p.article, [e.article() for e in todo],
                                                   **({} if self.decide is None else {"settings": self.decide}),
                                                   memo=self._memo)):
                p.verified[(e.id, e.content)] = (v.relation, float(v.similarity))
        return [p.verified[(e.id, e.content)] for e in entries]

    def _verify_only(self, p: Prepared, candidates: dict[str, Entry]) -> IndexVerdict:
        """Verify ``p`` against the candidates that have their text, deciding nothing (the pass
        before the write lock): a placeholder verdict."""
        self._verify(p, [e for e in candidates.values() if e.text is not None])
        return IndexVerdict(p.article.id, "new", None, p.article.id, 0.0)

    def _estimate(self, p: Prepared, e: Entry) -> tuple[str, float]:
        """The rule of format 2, for an entry stored without text: MinHash estimates of the 5-gram
        Jaccard (duplicate at ``threshold``) and of the content-word Jaccard (variant at
        ``variant_threshold``, dates at most ``max_days`` apart when both known)."""
        j_text = estimate_jaccard(p.text_sig, e.text_sig)
        if j_text >= self.settings.threshold:
            return "duplicate", j_text
        j_terms = estimate_jaccard(p.terms_sig, e.terms_sig)
        days = _days_apart(p.article.published, e.published) if p.article.published and e.published else None
        if (days is None or days <= self.settings.max_days) and j_terms >= self.settings.variant_threshold:
            return "variant", j_terms
        return "distinct", max(j_text, j_terms)

    def _run(self, articles: Sequence[Article], record: bool) -> list[IndexVerdict]:
        prepared = prepare(articles, self.settings, self.signer)
        contents = [content_key(a) for a in articles]
        keys = sorted({k for p in prepared for k in p.all_keys()})
        now = time.time()
        limit = self.max_candidates

        def work(tx, decide, write: bool) -> list[IndexVerdict]:
            # id -> (content, stored verdict, group) of the articles already recorded
            known = tx.recorded(sorted({a.id for a in articles}))
            fresh = [p.article.id not in known for p in prepared]
            stored = tx.candidates(sorted({k for p, f in zip(prepared, fresh) if f for k in p.all_keys()}))
            top = [_closest((stored.get(k, ()) for k in p.all_keys()), limit) if f else []
                   for p, f in zip(prepared, fresh)]
            entries = tx.entries(sorted({i for t in top for i in t}))
            local: dict[tuple[str, int, int], list[str]] = {}
            local_entries: dict[str, Entry] = {}
            out, new_entries = [], []
            for p, content in zip(prepared, contents):
                ident = p.article.id
                seen = known.get(ident)
                if seen is None and record and ident in local_entries:  # met earlier in this batch
                    e = local_entries[ident]
                    seen = (e.content, e.verdict, e.group)
                if seen is not None:
                    out.append(_again(ident, content, *seen))
                    continue
                # earlier articles of this batch count as stored: the best of both by shared bands
                # (a stored one among them is among ``top``, whose entries were read: ranked the same there)
                best = _closest(([*stored.get(k, ()), *local.get(k, ())] for k in p.all_keys()), limit)
                cands = {i: entries.get(i) or local_entries.get(i) for i in best}
                verdict = decide(p, {i: e for i, e in cands.items() if e is not None})
                out.append(verdict)
                if record:
                    a = p.article
                    e = Entry(ident, verdict.group, now, a.published, _NO_SIG, _NO_SIG, content, verdict.stored(),
                              a.title, a.text)
                    new_entries.append((e, p.all_keys()))
                    local_entries[ident] = e
                    for k in p.all_keys():
                        local.setdefault(k, []).append(ident)
            if write and record and new_entries:
                tx.insert(new_entries)
            return out

        if record:
            # the pairs verified before the write lock is taken (verification is most of an add's
            # time, and other writers wait for the lock): under it, only the pairs of candidates
            # recorded meanwhile are verified, and the verdicts decided
            self.store.transaction(keys, lambda tx: work(tx, self._verify_only, False), write=False)
        return self.store.transaction(keys, lambda tx: work(tx, self._decide, True), write=record)

    def check(self, article: Article) -> IndexVerdict:
        """The verdict for one article; the index is not changed."""
        return self._run([article], record=False)[0]

    def check_many(self, articles: Iterable[Article], batch: int = 500) -> list[IndexVerdict]:
        return [v for vs in self.check_batches(articles, batch) for v in vs]

    def add(self, article: Article) -> IndexVerdict:
        """Verdict, and record the article (atomically with the check)."""
        return self._run([article], record=True)[0]

    def add_many(self, articles: Iterable[Article], batch: int = 500) -> list[IndexVerdict]:
        """Verdicts for many articles; each batch is checked and recorded in one transaction."""
        return [v for vs in self.add_batches(articles, batch) for v in vs]

    def add_batches(self, articles: Iterable[Article], batch: int = 500) -> Iterator[list[IndexVerdict]]:
        """Each batch's verdicts as soon as the batch is recorded (committed), so that a caller
        can pass them on before the next batch; a batch interrupted is recorded whole or not at all."""
        return self._batches(articles, batch, record=True)

    def check_batches(self, articles: Iterable[Article], batch: int = 500) -> Iterator[list[IndexVerdict]]:
        """Each batch's verdicts, the index not changed."""
        return self._batches(articles, batch, record=False)

    def _batches(self, articles: Iterable[Article], batch: int, record: bool) -> Iterator[list[IndexVerdict]]:
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        chunk: list[Article] = []
        for a in articles:
            chunk.append(a)
            if len(chunk) >= batch:
                yield self._run(chunk, record)
                chunk = []
        if chunk:
            yield self._run(chunk, record)

    # -- maintenance ---------------------------------------------------------------
    def remove(self, ids: Sequence[str]) -> int:
        """Forget these articles; returns how many were there."""
        return self.store.remove(list(ids))

    def prune(self, keep_days: float) -> int:
        """Forget articles added more than ``keep_days`` ago; returns how many."""
        check_keep_days(keep_days)
        return self.store.prune(time.time() - keep_days * 86400)

    def stats(self) -> dict:
        """Settings, counts, size; when the oldest and newest articles were added, as ISO dates (UTC)."""
        out = {"settings": asdict(self.settings), **self.store.stats()}
        for key in ("oldest_added", "newest_added"):
            if out.get(key) is not None:
                out[key] = _iso(out[key])
        return out


def _iso(epoch: float) -> str:
    """An epoch time as an ISO date and time, UTC, to the second."""
    from datetime import datetime, timezone

    return datetime.fromtimestamp(float(epoch), timezone.utc).isoformat(timespec="seconds")


def check_keep_days(keep_days: float) -> None:
    """Refuse an age limit that is negative, infinite or not a number, naming it."""
    if not (isinstance(keep_days, (int, float)) and math.isfinite(keep_days) and keep_days >= 0):
        raise ValueError(f"keep_days must be a number of days >= 0, got {keep_days}")


def _again(ident: str, content: str, recorded: str | None, stored: str | None, group: str) -> IndexVerdict:
    """The verdict of an id already recorded: its stored verdict when the content is the same
    (a replay), ``conflict`` when it is not. An article recorded by format 1, which kept neither,
    is taken as the same article: ``new`` when it began its group, else ``recorded`` in its group."""
    if recorded is not None and recorded != content:
        return IndexVerdict(ident, "conflict", None, group, 0.0)
    if stored:
        return IndexVerdict.replayed(ident, stored)
    if group == ident:
        return IndexVerdict(ident, "new", None, group, 0.0, replay=True)
    return IndexVerdict(ident, "recorded", group, group, 0.0, replay=True)


def _store_for(location: str, create: bool = False, write: bool = True):
    if location.startswith(("redis://", "rediss://", "unix://")):
        from .redis import RedisStore

        return RedisStore(location)
    from .sqlite import SqliteStore

    return SqliteStore(location, create=create, write=write)


_NO_SIG = np.zeros(0, dtype=np.uint32)  # what an entry stored with its text keeps of its signatures



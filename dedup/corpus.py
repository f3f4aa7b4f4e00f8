"""The deduplicated corpus: which articles a grouping keeps, and a decision for every input record.

Sits after grouping (:mod:`dedup.engine.local`): ``dedup filter PATH... --out FILE`` groups the input,
then reads it again, in order, writing each kept article as a JSON Lines record and each record's
decision (kept, or the duplicate / variant of a kept one, or unreadable) to the decisions file.
The second read streams: the articles' texts are not held between the two.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from .article import Article, ReadProblem
from .io.fields import FieldMap
from .io.read import read

#: Which article of a duplicate set (or, dropping variants, of a story) is kept.
PREFER = ("earliest", "first", "longest")
#: What is dropped: the copies of an article (one per duplicate set kept), or every retelling
#: of a story too (one per story kept).
DROP = ("duplicates", "variants")

_LINE = re.compile(r":(\d+)$")


def decision(source: str, ident: str | None, verdict: str, of: str | None = None, group: int | None = None,
             similarity: float | None = None, **extra) -> dict:
    """One decision record, the same keys for ``filter`` with or without an index: where the record
    came from (``source``: a file, or ``file:LINE``; ``line``: that line, or null for a document
    file), its ``id`` (null when unreadable), the ``verdict``, the article it repeats (``of``), the
    group (named by an article of it: the index's group id, or the grouping's first member) and the
    similarity to ``of`` (null when there is no ``of``, or the pair was not verified); ``problem``,
    ``repaired`` and ``replay`` when there is one."""
    m = _LINE.search(source)
    out = {"source": source, "line": int(m.group(1)) if m else None, "id": ident, "verdict": verdict, "of": of,
           "group": None if group is None else str(group),
           "similarity": None if similarity is None or of is None else round(float(similarity), 4)}
    out.update({k: v for k, v in extra.items() if v})
    return out


def when(published: str) -> float | None:
    """A publication date as seconds since the epoch (UTC), or None when it cannot be read: ISO 8601
    (with or without a time and an offset; no offset is UTC), RFC 2822 (``Mon, 20 Jul 2015 10:00:00
    +0300``), or a number of seconds since the epoch."""
    text = str(published).strip()
    if not text:
        return None
    try:
        return float(text) if len(text) >= 9 else None  # an epoch, not a year
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1) if "-" in text[:8] else text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _order_key(article: Article, index: int, prefer: str) -> tuple:
    if prefer == "longest":
        return (-len(article.text), index)
    if prefer == "earliest":
        moment = when(article.published)
        return (moment is None, moment or 0.0, index)  # undated after dated, then the first read
    return (index,)


@dataclass(frozen=True)
class Choice:
    """What happens to one article: kept (``of`` is None), or dropped as the ``verdict`` of ``of``."""

    verdict: str
    of: int | None
    group: str  # the id of the group's first member
    similarity: float | None = None


def choose(result, prefer: str = "earliest", drop: str = "duplicates") -> list[Choice]:
    """For each article of ``result`` (a :class:`~dedup.engine.local.ClusterResult`), whether it is kept.

    Dropping duplicates, each duplicate set (an article and its copies) keeps one article; dropping
    variants, each story (a group) keeps one. The one kept is the earliest published (an undated
    article after the dated ones), else the first read; ``prefer="longest"``: the longest text
    (then the first read); ``prefer="first"``: the first read.
    """
    if prefer not in PREFER:
        raise ValueError(f"prefer must be one of {', '.join(PREFER)}, got {prefer!r}")
    if drop not in DROP:
        raise ValueError(f"drop must be one of {', '.join(DROP)}, got {drop!r}")
    arts = result.articles
    out: list[Choice | None] = [None] * len(arts)
    for g in result.groups:
        number = arts[g.members[0]].id
        original = {m: g.duplicate_of.get(m, m) for m in g.members}
        sims = {(i, j): v.similarity for i, j, v in g.edges} if len(g.members) > 1 else {}
        def sim(a: int, b: int) -> float | None:
            key = (min(a, b), max(a, b))
            if key in sims:
                return sims[key]
            verdict = result.verdicts.get(key)  # verified, though not an edge of the group
            return None if verdict is None else verdict.similarity
        sets: dict[int, list[int]] = {}
        for m in g.members:
            sets.setdefault(original[m], []).append(m)
        best = lambda ms: min(ms, key=lambda m: _order_key(arts[m], m, prefer))
        if drop == "variants":
            keeper = best(g.members)
            for m in g.members:
                if m == keeper:
                    out[m] = Choice("kept", None, number)
                else:
                    same = original[m] == original[keeper]
                    out[m] = Choice("duplicate" if same else "variant", keeper, number, sim(m, keeper))
            continue
        for members in sets.values():
            keeper = best(members)
            for m in members:
                out[m] = Choice("kept", None, number) if m == keeper else \
                    Choice("duplicate", keeper, number, sim(m, keeper))
    return out  # type: ignore[return-value]


def record(article: Article, fields: FieldMap) -> dict:
    """A kept article as a JSON Lines record: the input record as it was, every field kept (its id
    set only where reading renamed it, ``#2`` for an id met twice); a document file's article as
    its id, title and text."""
    if article.record is not None:
        out = dict(article.record)
        given = fields.get(article.record, "id")
        if given in (None, "") or str(given) != article.id:
            out[fields.id or next((k for k in FieldMap._DEFAULTS["id"] if k in out), "id")] = article.id
        return out
    out: dict = {fields.id or "id": article.id}
    for name, key, value in (("title", fields.title, article.title), ("outlet", fields.outlet, article.outlet),
                             ("published", fields.date, article.published)):
        if value:
            out[key or name] = value
    out[fields.text or "text"] = article.text
    for k, v in article.meta.items():
        out.setdefault(k, v)
    return out


def write(result, choices: list[Choice], paths: Iterable, fields: FieldMap, out, decisions,
          progress=None) -> dict[str, int]:
    """Read ``paths`` again, in order; write each kept article to ``out`` and every record's decision
    to ``decisions`` (text streams), in input order: kept, duplicate, variant, unreadable, or
    skipped (a hidden file or a link a folder's walk does not read). Returns the count of each.

    Raises
    ------
    ValueError
        When the input changed since it was grouped (an article that was not there).
    """
    arts = result.articles
    position = {a.id: k for k, a in enumerate(arts)}
    counts: dict[str, int] = {}

    def put(d: dict) -> None:
        counts[d["verdict"]] = counts.get(d["verdict"], 0) + 1
        decisions.write(json.dumps(d, ensure_ascii=False) + "\n")

    for item, notes in _in_order(paths, replace(fields, keep=True)):
        if isinstance(item, ReadProblem):
            skipped = "skipped" in item.problem and ":" not in item.source
            put(decision(item.source, None, "skipped" if skipped else "unreadable", problem=item.problem))
            continue
        k = position.get(item.id)
        if k is None:
            raise ValueError(f"{_source(item)}: not in the grouping (did the input change while it was read?)")
        c = choices[k]
        repaired = [n.problem for n in notes] or None
        if c.verdict == "kept":
            out.write(json.dumps(record(item, fields), ensure_ascii=False, default=str) + "\n")
            put(decision(_source(item), item.id, "kept", group=c.group, repaired=repaired))
        else:
            put(decision(_source(item), item.id, c.verdict, arts[c.of].id, c.group, c.similarity, repaired=repaired))
        if progress:
            progress("write", 1, len(arts))
    return counts


def _source(article: Article) -> str:
    """Where an article was read, as its problems name it: ``file:LINE`` for a record, the document's
    id (its path, relative to the folder given) for a document file."""
    return article.path if _LINE.search(article.path or "") else article.id


def _in_order(paths: Iterable, fields: FieldMap) -> Iterator[tuple[Article | ReadProblem, list[ReadProblem]]]:
    """The input's articles and the problems met reading it, in reading order; each article with
    the notes on faults repaired in it (those come before it)."""
    pending: list[ReadProblem] = []
    for article in read(paths, fields, on_problem=pending.append):
        notes = []
        for p in pending:
            if p.kept:
                notes.append(p)
            else:
                yield p, []
        pending.clear()
        yield article, notes
    for p in pending:
        if not p.kept:
            yield p, []

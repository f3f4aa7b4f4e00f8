"""The deduplicated corpus: which articles a grouping keeps, and a decision for every input record.

Sits after grouping (:mod:`dedup.pipeline`): ``dedup filter PATH... --out FILE`` groups the input,
then reads it again, in order, writing each kept article as a JSON Lines record and each record's
decision (kept, or the duplicate / variant of a kept one, or unreadable) to the decisions file.
The second read streams: the articles' texts are not held between the two.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .article import Article, ReadProblem
from .io import FieldMap, read

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
    group and the similarity; ``problem`` and ``repaired`` when there is one."""
    m = _LINE.search(source)
    out = {"source": source, "line": int(m.group(1)) if m else None, "id": ident, "verdict": verdict, "of": of,
           "group": group, "similarity": None if similarity is None else round(float(similarity), 4)}
    out.update({k: v for k, v in extra.items() if v})
    return out


def _order_key(article: Article, index: int, prefer: str) -> tuple:
    if prefer == "longest":
        return (-len(article.text), index)
    if prefer == "earliest":
        return (article.published == "", article.published, index)  # undated after dated
    return (index,)


@dataclass(frozen=True)
class Choice:
    """What happens to one article: kept (``of`` is None), or dropped as the ``verdict`` of ``of``."""

    verdict: str
    of: int | None
    group: int
    similarity: float | None = None


def choose(result, prefer: str = "earliest", drop: str = "duplicates") -> list[Choice]:
    """For each article of ``result`` (a :class:`~dedup.pipeline.ClusterResult`), whether it is kept.

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
    for number, g in enumerate(result.groups, 1):
        original = {m: g.duplicate_of.get(m, m) for m in g.members}
        sims = {(i, j): v.similarity for i, j, v in g.edges} if len(g.members) > 1 else {}
        sim = lambda a, b: sims.get((min(a, b), max(a, b)))
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
    """A kept article as a JSON Lines record: its id, title, outlet, publication date and text under
    the field names given (else ``id``, ``title``, ``outlet``, ``published``, ``text``), then every
    other field of its input record as it was."""
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
    to ``decisions`` (text streams), in input order. Returns the count of each verdict.

    Raises
    ------
    ValueError
        When the input changed since it was grouped (an article that was not there).
    """
    arts = result.articles
    position = {a.id: k for k, a in enumerate(arts)}
    counts: dict[str, int] = {}
    done = 0

    def put(d: dict) -> None:
        counts[d["verdict"]] = counts.get(d["verdict"], 0) + 1
        decisions.write(json.dumps(d, ensure_ascii=False) + "\n")

    for item in _in_order(paths, fields):
        if isinstance(item, ReadProblem):
            if item.kept:
                continue  # a note on a record read all the same (repaired, renamed): its decision comes with it
            put(decision(item.source, None, "unreadable", problem=item.problem))
            continue
        k = position.get(item.id)
        if k is None:
            raise ValueError(f"{item.path or item.id}: not in the grouping (did the input change while it was read?)")
        c = choices[k]
        if c.verdict == "kept":
            out.write(json.dumps(record(item, fields), ensure_ascii=False) + "\n")
            put(decision(item.path or item.id, item.id, "kept", group=c.group))
        else:
            put(decision(item.path or item.id, item.id, c.verdict, arts[c.of].id, c.group, c.similarity))
        done += 1
        if progress:
            progress("write", 1, len(arts))
    return counts


def _in_order(paths: Iterable, fields: FieldMap) -> Iterator[Article | ReadProblem]:
    """The input's articles and the problems met reading it, interleaved in reading order."""
    pending: list[ReadProblem] = []
    for article in read(paths, fields, on_problem=pending.append):
        yield from pending
        pending.clear()
        yield article
    yield from pending

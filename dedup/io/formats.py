"""Turning grouping results into JSON, JSON Lines, CSV and a text table.

The last stage of ``dedup cluster``: a :class:`~dedup.job.ClusterResult` (from either engine) in,
text out, with the same columns in every record format (``--explain`` adds each group's evidence).
Parquet goes through :mod:`dedup.io.parquet`.
"""

from __future__ import annotations

import csv
import io
import json
import re

from ..job import ClusterResult

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """``text`` with control characters (terminal escape sequences among them) shown as
    ``\\xNN``, so that an article or a file name cannot drive the terminal it is printed on.
    Newlines and tabs stay."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def spreadsheet_safe(cell: object) -> object:
    """A CSV cell that a spreadsheet will not run as a formula: text starting with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (OWASP's advice for CSV
    injection). Numbers stay numbers."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def _member(result: ClusterResult, group, index: int) -> dict:
    a = result.articles[index]
    out = {"id": a.id}
    if a.outlet:
        out["outlet"] = a.outlet
    if a.title:
        out["title"] = a.title
    if a.published:
        out["published"] = a.published
    if index in group.duplicate_of:
        out["duplicate_of"] = result.articles[group.duplicate_of[index]].id
    return out


def group_dict(result: ClusterResult, number: int, group, explain: bool = False) -> dict:
    out = {
        "id": number,
        "relation": group.relation,
        "size": len(group.members),
        "members": [_member(result, group, m) for m in group.members],
    }
    if len(group.members) > 1:
        out["pairs"] = [
            {
                "a": result.articles[i].id,
                "b": result.articles[j].id,
                "relation": v.relation,
                "similarity": round(v.similarity, 4),
            }
            for i, j, v in group.edges
        ]
    if explain:
        out["explain"] = explain_group(result, group)
    return out


def explain_group(result: ClusterResult, group) -> dict:
    """Why the members belong together: per verified pair, the figures and shared sentences;
    per member, the boilerplate removed."""
    pairs = []
    for i, j, v in group.edges:
        d = v.as_dict()
        d["evidence"]["shared_sentences"] = d["evidence"]["shared_sentences"][:5]
        pairs.append({"a": result.articles[i].id, "b": result.articles[j].id, **d})
    removed = {}
    for m in group.members:
        a = result.articles[m]
        if a.removed:
            removed[a.id] = [
                {"start": s, "end": e, "reason": r, "text": a.text[s:e][:120]} for s, e, r in a.removed
            ]
    return {"pairs": pairs, "boilerplate_removed": removed}


def to_json(result: ClusterResult, explain: bool = False) -> str:
    doc = {
        "summary": result.summary,
        "groups": [group_dict(result, n, g, explain) for n, g in enumerate(result.groups, 1)],
        "unreadable": [{"source": p.source, "problem": p.problem} for p in result.problems if not p.kept],
        "repaired": [{"source": p.source, "problem": p.problem} for p in result.problems if p.kept],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def rows(result: ClusterResult) -> list[dict]:
    """One row per article: its group number, the group's relation, id, metadata, duplicate_of."""
    return [{"group": n, "relation": g.relation, **_member(result, g, m)}
            for n, g in enumerate(result.groups, 1) for m in g.members]


#: The columns of one article's row, the same in JSON Lines, CSV and Parquet (absent values: null, or
#: an empty cell in CSV).
COLUMNS = ["group", "relation", "id", "outlet", "title", "published", "duplicate_of"]


def to_jsonl(result: ClusterResult, explain: bool = False) -> str:
    lines = [json.dumps({c: row.get(c) for c in COLUMNS}, ensure_ascii=False) for row in rows(result)]
    return "\n".join(lines) + ("\n" if lines else "")


PARQUET_COLUMNS = COLUMNS


def write_parquet(result: ClusterResult, path) -> None:
    """The JSON Lines rows as a Parquet file (columns :data:`PARQUET_COLUMNS`; absent values null)."""
    from .parquet import write_rows

    write_rows(rows(result), path, PARQUET_COLUMNS)


def to_csv(result: ClusterResult, explain: bool = False) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows(result):
        writer.writerow([spreadsheet_safe(row.get(c, "")) for c in COLUMNS])
    return buf.getvalue()


def to_table(result: ClusterResult, explain: bool = False) -> str:
    lines = []
    for n, g in enumerate(result.groups, 1):
        if len(g.members) == 1 and not explain:
            continue
        lines.append(f"group {n}  {g.relation}  ({len(g.members)} articles)")
        for m in g.members:
            row = _member(result, g, m)
            dup = f"  = copy of {row['duplicate_of']}" if "duplicate_of" in row else ""
            outlet = f"[{row['outlet']}] " if "outlet" in row else ""
            headline = row.get("title") or result.articles[m].body.strip().split("\n", 1)[0]
            lines.append(f"  {row['id']}  {outlet}{headline[:70]}{dup}")
        if explain and len(g.members) > 1:
            ex = explain_group(result, g)
            for p in ex["pairs"]:
                e = p["evidence"]
                lines.append(
                    f"    {p['a']} ~ {p['b']}: {p['relation']} {p['similarity']:.2f} "
                    f"(5-gram jaccard {e['shingle_jaccard']:.2f}, containment {e['containment']:.2f}, "
                    f"tf-idf {e['tfidf_cosine']:.2f}, facts {e['fact_score']:.2f})"
                )
                for s in e["shared_sentences"][:3]:
                    lines.append(f"      shared ({s['similarity']:.2f}): {s['a'][:110]}")
                    lines.append(f"                    {s['b'][:110]}")
            for ident, spans in ex["boilerplate_removed"].items():
                kinds = ", ".join(sorted({s["reason"] for s in spans}))
                chars = sum(s["end"] - s["start"] for s in spans)
                lines.append(f"    boilerplate removed from {ident}: {chars} characters ({kinds})")
        lines.append("")
    singles = sum(1 for g in result.groups if len(g.members) == 1)
    s = result.summary
    lines.append(
        f"{s['articles']} articles: {s['duplicate_groups']} duplicate groups, {s['variant_groups']} variant groups, "
        f"{singles} unique" + (f", {s['unreadable']} unreadable" if s["unreadable"] else "")
    )
    return terminal_safe("\n".join(lines) + "\n")


WRITERS = {"table": to_table, "json": to_json, "jsonl": to_jsonl, "csv": to_csv}

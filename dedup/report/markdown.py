"""The variant report as Markdown that renders on a code-hosting site.

Tables sit inside ``<div dir="rtl">`` so Arabic reads right to left. Article text is
HTML-escaped, its Markdown punctuation backslash-escaped and its web addresses broken
with a zero-width space, so that it can neither break the page nor bring in a remote
image or a link (``![x](http://…)``, ``<http://…>``, a bare ``www.`` address).
"""

from __future__ import annotations

import re
from html import escape

from .wording import DISAGREEMENT_AR

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!~-])")
_ADDRESS = re.compile(r"(?i)(?<=[a-z])(:)(?=//)|(?<=www)(\.)")


def _cell(text: str) -> str:
    text = escape(_MARKDOWN.sub(r"\\\1", text.replace("\n", " ")), quote=False).replace("|", "&#124;")
    return _ADDRESS.sub(lambda m: m.group() + "&#8203;", text)


def _diff(ops: list[list[str]]) -> str:
    tags = {"=": "{}", "-": "<del>{}</del>", "+": "<ins>{}</ins>"}
    return " ".join(tags[op].format(_cell(text)) for op, text in ops)


def render(report: dict) -> str:
    lines = ["# تقرير الاختلافات بين المصادر", ""]
    groups = report["groups"]
    if not groups:
        return "\n".join(lines + ["لا توجد مجموعات تضم أكثر من مقال.", ""])
    if len(groups) > 1:
        lines += [f"- [المجموعة {g['id']}](#group-{g['id']})" for g in groups] + [""]
    for g in groups:
        ids = [a["id"] for a in g["articles"]]
        outlets = {o["article"]: o for o in g["outlets"]}
        headline = g.get("headline") or g["articles"][0]["title"] or ""
        lines += [f'<a id="group-{g["id"]}"></a>', "",
                  f"## المجموعة {g['id']}: {_cell(headline)}" if headline else f"## المجموعة {g['id']}", ""]
        lines.append('<div dir="rtl">')
        lines.append("")
        lines.append(f"{g.get('relation_ar', g['relation'])}، {len(ids)} مقالات")
        lines.append("")
        arts = {a["id"]: a for a in g["articles"]}
        for o in g["outlets"]:
            a = arts[o["article"]]
            when = f" ({_cell(a['published'])})" if a.get("published") else ""
            first = " — نشر أولاً" if g.get("first") == o["article"] else ""
            title = f": «{_cell(a['title'])}»" if a.get("title") else ""
            lines.append(
                f"- **{_cell(o['label'])}**{title}{when}{first} — يشارك {len(o['shared'])}، يضيف {len(o['added'])}، "
                f"يسقط {len(o['dropped'])}" + (f"، يختلف في {len(o['disagreements'])}" if o["disagreements"] else "")
            )
        lines.append("")
        lines.append("| # | " + " | ".join(_cell(a["label"]) for a in g["articles"]) + " |")
        lines.append("|---|" + "---|" * len(ids))
        for f in g["facts"]:
            cells = []
            for aid in ids:
                s = f["sentences"].get(aid)
                if s is None:
                    if f["id"] in outlets[aid]["dropped"]:
                        cells.append("**أسقطه**")
                    else:
                        cells.append("◐ ضمن جملة أخرى" if aid in f.get("also_in", ()) else "—")
                elif "diff" in s:
                    cells.append(_diff(s["diff"]))
                else:
                    cells.append(("➕ " if f["id"] in outlets[aid]["added"] and len(ids) > 1 else "") + _cell(s["text"]))
            mark = " ⚠️" if f["disagreements"] else ""
            lines.append(f"| {f['id']}{mark} | " + " | ".join(cells) + " |")
        lines.append("")
        for f in g["facts"]:
            for d in f["disagreements"]:
                kind = DISAGREEMENT_AR.get(d["kind"], d["kind"])
                versions = "؛ ".join(f"{_cell(outlets[k]['label'])}: {_cell(' / '.join(v))}" for k, v in d["versions"].items())
                lines.append(f"- ⚠️ {f['id']} اختلاف {kind}: {versions}")
        lines += ["", "</div>", ""]
    return "\n".join(lines)

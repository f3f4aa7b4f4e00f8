"""The variant report as one self-contained, right-to-left HTML page (no network, inline CSS).

Draws the dict that :mod:`dedup.report.variants` builds, worded as :mod:`dedup.report.wording`
says. Every piece of article text goes through :func:`html.escape`: an article that
contains ``<script>`` shows it as text.
"""

from __future__ import annotations

from html import escape

from .wording import DISAGREEMENT_AR

CSS = """
body{font-family:"Noto Naskh Arabic","Amiri","Arial",sans-serif;margin:1.5rem;color:#1d1d1f;background:#fff;line-height:1.7}
h1{font-size:1.5rem;margin:0 0 .5rem}h2{font-size:1.2rem;margin:2rem 0 .5rem;border-bottom:2px solid #ddd}
nav ol{margin:.2rem 1.5rem}table{border-collapse:collapse;width:100%;table-layout:fixed}
th,td{border:1px solid #ccc;padding:.35rem .5rem;vertical-align:top;text-align:right;font-size:.92rem}
th{background:#f3f3f6;position:sticky;top:0}th small{display:block;font-weight:normal;color:#666;direction:ltr;unicode-bidi:isolate}
th.fid,td.fid{width:3.2rem;color:#666;font-size:.8rem;direction:ltr;text-align:center}
tr.common td{background:#fff}tr.partial td{background:#fbfbfb}
td.added{background:#e3f6e5 !important;box-shadow:inset -4px 0 #2e9d45}
td.missing{color:#999;text-align:center}td.dropped{background:#fde8e8 !important;color:#b42318}
tr.disagree td.cell{box-shadow:inset -4px 0 #d98e04}.badge{display:inline-block;font-size:.75rem;padding:0 .35rem;border-radius:.3rem;margin-inline-start:.3rem}
.b-dis{background:#fff1d6;color:#8a5a00}.b-add{background:#e3f6e5;color:#1e6b30}.b-drop{background:#fde8e8;color:#b42318}
ins{background:#c9f0cf;text-decoration:none}del{background:#f8d0d0;color:#8a1c1c}
bdi.id{direction:ltr;unicode-bidi:isolate}tr.note td{background:#fffaf0;border-top:none}
.legend span{margin-inline-end:1rem}.meta{margin:.2rem 0;color:#555}.b-first{background:#e6eefc;color:#1b3d8f}
.outlet .title{color:#333}table.matrix th.mark,table.matrix td.mark{width:3.2rem;text-align:center;font-size:.8rem}
td.mark.has{color:#1e6b30}td.mark.dropped{color:#b42318;background:#fde8e8}td.mark.missing{color:#bbb}td.mark.also{color:#1e6b30}td.missing.also{color:#1e6b30;font-size:.8rem}
.by{font-size:.75rem;color:#777}details summary{cursor:pointer;color:#555;font-size:.85rem}ul.wordings li{margin:.2rem 0}.outlet time{color:#666;font-size:.85rem;direction:ltr;unicode-bidi:isolate}.summary li{margin:.1rem 0}.dis{font-size:.85rem;color:#8a5a00;margin-top:.25rem}
"""

LEGEND = (
    '<p class="legend"><span class="badge b-add">أضافه</span>خبر انفرد به هذا المصدر '
    '<span class="badge b-drop">أسقطه</span>خبر ذكرته أغلب المصادر الأخرى وغاب هنا '
    '<span class="badge b-dis">اختلاف</span>أرقام أو اقتباسات أو أيام أو جنسيات مختلفة '
    "◐ ضمن جملة أخرى: يرد الخبر داخل جملة أطول من المقال "
    "<ins>مضاف</ins> <del>محذوف</del> مقارنة بنص العمود الأول في الصف</p>"
)


def _diff_html(ops: list[list[str]]) -> str:
    tags = {"=": "{}", "-": "<del>{}</del>", "+": "<ins>{}</ins>"}
    return " ".join(tags[op].format(escape(text)) for op, text in ops)


def _label(label: str) -> str:
    """A column label, isolated so a Latin file name does not scramble the right-to-left line."""
    return f'<bdi class="id">{escape(label)}</bdi>'


def _group(g: dict) -> str:
    ids = [a["id"] for a in g["articles"]]
    outlets = {o["article"]: o for o in g["outlets"]}
    headline = g.get("headline") or ""
    out = [f'<section id="group-{escape(str(g["id"]))}"><h2>المجموعة {escape(str(g["id"]))}'
           + (f': <span class="headline">{escape(headline)}</span>' if headline else "") + "</h2>"
           f'<p class="meta"><span class="badge">{escape(g.get("relation_ar", g["relation"]))}</span> '
           f'{len(ids)} مقالات</p>']
    out.append('<ul class="summary">')
    arts = {a["id"]: a for a in g["articles"]}
    for o in g["outlets"]:
        a = arts[o["article"]]
        out.append(
            f'<li class="outlet"><b>{_label(o["label"])}</b>'
            + (f' <span class="title">«{escape(a["title"])}»</span>' if a.get("title") else "")
            + (f' <time>{escape(a["published"])}</time>' if a.get("published") else "")
            + (' <span class="badge b-first">نشر أولاً</span>' if g.get("first") == o["article"] else "")
            + f' — يشارك {len(o["shared"])}، '
            f'<span class="badge b-add">يضيف {len(o["added"])}</span>'
            f'<span class="badge b-drop">يسقط {len(o["dropped"])}</span>'
            + (f'<span class="badge b-dis">يختلف في {len(o["disagreements"])}</span>' if o["disagreements"] else "")
            + "</li>"
        )
    out.append("</ul>")
    if len(ids) >= MATRIX_FROM:
        out.append(_matrix(g, ids, outlets))
        out.append("</section>")
        return "\n".join(out)
    head = "".join(f"<th>{_label(a['label'])}" + (f"<small>{escape(a['id'])}</small>" if a["label"] != a["id"] else "")
                   + "</th>" for a in g["articles"])
    out.append(f'<table class="facts"><thead><tr><th class="fid">#</th>{head}</tr></thead><tbody>')
    for f in g["facts"]:
        classes = [f["kind"]] + (["disagree"] if f["disagreements"] else [])
        cells = []
        for aid in ids:
            s = f["sentences"].get(aid)
            if s is None:
                dropped = f["id"] in outlets[aid]["dropped"]
                if aid in f.get("also_in", ()):
                    cells.append(f'<td class="missing also" title="{ALSO_TITLE}">{ALSO}</td>')
                else:
                    cells.append(f'<td class="missing{" dropped" if dropped else ""}">{"أسقطه" if dropped else "—"}</td>')
                continue
            body = _diff_html(s["diff"]) if "diff" in s else escape(s["text"])
            cls = "cell added" if f["id"] in outlets[aid]["added"] and len(ids) > 1 else "cell"
            cells.append(f'<td class="{cls}" title="{s["start"]}–{s["end"]}">{body}</td>')
        out.append(f'<tr class="{" ".join(classes)}" id="fact-{escape(f["id"])}"><td class="fid">{escape(f["id"])}</td>{"".join(cells)}</tr>')
        notes = _notes(f, outlets)
        if notes:
            out.append(f'<tr class="note"><td class="fid"></td><td colspan="{len(ids)}">{notes}</td></tr>')
    out.append("</tbody></table></section>")
    return "\n".join(out)


#: The mark of an outlet that tells a fact inside a sentence aligned with another fact.
ALSO = "◐ ضمن جملة أخرى"
ALSO_TITLE = "يرد هذا الخبر ضمن جملة أخرى من المقال"

#: From this many articles a group is drawn as a matrix: each fact once, a coverage mark per outlet.
MATRIX_FROM = 4


def _notes(f: dict, outlets: dict) -> str:
    """A fact's number and quote disagreements, each with every outlet's version."""
    notes = ""
    for d in f["disagreements"]:
        versions = " ⟷ ".join(f"{_label(outlets[k]['label'])}: {escape(' / '.join(v))}" for k, v in d["versions"].items())
        kind = DISAGREEMENT_AR.get(d["kind"], d["kind"])
        notes += f'<div class="dis"><span class="badge b-dis">اختلاف {kind}</span> {versions}</div>'
    return notes


def _matrix(g: dict, ids: list[str], outlets: dict) -> str:
    """Many outlets: each fact once, in its most complete wording (the longest), a mark per outlet
    (carries it, dropped it, absent), and the other wordings with their word-level differences
    against the shown one inside ``<details>`` (no script needed)."""
    from .wording import word_diff

    labels = {a["id"]: a["label"] for a in g["articles"]}
    head = "".join(f'<th class="mark">{_label(labels[aid])}</th>' for aid in ids)
    out = [f'<table class="matrix"><thead><tr><th class="fid">#</th><th>الخبر</th>{head}</tr></thead><tbody>']
    for f in g["facts"]:
        sents = f["sentences"]
        shown = max(sents, key=lambda k: (len(sents[k]["text"]), -ids.index(k)))
        text = sents[shown]["text"]
        marks = []
        for aid in ids:
            if aid in sents:
                marks.append(f'<td class="mark has" title="{escape(labels[aid])}">●</td>')
            elif f["id"] in outlets[aid]["dropped"]:
                marks.append('<td class="mark dropped" title="أسقطه">✕</td>')
            elif aid in f.get("also_in", ()):
                marks.append(f'<td class="mark also" title="{ALSO_TITLE}">◐</td>')
            else:
                marks.append('<td class="mark missing">·</td>')
        others = [k for k in ids if k in sents and k != shown]
        details = ""
        if others:
            items = "".join(f"<li>{_label(labels[k])}: {_diff_html(word_diff(text, sents[k]['text']))}</li>" for k in others)
            details = f'<details><summary>صيغ {len(others)} مصادر أخرى</summary><ul class="wordings">{items}</ul></details>'
        classes = [f["kind"]] + (["disagree"] if f["disagreements"] else [])
        source = f'<span class="by">{_label(labels[shown])}</span>'
        out.append(f'<tr class="{" ".join(classes)}" id="fact-{escape(f["id"])}"><td class="fid">{escape(f["id"])}</td>'
                   f'<td class="cell">{escape(text)} {source}{details}{_notes(f, outlets)}</td>{"".join(marks)}</tr>')
    out.append("</tbody></table>")
    return "\n".join(out)


def render(report: dict, title: str = "تقرير الاختلافات بين المصادر") -> str:
    """The whole report as an HTML document (string)."""
    groups = report["groups"]
    toc = ""
    if len(groups) > 1:
        items = "".join(
            f'<li><a href="#group-{escape(str(g["id"]))}">المجموعة {escape(str(g["id"]))}: '
            f'{escape(g.get("headline") or g["articles"][0]["title"] or g["articles"][0]["id"])} ({len(g["articles"])})</a></li>'
            for g in groups
        )
        toc = f'<nav><h2>المحتويات</h2><ol>{items}</ol></nav>'
    body = "\n".join(_group(g) for g in groups) or "<p>لا توجد مجموعات تضم أكثر من مقال.</p>"
    return (
        '<!DOCTYPE html>\n<html lang="ar" dir="rtl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>{LEGEND}{toc}{body}</body></html>\n"
    )

"""Variant reports: which facts each outlet added, dropped or shares, and where they disagree.

The report is a plain, JSON-ready dict; :mod:`dedup.report.html` and
:mod:`dedup.report.markdown` draw it. Schema ``dedup.report/1``::

    {"schema": "dedup.report/1",
     "groups": [{
        "id": 1, "relation": "variant", "relation_ar": "روايات لخبر واحد",
        "headline": "…",          # the story's headline (the title of the article sharing most facts)
        "first": article_id | null,   # who published first, when the dates tell
        "articles": [{"id", "label", "outlet", "title", "published"}],   # columns, in this order
                # title: the article's own, else its first line when it is headline-short
        "facts": [{            # the facts most outlets carry first
            "id": "1.3",
            "kind": "common" | "partial" | "unique",     # in all / several / one article(s)
            "sentences": {article_id: {"text", "start", "end", "diff"?}},
                # start/end: offsets into the article's original text;
                # diff: word-level ops against the fact's first sentence, [["=", "…"], ["-", "…"], ["+", "…"]]
            "also_in": [article ids],   # not in sentences, but told inside a sentence aligned elsewhere
            "similarity": {"min", "mean"} | null,
            "disagreements": [{"kind": "number" | "quote" | "day" | "month" | "nationality" | "rank",
                               "versions": {article_id: [values]}}]}],
        "outlets": [{"article", "label", "added": [fact ids],   # unique facts with no also_in
                     "dropped": [fact ids],   # most others carry it; not in sentences nor also_in
                     "shared": [fact ids], "disagreements": [fact ids], "summary": "…"}]}]}
"""

from __future__ import annotations

from collections.abc import Iterable

from .align import MATCH, Alignment, align
from ..article import Article
from .disagreements import find_disagreements
from .wording import word_diff

SCHEMA = "dedup.report/1"

def _labels(articles: list[Article]) -> list[str]:
    base = [a.outlet or a.id for a in articles]
    return [f"{b} ({a.id})" if base.count(b) > 1 else b for a, b in zip(articles, base)]


def sentence_encoder(semantic: bool = False):
    """The sentence encoder for alignment: the semantic extra's when ``semantic`` is true, else
    ``None`` (lexical alignment only).

    Off by default: on hand-aligned SaudiNewsNet pairs of 2015-08-09 it found 2 more linked sentence
    pairs and took 2 wrong ones (``docs/report_alignment.md``).

    Raises ImportError when ``semantic`` is true and the extra is not installed.
    """
    from . import semantic as extra

    if not semantic:
        return None
    if not extra.available():
        raise ImportError(extra.MISSING)
    return extra.encode


def group_report(articles: list[Article], group_id: int | str = 1, relation: str = "variant",
                 encode=None) -> dict:
    """The report of one group of articles (already stripped of boilerplate).

    ``encode``: sentence vectors for paraphrase alignment (:func:`sentence_encoder`), or ``None``.
    """
    alignment: Alignment = align(articles, encode=encode)
    n = len(articles)
    ids = [a.id for a in articles]
    labels = _labels(articles)
    facts = []
    # the facts most outlets carry first; among equals, in the order the articles tell them
    ranked = sorted(alignment.facts, key=lambda f: -len(f.sentences))
    for number, fact in enumerate(ranked, 1):
        order = sorted(fact.sentences)
        ref_text = alignment.sentences[order[0]][fact.sentences[order[0]]].text
        sentences = {}
        for k in order:
            s = alignment.sentences[k][fact.sentences[k]]
            entry = {
                "text": s.text,
                "start": articles[k].original_offset(s.start),
                "end": articles[k].original_offset(s.end - 1) + 1,
            }
            if k != order[0]:
                entry["diff"] = word_diff(ref_text, s.text)
            sentences[ids[k]] = entry
        sims = list(fact.similarity.values())
        # articles that do not carry the fact but have a sentence that would match it, aligned with
        # another fact (one sentence per article per fact): they tell it inside another sentence
        also = [ids[k] for k in range(n) if k not in fact.sentences and alignment.closest(fact, k) >= NEAR]
        facts.append(
            {
                "id": f"{group_id}.{number}",
                "kind": "common" if len(order) == n else ("unique" if len(order) == 1 else "partial"),
                "sentences": sentences,
                "also_in": also,
                "similarity": {"min": min(sims), "mean": round(sum(sims) / len(sims), 4)} if sims else None,
                "disagreements": find_disagreements({k: v["text"] for k, v in sentences.items()}) if len(order) > 1 else [],
            }
        )
    outlets = []
    for k, a in enumerate(articles):
        others = n - 1
        # added: no other article carries it, nor tells it inside another sentence
        added = [f["id"] for f in facts if list(f["sentences"]) == [a.id] and not f["also_in"]]
        shared = [f["id"] for f in facts if a.id in f["sentences"] and len(f["sentences"]) > 1]
        # dropped: most others carry it, and nothing of this article comes near it (the fact may sit
        # inside a longer sentence of this article that was aligned with another fact)
        dropped = [f["id"] for f in facts if a.id not in f["sentences"] and others
                   and len(f["sentences"]) > others / 2 and a.id not in f["also_in"]]
        disagree = [f["id"] for f in facts if a.id in f["sentences"] and f["disagreements"]]
        outlets.append(
            {
                "article": a.id,
                "label": labels[k],
                "added": added,
                "dropped": dropped,
                "shared": shared,
                "disagreements": disagree,
                "summary": f"{labels[k]}: يشارك {len(shared)}، يضيف {len(added)}، يسقط {len(dropped)}"
                + (f"، يختلف في {len(disagree)}" if disagree else ""),
            }
        )
    titles = [headline(a) for a in articles]
    carried = [len(o["shared"]) for o in outlets]
    dated = sorted((a.published, k) for k, a in enumerate(articles) if a.published)
    return {
        "id": group_id,
        "relation": relation,
        "relation_ar": RELATIONS_AR.get(relation, relation),
        # the story's headline: the title of the titled article sharing the most facts with the others
        "headline": titles[max(range(n), key=lambda k: (bool(titles[k]), carried[k], -k))] if n else "",
        "first": ids[dated[0][1]] if dated and (len(dated) == 1 or dated[0][0] < dated[1][0]) else None,
        "articles": [
            {"id": a.id, "label": labels[k], "outlet": a.outlet, "title": titles[k], "published": a.published}
            for k, a in enumerate(articles)
        ],
        "facts": facts,
        "outlets": outlets,
    }


#: A fact counts as dropped by an article only when no sentence of the article comes this near one
#: of the fact's (character TF-IDF cosine): the match threshold of the alignment, so that a sentence
#: which would match the fact but was aligned with another fact (one sentence per article per fact)
#: does not make the fact "dropped".
NEAR = MATCH

#: The relations of a group, as the report names them.
RELATIONS_AR = {"duplicate": "نسخ مكررة", "variant": "روايات لخبر واحد", "pair": "مقارنة مقالين"}
#: A first line of more words than this is a paragraph, not a headline.
HEADLINE_MAX_WORDS = 25


def headline(a: Article) -> str:
    """An article's title: the one it was given, else the first line of its text once boilerplate is
    stripped (site chrome is gone by then; tag, credit and byline lines are passed over), when that
    line is short enough to be a headline."""
    from ..text.boilerplate import is_byline, is_chrome_sentence

    if a.title.strip():
        return a.title.strip()
    body = a.clean if a.clean is not None else a.text
    first = next((ln.strip() for ln in body.splitlines()
                  if ln.strip() and not is_chrome_sentence(ln) and not is_byline(ln)), "")
    return first if len(first.split()) <= HEADLINE_MAX_WORDS else ""


def build(groups: Iterable[tuple[int | str, str, list[Article]]], semantic: bool = False) -> dict:
    """A report over several groups: ``(id, relation, articles)`` each.

    ``semantic``: also align paraphrases with the semantic extra's sentence vectors.
    """
    encode = sentence_encoder(semantic)
    return {"schema": SCHEMA, "groups": [group_report(arts, gid, rel, encode) for gid, rel, arts in groups]}


def from_result(result, group_ids: list[int] | None = None, min_size: int = 2, semantic: bool = False) -> dict:
    """The report of a :class:`~dedup.engine.local.ClusterResult`: the chosen groups, or all with ``min_size`` members."""
    chosen = []
    for number, g in enumerate(result.groups, 1):
        if group_ids is not None and number not in group_ids:
            continue
        if group_ids is None and len(g.members) < min_size:
            continue
        chosen.append((number, g.relation, [result.articles[m] for m in g.members]))
    return build(chosen, semantic)


def report(paths, group_ids: list[int] | None = None, semantic: bool = False, **cluster_kwargs) -> dict:
    """Group the articles under ``paths`` and report the chosen groups (default: all with 2+ members)."""
    from ..engine.local import cluster

    return from_result(cluster(paths, **cluster_kwargs), group_ids, semantic=semantic)


def diff(a: Article, b: Article, semantic: bool = False) -> dict:
    """The report of any two articles, grouped or not (boilerplate markers stripped)."""
    from ..text.boilerplate import Boilerplate

    cleaner = Boilerplate()
    for article in (a, b):
        if article.clean is None:
            cleaner.strip(article)
    return build([(1, "pair", [a, b])], semantic)


def render(report_: dict, fmt: str) -> str:
    """``html``, ``md`` or ``json`` text of a report."""
    import json

    if fmt == "html":
        from .html import render as html

        return html(report_)
    if fmt == "md":
        from .markdown import render as md

        return md(report_)
    if fmt == "json":
        return json.dumps(report_, ensure_ascii=False, indent=2) + "\n"
    raise ValueError(f"format must be html, md or json, got {fmt!r}")

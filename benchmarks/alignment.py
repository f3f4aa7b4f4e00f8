"""The report's sentence alignment against hand-aligned article pairs.

Each labelled pair (``labels/alignment_{train,test}.jsonl``, protocol in
``labels/ALIGNMENT_PROTOCOL.md``) is aligned as a group of two; a predicted link
is a fact holding one piece of each article, counted for the labelled sentences
that hold the two pieces (the alignment cuts sentences into statements, the
labels number whole sentences, by their character spans in the article's
text, so the labels hold whatever the alignment's units become). Precision: predicted links that
the labels hold (``same`` or ``partial``); recall: labelled links predicted, and
``same`` links predicted. And the report's *added* marks: a fact marked added
by one article is wrong when the labels link its sentence to a sentence of the
other article. Lexical alignment always; with the semantic extra
installed, also with sentence vectors (:data:`dedup.report.align.RESCUE` was chosen on
the train pairs; the test pairs of 2015-08-09 were not used to choose anything).
"""

from __future__ import annotations

import json
import time

from dedup.report.align import align
from dedup.report.variants import group_report

from .datasets import LABELS, saudinewsnet


def pairs(split: str) -> list[dict]:
    """The labelled pairs of ``split`` with their articles read from SaudiNewsNet."""
    with open(LABELS / f"alignment_{split}.jsonl", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    wanted = {r[k] for r in records for k in ("a", "b")}
    days = sorted({r["day"] for r in records})
    found = {}
    for day in days:
        found.update({a.id: a for a in saudinewsnet(day) if a.id in wanted})
    for r in records:
        for side in ("a", "b"):
            article = found[r[side]]
            if len(r[f"{side}_spans"]) != r[f"{side}_sentences"] or r[f"{side}_spans"][-1][1] > len(article.body):
                raise ValueError(f"alignment_{split}.jsonl pair {r['pair']}: the spans of article {article.id} "
                                 "do not fit its text")
            r[f"{side}_article"] = article
    return records


def score(records: list[dict], encode=None) -> dict:
    tp = fp = same_found = added_right = added_wrong = 0
    links = same = 0
    for r in records:
        labelled = {(i, j): kind for i, j, kind in r["links"]}
        result = align([r["a_article"], r["b_article"]], encode=encode)
        spans = [r["a_spans"], r["b_spans"]]

        def sentence(k: int, piece: int) -> int | None:
            """The labelled sentence holding a piece (None: a piece the labels do not number)."""
            start = result.sentences[k][piece].start
            return next((i for i, (lo, hi) in enumerate(spans[k]) if lo <= start < hi), None)

        predicted = {(sentence(0, f.sentences[0]), sentence(1, f.sentences[1]))
                     for f in result.facts if len(f.sentences) == 2}
        linked = [{i for i, _ in labelled}, {j for _, j in labelled}]
        report = group_report([r["a_article"], r["b_article"]], encode=encode)
        facts = {f["id"]: f for f in report["facts"]}
        for k, outlet in enumerate(report["outlets"]):
            for fid in outlet["added"]:
                start = facts[fid]["sentences"][outlet["article"]]["start"]
                held = next((i for i, (lo, hi) in enumerate(spans[k]) if lo <= start < hi), None)
                if held is not None:
                    added_wrong += held in linked[k]
                    added_right += held not in linked[k]
        tp += len(predicted & labelled.keys())
        fp += len(predicted - labelled.keys())
        same_found += sum(1 for x in predicted if labelled.get(x) == "same")
        links += len(labelled)
        same += sum(kind == "same" for kind in labelled.values())
    return {"pairs": len(records), "links": links, "same_links": same, "predicted": tp + fp, "right": tp,
            "wrong": fp, "precision": round(tp / max(tp + fp, 1), 3), "recall": round(tp / max(links, 1), 3),
            "same_recall": round(same_found / max(same, 1), 3),
            "added": added_right + added_wrong, "added_wrong": added_wrong,
            "added_precision": round(added_right / max(added_right + added_wrong, 1), 3)}


def run() -> dict:
    from dedup.report import semantic

    encoders = {"lexical": None}
    if semantic.available():
        encoders["semantic"] = semantic.encode
    out = {}
    for split in ("train", "test"):
        records = pairs(split)
        for name, encode in encoders.items():
            start = time.perf_counter()
            out[f"{split}_{name}"] = {**score(records, encode), "seconds": round(time.perf_counter() - start, 2)}
    return out


def table(results: dict) -> str:
    rows = ["| split / alignment | links | predicted | right | wrong | precision | recall | same recall | added (wrong) |",
            "|---|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        if isinstance(r, dict) and "precision" in r:
            rows.append(f"| {name} | {r['links']} | {r['predicted']} | {r['right']} | {r['wrong']} | "
                        f"{r['precision']:.3f} | {r['recall']:.3f} | {r['same_recall']:.3f} | {r['added']} ({r['added_wrong']}) |")
    return "\n".join(rows)

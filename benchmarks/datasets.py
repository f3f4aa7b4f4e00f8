"""Evaluation and benchmark data, built by code from ../shared (never copied into the package).

* :func:`saudinewsnet` — the 31,030 SaudiNewsNet records as :class:`~dedup.Article`;
* :func:`near_duplicates` — reposts of SaudiNewsNet articles with known truth:
  other-site boilerplate, truncation, dropped or reordered paragraphs, rewritten
  headline, diacritics, tatweel, letter variants, Persian forms, Arabic-Indic
  digits, HTML wrapping; written as a folder of files so the real readers run;
* :func:`events` — articles of one SaudiNewsNet day with hand-checked event labels
  (``benchmarks/labels/``);
* :func:`seeds` and :func:`ans_pairs`.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
from collections.abc import Iterator
from pathlib import Path

from dedup import Article
from dedup.text.normalize import tokens
from dedup.match.shingle import as_set, jaccard, word_shingles

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SAUDINEWSNET = SHARED / "data" / "saudinewsnet" / "saudinewsnet.jsonl.gz"
ANS = SHARED / "data" / "ans"
LABELS = Path(__file__).resolve().parent / "labels"

#: Days whose articles are used for calibration (dev); the rest are held out (test).
DEV_DAYS = ("2015-07-2",)  # 2015-07-21 .. 2015-07-27
DEV_EVENT_DAY, TEST_EVENT_DAY = "2015-08-02", "2015-08-09"
#: Days labelled by event (benchmarks/labels/PROTOCOL.md), split by day: the model learns from the
#: train days, its operating point is chosen on the dev day, the test days are only reported.
TRAIN_EVENT_DAYS = ("2015-08-01", "2015-08-03", "2015-08-04", "2015-08-07")
TEST_EVENT_DAYS = ("2015-08-08", TEST_EVENT_DAY)


def event_labels(day: str) -> dict[str, str]:
    """The hand-checked event of each labelled article of ``day`` (id -> event)."""
    name = {DEV_EVENT_DAY: "dev", TEST_EVENT_DAY: "test"}.get(day, day)
    with open(LABELS / f"saudinewsnet_events_{name}.jsonl", encoding="utf-8") as fh:
        return {r["id"]: r["event"] for r in map(json.loads, fh)}


def saudinewsnet(day: str | None = None, min_words: int = 1) -> Iterator[Article]:
    """SaudiNewsNet records (optionally one crawl day) with a non-empty body."""
    if not SAUDINEWSNET.exists():
        raise FileNotFoundError(f"{SAUDINEWSNET}: SaudiNewsNet is read from ../shared beside the checkout")
    with gzip.open(SAUDINEWSNET, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if day and not r["date_extracted"].startswith(day):
                continue
            if len(r["content"].split()) < min_words:
                continue
            yield Article(str(r["id"]), r["content"], title=r["title"], outlet=r["source"],
                          published=r["date_extracted"][:10], meta={"url": r["url"], "time": r["date_extracted"]})


# --- near-duplicate transformations -------------------------------------------------

_HARAKAT = "\u064e\u064f\u0650\u0651\u0652\u064b"
_HEADERS = ["الرئيسية", "أخبار محلية", "A+\nA-", "شارك الخبر عبر فيسبوك تويتر واتساب"]
_FOOTERS = ["كلمات دلالية: {tags}", "مقالات ذات صلة\n{related}", "اترك تعليقاً\n\nلن يتم نشر عنوان بريدك الإلكتروني.",
            "اقرأ أيضاً:\n{related}"]


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n") if p.strip()]


def _per_word(text: str, rng: random.Random, rate: float, change) -> str:
    return " ".join(change(w) if rng.random() < rate else w for w in text.split(" "))


def t_boilerplate(a: Article, rng: random.Random, others: list[Article]) -> Article:
    related = "\n".join(o.title for o in rng.sample(others, 5))
    tags = " ".join(rng.sample(tokens(a.title) or ["خبر"], min(3, len(tokens(a.title) or ["خبر"]))))
    head = rng.choice(_HEADERS)
    foot = "\n\n".join(f.format(related=related, tags=tags) for f in rng.sample(_FOOTERS, 2))
    return _with(a, f"{head}\n\n{a.text}\n\n{foot}")


def t_truncate(a, rng, others):
    paras = _paragraphs(a.text)
    keep = max(1, round(len(paras) * rng.uniform(0.6, 0.85)))
    return _with(a, "\n\n".join(paras[:keep]))


def t_drop_paragraph(a, rng, others):
    paras = _paragraphs(a.text)
    if len(paras) > 2:
        del paras[rng.randrange(1, len(paras))]
    return _with(a, "\n\n".join(paras))


def t_reorder(a, rng, others):
    paras = _paragraphs(a.text)
    if len(paras) > 2:
        i, j = rng.sample(range(len(paras)), 2)
        paras[i], paras[j] = paras[j], paras[i]
    return _with(a, "\n\n".join(paras))


def t_headline(a, rng, others):
    words = a.title.split()
    rng.shuffle(words)
    return _with(a, a.text, title="عاجل: " + " ".join(words[: max(3, len(words) - 2)]))


def t_diacritics(a, rng, others):
    return _with(a, _per_word(a.text, rng, 0.3, lambda w: "".join(c + (rng.choice(_HARAKAT) if c.isalpha() and rng.random() < 0.5 else "") for c in w)))


def t_tatweel(a, rng, others):
    return _with(a, _per_word(a.text, rng, 0.2, lambda w: w[: len(w) // 2] + "ـــ" + w[len(w) // 2 :] if len(w) > 3 else w))


def t_letters(a, rng, others):
    def change(w):
        if w.startswith("ا"):
            w = rng.choice("أإ") + w[1:]
        if w.endswith("ي"):
            w = w[:-1] + "ى"
        if w.endswith("ه"):
            w = w[:-1] + "ة"
        if w.endswith("ة") and rng.random() < 0.5:
            w = w[:-1] + "ه"
        return w
    return _with(a, _per_word(a.text, rng, 0.6, change))


def t_persian(a, rng, others):
    return _with(a, a.text.replace("ي", "ی").replace("ك", "ک"))


def t_digits(a, rng, others):
    return _with(a, a.text.translate({ord(str(d)): chr(0x0660 + d) for d in range(10)}))


def t_html(a, rng, others):
    body = "".join(f"<p>{p}</p>" for p in _paragraphs(a.text))
    nav = "".join(f"<li><a href='/{i}'>{o.title}</a></li>" for i, o in enumerate(rng.sample(others, 4)))
    html = (f"<html><head><meta charset='utf-8'><title>{a.title}</title></head><body><nav><ul>{nav}</ul></nav>"
            f"<article><h1>{a.title}</h1>{body}</article><footer>جميع الحقوق محفوظة</footer></body></html>")
    return _with(a, html, meta={**a.meta, "html": True})


TRANSFORMS = {f.__name__[2:]: f for f in (t_boilerplate, t_truncate, t_drop_paragraph, t_reorder, t_headline,
                                            t_diacritics, t_tatweel, t_letters, t_persian, t_digits, t_html)}


def _with(a: Article, text: str, title: str | None = None, meta: dict | None = None) -> Article:
    return Article(a.id, text, title=a.title if title is None else title, outlet=a.outlet, published=a.published,
                   meta=dict(a.meta if meta is None else meta))


def _distinct_originals(pool: list[Article], n: int, rng: random.Random) -> list[Article]:
    """``n`` articles of ``pool`` none of which is a near-duplicate *or a same-story variant* of another.

    Two originals that report one event would make a correct variant merge look
    like an error, so originals must differ in their content words too.
    """
    rng.shuffle(pool)
    chosen, sets, words = [], [], []
    for a in pool:
        toks = tokens(a.text)
        s = as_set(word_shingles(toks, 5))
        w = {t for t in toks if len(t) > 3}
        if all(jaccard(s, t) < 0.2 and len(w & v) / len(w | v) < 0.12 for t, v in zip(sets, words)):
            chosen.append(a)
            sets.append(s)
            words.append(w)
            if len(chosen) == n:
                break
    return chosen


def near_duplicates(split: str, folder: Path, n_originals: int = 150, copies: int = 2, seed: int = 13) -> dict[str, str]:
    """Write a near-duplicate set to ``folder`` (one file per article); return ``{file id: story}``.

    ``split="dev"`` draws originals from the crawl days 2015-07-21..27, ``"test"``
    from 2015-08-01 on, so calibration never sees the reported set.
    """
    rng = random.Random(f"{seed}-{split}")
    days = (lambda d: d.startswith(DEV_DAYS)) if split == "dev" else (lambda d: d >= "2015-08-01")
    pool = [a for a in saudinewsnet(min_words=120) if days(a.published)]
    originals = _distinct_originals(pool, n_originals, rng)
    folder.mkdir(parents=True, exist_ok=True)
    truth: dict[str, str] = {}
    for k, a in enumerate(originals):
        versions = [("orig", a)]
        for c in range(copies):
            names = rng.sample(sorted(TRANSFORMS), rng.randint(1, 3))
            names.sort(key=lambda name: name == "html")  # wrapping in HTML comes last
            copy = a
            for name in names:
                copy = TRANSFORMS[name](copy, rng, originals)
            versions.append(("+".join(names), copy))
        for c, (how, art) in enumerate(versions):
            ext = "html" if art.meta.get("html") else "txt"
            name = f"{k:04d}-{c}-{how}.{ext}"
            text = art.text if ext == "html" else f"{art.title}\n\n{art.text}"
            (folder / name).write_text(text, encoding="utf-8")
            truth[name] = f"story{k}"
    return truth


READ_ALSO_MARKERS = ("إقرأ أيضاً:", "اقرأ أيضا:", "")


def read_also_reposts(split: str, folder: Path, n_originals: int = 120, seed: int = 17) -> dict[str, str]:
    """Reposts carrying another story's "read also" block: write them to ``folder`` with their
    originals and the originals of the pasted stories; return ``{file id: story}``.

    Each original is written once and reposted once, the repost carrying a block of another
    original: a marker line (``إقرأ أيضاً:``, ``اقرأ أيضا:``, or none at all), that story's title and
    its first two paragraphs, pasted at the end or between two paragraphs. The truth groups a
    repost with its own original only; the pasted story's original is in the set, so a block that
    glues two stories together shows as a false merge. Originals as :func:`near_duplicates` draws
    them (dev: 2015-07-21..27; test: from 2015-08-01).
    """
    rng = random.Random(f"{seed}-read-also-{split}")
    days = (lambda d: d.startswith(DEV_DAYS)) if split == "dev" else (lambda d: d >= "2015-08-01")
    pool = [a for a in saudinewsnet(min_words=120) if days(a.published) and len(_paragraphs(a.text)) >= 3]
    originals = _distinct_originals(pool, n_originals, rng)
    folder.mkdir(parents=True, exist_ok=True)
    truth: dict[str, str] = {}
    for k, a in enumerate(originals):
        other = originals[(k + 1 + rng.randrange(len(originals) - 1)) % len(originals)]
        marker = rng.choice(READ_ALSO_MARKERS)
        block = "\n\n".join(([marker] if marker else []) + [other.title] + _paragraphs(other.text)[:2])
        paras = _paragraphs(a.text)
        at = len(paras) if rng.random() < 0.5 else rng.randrange(1, len(paras))
        repost = "\n\n".join(paras[:at] + [block] + paras[at:])
        where = "end" if at == len(paras) else "middle"
        for c, (how, text) in enumerate((("orig", a.text), (f"{'marker' if marker else 'nomarker'}-{where}", repost))):
            name = f"{k:04d}-{c}-{how}.txt"
            (folder / name).write_text(f"{a.title}\n\n{text}", encoding="utf-8")
            truth[name] = f"story{k}"
    return truth


def events(split: str) -> tuple[list[Article], dict[str, str]]:
    """All articles of the labelled day, and the hand-checked event of each labelled one."""
    day = DEV_EVENT_DAY if split == "dev" else TEST_EVENT_DAY
    labels = {}
    with open(LABELS / f"saudinewsnet_events_{split}.jsonl", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            labels[r["id"]] = r["event"]
    return list(saudinewsnet(day=day)), labels


def seeds() -> tuple[Path, dict[str, str]]:
    truth = {"000": "blinken-doha", "001": "blinken-doha", "004": "blinken-doha", "002": "cairo-doha", "003": "kirby"}
    folder = ROOT / "seeds"
    return folder, {p.name: truth[p.name[:3]] for p in sorted(folder.glob("*.txt"))}


def ans_pairs(split: str = "test") -> list[tuple[str, str, str]]:
    """ANS headline pairs ``(s1, s2, stance)``: agree = paraphrase, disagree = contradicting rewrite."""
    with open(ANS / f"{split}.csv", encoding="utf-8") as fh:
        return [(r["s1"], r["s2"], r["stance"]) for r in csv.DictReader(fh)]

"""Worksheets for labelling a whole SaudiNewsNet day by event (see ``labels/PROTOCOL.md``).

    python -m benchmarks.label_sheet 2015-08-03 --out /tmp/sheet-2015-08-03.md

Candidate components are made independently of ``dedup``'s own decisions, generously, so that
a labeller reads every article that could share an event with another: articles of the day
with at least 20 words, linked when the TF-IDF cosine of their title and first 1,500
characters is at least 0.2, or that of their titles alone at least 0.4 (words as
:func:`dedup.text.normalize.tokens` gives them, terms in more than 30% of the day's articles
ignored); the connected components of two or more articles are the sheet. On the two days
labelled before (2015-08-02, 2015-08-09) these components hold 98% and 96% of the labelled
articles. The sheet is written outside the repository: it is derived from SaudiNewsNet, whose
licence allows no copy in the package.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np


def components(day: str) -> list[list]:
    """The day's candidate components (lists of articles, each in reading order), largest first."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components
    from sklearn.feature_extraction.text import TfidfVectorizer

    from dedup.text.normalize import tokens

    from .datasets import saudinewsnet

    arts = [a for a in saudinewsnet(day=day) if len(a.text.split()) >= 20]
    rows, cols = [], []
    for docs, threshold in (([" ".join(tokens(a.title + " " + a.text[:1500])) for a in arts], 0.2),
                            ([" ".join(tokens(a.title)) for a in arts], 0.4)):
        x = TfidfVectorizer(sublinear_tf=True, max_df=0.3).fit_transform(docs)
        s = (x @ x.T).tocoo()
        keep = (s.data >= threshold) & (s.row < s.col)
        rows += list(s.row[keep])
        cols += list(s.col[keep])
    n = len(arts)
    _, label = connected_components(sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)), directed=False)
    groups: dict[int, list] = {}
    for i, lab in enumerate(label):
        groups.setdefault(int(lab), []).append(arts[i])
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g[0].id))


def sheet(day: str, lead_chars: int = 500) -> str:
    comps = components(day)
    lines = [f"# {day}: {sum(map(len, comps))} articles in {len(comps)} candidate components", "",
             "## All titles (to spot one event split over two components)", ""]
    for k, comp in enumerate(comps, 1):
        for a in comp:
            lines.append(f"- C{k} {a.id} [{a.outlet}] {a.title}")
    lines.append("")
    for k, comp in enumerate(comps, 1):
        lines += [f"## C{k} ({len(comp)} articles)", ""]
        for a in comp:
            lead = " ".join(a.text.split())[:lead_chars]
            lines += [f"### {a.id} [{a.outlet}] {a.meta.get('time', a.published)}", f"**{a.title}**", "", lead, ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.label_sheet", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("day", help="YYYY-MM-DD")
    parser.add_argument("--out", required=True, help="where to write the sheet (outside the repository)")
    parser.add_argument("--lead", type=int, default=500, help="characters of each body shown")
    args = parser.parse_args(argv)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(sheet(args.day, args.lead))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Speed and scale, side by side with the peers in the same run.

* signatures end to end (normalize → word 5-gram shingles → MinHash, 128
  permutations, same shingle definition for all): dedup, datasketch 2.x
  (``MinHash.bulk`` fed by Python shingling) and rensa (``RMinHash``), in this
  process on the same articles, one core; and the ceiling: dedup's signer on
  shingle ids already hashed;
* the whole job (`dedup cluster`) by corpus size, beside the bare datasketch
  pipeline, each in a fresh process (wall, CPU, peak RSS), and the growth exponent.

The scaled corpora are SaudiNewsNet plus reproducible reposts of it (fixed seed:
other-site boilerplate, truncation, reordered paragraphs, orthographic noise),
written to a temporary folder and never committed.
"""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from dedup.text.normalize import normalize, tokens
from dedup.match.shingle import as_set, text_shingles, word_shingles
from dedup.match.signature import Signer

from . import datasets

NUM_PERM = 128


def _texts(n: int) -> list[str]:
    out = []
    for a in datasets.saudinewsnet(min_words=20):
        out.append(a.text)
        if len(out) == n:
            break
    return out


def signatures(n: int = 5000, repeat: int = 3) -> dict:
    from datasketch import MinHash
    from rensa import RMinHash

    texts = _texts(n)
    signer = Signer(NUM_PERM, 1)

    def ours():
        sets = [as_set(text_shingles(t, 5)) for t in texts]
        return signer.sign_many(sets)

    def python_shingles():
        out = []
        for t in texts:
            w = normalize(t).split()
            out.append({" ".join(w[i : i + 5]) for i in range(max(1, len(w) - 4))})
        return out

    def datasketch_():
        return MinHash.bulk([[s.encode("utf-8") for s in sh] for sh in python_shingles()], num_perm=NUM_PERM)

    def rensa_():
        out = []
        for sh in python_shingles():
            m = RMinHash(num_perm=NUM_PERM, seed=1)
            m.update(list(sh))
            out.append(m)
        return out

    ids = [as_set(word_shingles(tokens(t), 5)) for t in texts]

    def ceiling():
        return signer.sign_many(ids)

    timings = {}
    results = {}
    for name, fn in (("dedup", ours), ("datasketch", datasketch_), ("rensa", rensa_), ("dedup, shingles pre-hashed", ceiling)):
        best = math.inf
        for _ in range(repeat):
            start = time.perf_counter()
            results[name] = fn()
            best = min(best, time.perf_counter() - start)
        timings[name] = best
    rate = {k: n / v for k, v in timings.items()}

    # agreement: same sets, dedup's ids fed to datasketch with the same scheme give identical signatures
    sample = list(range(0, n, max(1, n // 200)))
    identical = all(
        np.array_equal(results["dedup"][i], _datasketch_from_ids(ids[i]).hashvalues) for i in sample[:50]
    )
    rng = random.Random(3)
    diffs = []
    ds = results["datasketch"]
    for _ in range(2000):
        i, j = rng.randrange(n), rng.randrange(n)
        ours_est = float(np.mean(results["dedup"][i] == results["dedup"][j]))
        diffs.append(abs(ours_est - ds[i].jaccard(ds[j])))
    return {
        "articles": n,
        "seconds": {k: round(v, 3) for k, v in timings.items()},
        "articles_per_s": {k: round(v) for k, v in rate.items()},
        "ratio_dedup_vs": {k: round(rate["dedup"] / rate[k], 2) for k in ("datasketch", "rensa")},
        "ceiling_share": round(timings["dedup, shingles pre-hashed"] / timings["dedup"], 3),
        "identical_to_datasketch_affine32_on_same_ids": identical,
        "mean_abs_jaccard_difference_vs_datasketch": round(float(np.mean(diffs)), 4),
        "max_abs_jaccard_difference_vs_datasketch": round(float(np.max(diffs)), 4),
    }


def _datasketch_from_ids(ids):
    from datasketch import MinHash

    m = MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32", hashfunc=int)
    m.update_batch([int(x) for x in ids])
    return m


def scaled_corpus(size: int, path: Path, seed: int = 11) -> Path:
    """SaudiNewsNet, then reposts of it with noise, until ``size`` records (JSON Lines)."""
    rng = random.Random(seed)
    base = [a for a in datasets.saudinewsnet(min_words=1)]
    transforms = [datasets.TRANSFORMS[k] for k in ("boilerplate", "truncate", "reorder", "letters", "digits", "tatweel")]
    with path.open("w", encoding="utf-8") as fh:
        for k in range(size):
            a = base[k % len(base)]
            if k >= len(base):
                for t in rng.sample(transforms, 2):
                    a = t(a, rng, base[:50])
            fh.write(json.dumps({"id": f"{k}", "content": a.text, "title": a.title, "source": a.outlet,
                                 "date": a.published}, ensure_ascii=False) + "\n")
    return path


def _job(what: str, path: Path, jobs: int | None = None) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.job", what, str(path)] + (["--jobs", str(jobs)] if jobs else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parent.parent)
    return json.loads(out.stdout.strip().splitlines()[-1])


def scaling(sizes: list[int], jobs: int | None) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="dedup-scale-"))
    # the first run after installing (or changing) dedup compiles its loops (numba caches them): not timed
    _job("dedup", scaled_corpus(3000, tmp / "warm-up.jsonl"), jobs)
    rows = []
    for size in sizes:
        path = scaled_corpus(size, tmp / f"corpus-{size}.jsonl")
        row = {"articles": size, "dedup": _job("dedup", path, jobs)}
        if size <= 100_000:
            row["datasketch_bare"] = _job("datasketch", path)
        if size == (31030 if 31030 in sizes else sizes[0]):  # the speed-up of --jobs on this machine
            # runs here vary by about 10%: three of each, alternating, and the ratio of the medians
            one, many = [_job("dedup", path, 1)], [row["dedup"]]
            for _ in range(2):
                many.append(_job("dedup", path, jobs))
                one.append(_job("dedup", path, 1))
            row["dedup_one_job"] = sorted(one, key=lambda r: r["wall_s"])[1]
            row["jobs_runs_wall_s"] = {"one_job": [r["wall_s"] for r in one], "default": [r["wall_s"] for r in many]}
            row["jobs_speedup"] = round(row["dedup_one_job"]["wall_s"] / sorted(r["wall_s"] for r in many)[1], 2)
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
        path.unlink()
    xs = np.log([r["articles"] for r in rows])
    ys = np.log([r["dedup"]["wall_s"] for r in rows])
    exponent = float(np.polyfit(xs, ys, 1)[0]) if len(rows) > 1 else float("nan")
    return {"rows": rows, "growth_exponent_wall": round(exponent, 2)}


def run(sizes: list[int], jobs: int | None = None) -> dict:
    return {"signatures": signatures(), "scaling": scaling(sizes, jobs)}


def table(results: dict) -> str:
    s = results["signatures"]
    lines = ["| signatures, 1 core | articles/s | dedup is |", "|---|---|---|"]
    for k, v in s["articles_per_s"].items():
        ratio = f"{s['ratio_dedup_vs'][k]}x faster" if k in s["ratio_dedup_vs"] else ""
        lines.append(f"| {k} | {v:,} | {ratio} |")
    lines += ["", "| articles | dedup wall s | dedup CPU s | dedup peak MiB | bare datasketch wall s | bare datasketch peak MiB |",
              "|---|---|---|---|---|---|"]
    for r in results["scaling"]["rows"]:
        d, b = r["dedup"], r.get("datasketch_bare")
        lines.append(f"| {r['articles']:,} | {d['wall_s']} | {d['cpu_s']} | {d['peak_rss_mib']} | "
                     f"{b['wall_s'] if b else '—'} | {b['peak_rss_mib'] if b else '—'} |")
    lines.append(f"\ngrowth exponent of wall time: {results['scaling']['growth_exponent_wall']}")
    return "\n".join(lines)

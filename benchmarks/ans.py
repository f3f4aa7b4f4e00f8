"""ANS headline pairs: paraphrases against contradicting rewrites, lexical and semantic scores.

    python -m benchmarks ans        # -> benchmarks/results/ans.json

Scores per pair, on the test split (dev for reference):

* ``dedup.compare`` — ``compare(s1, s2).similarity`` with the default (calibrated) settings,
  as ``benchmarks/quality.py`` scores ANS;
* ``tfidf_char`` — cosine of character 2-5-gram TF-IDF vectors (``char_wb``) fitted on the
  split's headlines;
* ``encoder`` — cosine of the sentence encoder's vectors (:mod:`dedup.semantic`);
* ``logistic`` — a logistic regression on (compare similarity, encoder cosine) fitted on the
  agree/disagree pairs of ANS train.

ROC AUC is paraphrase (agree, 1) against contradicting rewrite (disagree, 0); Spearman is over
all pairs with graded labels agree 2 > disagree 1 > other 0 (:func:`dedup.metrics.pair_scores`).
"""

from __future__ import annotations

import subprocess
import time

import numpy as np

import dedup
from dedup import compare
from dedup.report import semantic
from dedup.metrics import pair_scores

from . import datasets

DATE = "2026-11-30"
GRADE = {"agree": 2, "disagree": 1, "other": 0}


def revision() -> str | None:
    """The commit measured, marked when tracked files of dedup/ differ from it (the working tree runs)."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=datasets.ROOT, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    try:
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", "dedup")
        return git("rev-parse", "--short", "HEAD") + ("+uncommitted" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def tfidf_char(s1: list[str], s2: list[str]) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).fit(s1 + s2)
    a, b = vec.transform(s1), vec.transform(s2)  # rows L2-normalized
    return np.asarray(a.multiply(b).sum(axis=1)).ravel()


def score_split(split: str, encoder: semantic.Encoder, timing: dict) -> dict:
    """Every score of every pair of ``split``, and compare()'s verdicts."""
    pairs = datasets.ans_pairs(split)
    s1, s2, stance = (list(col) for col in zip(*pairs))
    start = time.perf_counter()
    verdicts = [compare(a, b) for a, b in zip(s1, s2)]
    timing[f"compare_{split}"] = time.perf_counter() - start
    start = time.perf_counter()
    cosine = encoder.pair_similarity(s1, s2)
    timing[f"encode_{split}"] = time.perf_counter() - start
    timing["headlines_encoded"] = timing.get("headlines_encoded", 0) + 2 * len(pairs)
    return {"s1": s1, "s2": s2, "stance": stance, "verdicts": verdicts,
            "scores": {"dedup.compare": np.array([v.similarity for v in verdicts]),
                       "tfidf_char": tfidf_char(s1, s2), "encoder": cosine.astype(np.float64)}}


def features(split: dict) -> np.ndarray:
    return np.column_stack([split["scores"]["dedup.compare"], split["scores"]["encoder"]])


def report(split: dict) -> dict:
    """AUC and Spearman of each score; compare()'s verdicts by stance; rewrites called duplicate."""
    stance = split["stance"]
    binary = [k for k, s in enumerate(stance) if s in ("agree", "disagree")]
    out = {"pairs": len(stance), "stances": {s: stance.count(s) for s in GRADE}, "scores": {}}
    for name, score in split["scores"].items():
        auc = pair_scores([int(stance[k] == "agree") for k in binary], score[binary])["roc_auc"]
        rho = pair_scores([GRADE[s] for s in stance], score)["spearman"]
        out["scores"][name] = {"roc_auc": round(auc, 4), "spearman_graded": round(rho, 4)}
    counts: dict = {s: {} for s in GRADE}
    for s, v in zip(stance, split["verdicts"]):
        counts[s][v.relation] = counts[s].get(v.relation, 0) + 1
    out["compare_verdicts"] = counts
    out["contradicting_called_duplicate"] = [
        {"s1": a, "s2": b, "similarity": round(v.similarity, 4), "encoder": round(float(c), 4)}
        for a, b, s, v, c in zip(split["s1"], split["s2"], stance, split["verdicts"], split["scores"]["encoder"])
        if s == "disagree" and v.relation == "duplicate"]
    return out


def run() -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    t0 = time.perf_counter()
    timing: dict = {}
    encoder = semantic.Encoder()
    start = time.perf_counter()
    encoder.encode(["تحميل"])  # load the model (digests checked) outside the timed encoding
    timing["encoder_load"] = time.perf_counter() - start
    splits = {name: score_split(name, encoder, timing) for name in ("train", "dev", "test")}

    train = splits.pop("train")
    keep = [k for k, s in enumerate(train["stance"]) if s in ("agree", "disagree")]
    model = make_pipeline(StandardScaler(), LogisticRegression())
    model.fit(features(train)[keep], [int(train["stance"][k] == "agree") for k in keep])
    for split in splits.values():
        split["scores"]["logistic"] = model.predict_proba(features(split))[:, 1]
    scaler, lr = model.named_steps["standardscaler"], model.named_steps["logisticregression"]

    encode_seconds = sum(v for k, v in timing.items() if k.startswith("encode_"))
    return {
        "date": DATE,
        "dedup_version": dedup.__version__,
        "revision": revision(),
        "encoder": {"distribution": semantic.DISTRIBUTION, "version": semantic.VERSION,
                    "batch_size": encoder.batch_size, "blas_threads": semantic.THREADS,
                    "load_seconds": round(timing["encoder_load"], 2),
                    "headlines_per_second": round(timing["headlines_encoded"] / encode_seconds, 1)},
        "logistic": {"fitted_on": "ANS train, agree vs disagree", "pairs": len(keep),
                     "features": ["dedup.compare similarity", "encoder cosine"],
                     "standardized_coef": [round(c, 4) for c in lr.coef_[0].tolist()],
                     "intercept": round(float(lr.intercept_[0]), 4),
                     "feature_mean": [round(m, 4) for m in scaler.mean_.tolist()],
                     "feature_scale": [round(s, 4) for s in scaler.scale_.tolist()]},
        "test": report(splits["test"]),
        "dev": report(splits["dev"]),
        "seconds": {**{k: round(v, 2) for k, v in timing.items() if k != "headlines_encoded"},
                    "total": round(time.perf_counter() - t0, 1)},
    }


def table(results: dict) -> str:
    lines = ["| score | test AUC agree/disagree | test Spearman graded | dev AUC | dev Spearman |",
             "|---|---|---|---|---|"]
    for name, t in results["test"]["scores"].items():
        d = results["dev"]["scores"][name]
        lines.append(f"| {name} | {t['roc_auc']:.3f} | {t['spearman_graded']:.3f} "
                     f"| {d['roc_auc']:.3f} | {d['spearman_graded']:.3f} |")
    dup = results["test"]["contradicting_called_duplicate"]
    lines.append(f"\ntest: {len(dup)} of {results['test']['stances']['disagree']} contradicting rewrites called "
                 f"duplicate by dedup.compare; encoder {results['encoder']['headlines_per_second']} headlines/s, "
                 f"total {results['seconds']['total']} s")
    lines += [f"  {d['s1']}  |  {d['s2']}  (similarity {d['similarity']}, encoder {d['encoder']})" for d in dup]
    return "\n".join(lines)

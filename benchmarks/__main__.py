"""python -m benchmarks {quality,speed,report,index,alignment,...} — results go to benchmarks/results/.

One job stage by stage (time and memory): python -m benchmarks.stages FILE.jsonl [--out RESULT.json]."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
DOCS = Path(__file__).resolve().parent.parent / "docs"


def machine() -> dict:
    mem = 0
    try:
        with open("/proc/meminfo") as fh:
            mem = int(fh.readline().split()[1]) // 1024
    except OSError:
        pass
    versions = {}
    for pkg in ("dedup", "numpy", "scikit-learn", "datasketch", "rensa", "redis", "dask"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return {"python": platform.python_version(), "cores": os.cpu_count(), "memory_mib": mem,
            "machine": platform.machine(), "versions": versions}


def save(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"command": "python -m benchmarks " + " ".join(sys.argv[1:]), "machine": machine(), **payload}
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    q = sub.add_parser("quality", help="labelled evaluation sets, baselines, threshold calibration")
    q.add_argument("--quick", action="store_true", help="smaller near-duplicate sets")
    s = sub.add_parser("speed", help="signatures vs datasketch and rensa; the whole job by corpus size")
    s.add_argument("--sizes", default="10000,31030,100000", help="corpus sizes for the scaling run")
    s.add_argument("--jobs", type=int, default=None)
    s.add_argument("--name", default="speed", help="results file name (benchmarks/results/NAME.json)")
    sub.add_parser("report", help="time to report a group of 10 typical articles")
    i = sub.add_parser("index", help="SQLite and Redis index vs datasketch MinHashLSH")
    i.add_argument("--sizes", default="31030,300000")
    i.add_argument("--no-redis", action="store_true", help="SQLite and in-memory datasketch only")
    i.add_argument("--name", default="index", help="results file name (benchmarks/results/NAME.json)")
    sub.add_parser("train-verifier", help="fit the same-story model on the labelled train days, choose its "
                   "operating point on the dev day -> dedup/models/verifier.json")
    ra = sub.add_parser("read-also", help="reposts carrying another story's 'read also' block: glued stories?")
    ra.add_argument("--split", default="dev", choices=["dev", "test"])
    ra.add_argument("--min-similarity", type=float, default=None,
                    help="decide variants by the model at this point (default: its operating point)")
    ra.add_argument("--rule", choices=["model", "facts"], default="model",
                    help="facts: the older fact-and-cosine rule instead of the model")
    sub.add_parser("test-days", help="the same-story decision on the held-out test days (figures only)")
    sub.add_parser("index-quality", help="the index's verdicts against the hand-labelled events, by variant threshold")
    d = sub.add_parser("dask", help="the Dask engine on a LocalCluster beside the local engine")
    d.add_argument("--sizes", default="31030")
    d.add_argument("--workers", type=int, default=2)
    sub.add_parser("alignment", help="the report's sentence alignment against hand-aligned article pairs")
    sub.add_parser("ans", help="ANS headline pairs: compare(), char TF-IDF and the sentence encoder (dedup[semantic])")
    args = parser.parse_args(argv)

    if args.what == "quality":
        from . import quality

        results = quality.run(quick=args.quick, out_png=DOCS / "quality_curve.png")
        save("quality", results)
        print(quality.table(results))
        print(json.dumps({"calibration": results["calibration"], "ans": results["ans"]}, ensure_ascii=False, indent=1))
    elif args.what == "report":
        from . import report_speed

        results = report_speed.run()
        save("report", results)
        print(json.dumps(results, indent=1))
    elif args.what == "speed":
        from . import speed

        results = speed.run([int(x) for x in args.sizes.split(",")], jobs=args.jobs)
        save(args.name, results)
        print(speed.table(results))
    elif args.what == "train-verifier":
        from .train_verifier import main as train

        return train([])
    elif args.what == "read-also":
        from .read_also import run

        from dedup.match.verdict import Thresholds

        if args.rule == "facts":
            thresholds, name = Thresholds(variant_probability=None), "facts"
        else:
            thresholds = Thresholds() if args.min_similarity is None else Thresholds(variant_probability=args.min_similarity)
            name = f"model{thresholds.variant_probability}"
        save(f"read_also_{args.split}_{name}", run(args.split, thresholds))
    elif args.what == "test-days":
        from . import test_days

        results = test_days.run()
        save("test_days", results)
        test_days.plot(results, DOCS / "verifier_curve.png")
    elif args.what == "index-quality":
        from . import index_quality

        results = index_quality.run()
        save("index_quality", results)
        print(index_quality.table(results))
    elif args.what == "dask":
        from . import dask_bench

        results = dask_bench.run([int(x) for x in args.sizes.split(",")], args.workers)
        save("dask", results)
        print(dask_bench.table(results))
    elif args.what == "alignment":
        from . import alignment

        results = alignment.run()
        save("alignment", results)
        print(alignment.table(results))
    elif args.what == "ans":
        from . import ans

        results = ans.run()
        save("ans", results)
        print(ans.table(results))
    elif args.what == "index":
        from . import index_bench

        results = index_bench.run([int(x) for x in args.sizes.split(",")], redis=not args.no_redis)
        save(args.name, results)
        print(index_bench.table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The Dask engine on a LocalCluster of 2 worker processes beside the local engine (2 jobs), same corpus.

    python -m benchmarks dask --sizes 31030

Each run is a fresh process (benchmarks.job); the Dask run reports the client's
peak RSS and the largest peak of any one worker process.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from .speed import _job, scaled_corpus


def run(sizes: list[int], workers: int = 2) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="dedup-dask-"))
    rows = []
    for size in sizes:
        path = scaled_corpus(size, tmp / f"corpus-{size}.jsonl")
        row = {"articles": size, "local": _job("dedup", path, workers), "dask": _job("dask", path, workers)}
        row["same_group_count"] = row["local"]["groups"] == row["dask"]["groups"]
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
        path.unlink()
    return {"workers": workers, "rows": rows}


def table(results: dict) -> str:
    lines = ["| articles | engine | wall s | CPU s | peak MiB | groups |", "|---|---|---|---|---|---|"]
    for r in results["rows"]:
        lo, da = r["local"], r["dask"]
        lines.append(f"| {r['articles']:,} | local, 2 jobs | {lo['wall_s']} | {lo['cpu_s']} | {lo['peak_rss_mib']:,} | {lo['groups']:,} |")
        lines.append(f"| {r['articles']:,} | dask, 2 workers | {da['wall_s']} | {da['cpu_s']} | client {da['client_peak_rss_mib']:,}, "
                     f"worker {da['worker_peak_rss_mib']:,} | {da['groups']:,} |")
    return "\n".join(lines)

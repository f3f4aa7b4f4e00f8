"""One measured run of the whole grouping job, in a fresh process so its peak memory is its own.

    python -m benchmarks.job dedup FILE.jsonl [--jobs N]
    python -m benchmarks.job datasketch FILE.jsonl
    python -m benchmarks.job dask FILE.jsonl [--jobs N]     (a LocalCluster of N worker processes)

Prints one JSON object: wall and CPU seconds, peak RSS (this process and its
workers), groups found.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def bare_datasketch(path: str) -> int:
    """The bare pipeline: Python word-5 shingling, MinHash.bulk, MinHashLSH at 0.5, union-find."""
    from datasketch import MinHash, MinHashLSH

    from dedup.metrics import clustering_from_pairs

    ids, shingles = [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            words = (r.get("content") or "").split()
            if not words:
                continue
            ids.append(str(r["id"]))
            shingles.append({" ".join(words[i : i + 5]).encode("utf-8") for i in range(max(1, len(words) - 4))})
    sigs = MinHash.bulk(shingles, num_perm=128)
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    with lsh.insertion_session() as session:
        for i, m in zip(ids, sigs):
            session.insert(i, m)
    pairs = [(i, j) for i, m in zip(ids, sigs) for j in lsh.query(m) if i != j]
    return len(set(clustering_from_pairs(ids, pairs).values()))


def run_dedup(path: str, jobs: int | None) -> tuple[int, dict]:
    from dedup import cluster

    result = cluster([path], jobs=jobs, keep_text=False)  # as `dedup cluster FILE` (without --explain) runs it
    return len(result.groups), {k: round(v, 2) for k, v in result.timings.items()}


def run_dask(path: str, workers: int | None) -> tuple[int, dict]:
    from dedup import cluster

    result = cluster([path], jobs=workers, engine="dask", keep_text=False)
    return len(result.groups), {k: round(v, 2) for k, v in result.timings.items()}


def own_peak_mib() -> float:
    """This process's peak RSS since it started. ``ru_maxrss`` is not it on Linux: it keeps the
    peak of the process that forked this one (the benchmark runner) across exec, so a small job
    reported the runner's peak. ``VmHWM`` belongs to this process's own address space."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    what, path = sys.argv[1], sys.argv[2]
    jobs = int(sys.argv[sys.argv.index("--jobs") + 1]) if "--jobs" in sys.argv else None
    wall = time.perf_counter()
    stages = None
    if what == "dask":
        groups, stages = run_dask(path, jobs)
    elif what == "dedup":
        groups, stages = run_dedup(path, jobs)
    else:
        groups = bare_datasketch(path)
    wall = time.perf_counter() - wall
    self_ = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({
        "what": what, "jobs": jobs, "wall_s": round(wall, 2),
        "cpu_s": round(self_.ru_utime + self_.ru_stime + kids.ru_utime + kids.ru_stime, 2),
        "peak_rss_mib": round(max(own_peak_mib(), kids.ru_maxrss / 1024), 1), "groups": groups,
        # the Dask engine: the client process, and the largest peak of any one worker process
        **({"stages_s": stages} if stages else {}),
        **({"client_peak_rss_mib": round(own_peak_mib(), 1),
            "worker_peak_rss_mib": round(kids.ru_maxrss / 1024, 1)} if what == "dask" else {}),
    }))


if __name__ == "__main__":
    main()

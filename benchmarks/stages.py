"""Time and resident memory of each stage of one grouping job, printed as the job goes.

    python -m benchmarks.stages FILE.jsonl [--jobs N] [--spill-dir FOLDER] [--out RESULT.json]

Runs ``dedup.cluster([FILE], jobs=N, keep_text=False)`` (what `dedup cluster FILE` runs) in this
process and prints, at the end of each stage, its seconds and the process's resident size and
peak so far (``VmRSS``, ``VmHWM``; with ``--spill-dir`` the resident size counts the pages of
the mapped files the system holds at the time, so the anonymous part, ``RssAnon``, is given
beside it), the CPU seconds of this process's threads in the stage
(beside the seconds: how many cores the stage kept busy; worker processes not counted), and the size of each batch of pairs verified: where the
memory goes, for a corpus too large to measure any other way. ``--out`` writes the stages as JSON.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from contextlib import contextmanager


def _status(key: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) // 1024
    return -1


def main() -> None:
    import dedup
    from dedup.engine import local as pipeline
    from dedup.match import verify

    path = sys.argv[1]
    jobs = int(sys.argv[sys.argv.index("--jobs") + 1]) if "--jobs" in sys.argv else None
    out = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else None
    spill_dir = sys.argv[sys.argv.index("--spill-dir") + 1] if "--spill-dir" in sys.argv else None
    start = time.perf_counter()
    stages: list[dict] = []

    def say(what: str, **more) -> None:
        row = {"at_s": round(time.perf_counter() - start, 1), "rss_mib": _status("VmRSS"),
               "anon_mib": _status("RssAnon"), "peak_mib": _status("VmHWM"), "what": what, **more}
        print(json.dumps(row), flush=True)
        stages.append(row)

    @contextmanager
    def timer(timings: dict, stage: str):
        begin, cpu = time.perf_counter(), time.process_time()
        yield
        timings[stage] = time.perf_counter() - begin
        say(stage, seconds=round(timings[stage], 2), cpu_s=round(time.process_time() - cpu, 2))

    verify_many = verify.Verifier.verify_many

    def verify_logged(self, pairs):
        result = verify_many(self, pairs)
        if len(pairs) >= 100_000:
            say("verified", pairs=len(pairs), related=int((result.relation > 0).sum()))
        return result

    pipeline._timer = timer
    verify.Verifier.verify_many = verify_logged
    result = dedup.cluster([path], jobs=jobs, keep_text=False, spill_dir=spill_dir)
    say("done", articles=len(result.articles), groups=len(result.groups),
        largest=max(len(g.members) for g in result.groups))
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            json.dump({"command": " ".join(["python -m benchmarks.stages"] + sys.argv[1:]),
                       "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
                       "stages": stages}, fh, indent=1)


if __name__ == "__main__":
    main()

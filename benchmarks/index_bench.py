"""The persistent index: add throughput, check latency, size and reopen time,
for the SQLite and Redis backends, beside datasketch's MinHashLSH (in memory,
and with its Redis storage on the same server) doing the same inserts and queries.

dedup's figures include signing each article (normalize, shingle, two MinHash
signatures) and verifying it against its candidates as ``dedup compare`` does;
datasketch is given the signatures already made, so its figures are storage and
banding only. ``stored_text`` gives what the index keeps of each article's title
and text (zlib) against their UTF-8 size.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from dedup.index.entries import IndexSettings, prepare
from dedup.index.index import Index
from dedup.index.store import pack_body
from dedup.match.signature import Signer

from . import datasets


def _articles(n: int):
    base = list(datasets.saudinewsnet(min_words=20))
    out = []
    for k in range(n):
        a = base[k % len(base)]
        out.append(type(a)(f"{k}", a.text if k < len(base) else a.text + f" نسخة {k}", title=a.title, outlet=a.outlet))
    return out


def _latencies(fn, items) -> dict:
    lat = []
    for it in items:
        start = time.perf_counter()
        fn(it)
        lat.append(time.perf_counter() - start)
    lat.sort()
    return {"median_ms": round(statistics.median(lat) * 1000, 2), "p99_ms": round(lat[int(len(lat) * 0.99) - 1] * 1000, 2)}


def _dedup(location: str, arts, probes) -> dict:
    start = time.perf_counter()
    with Index.open(location, create=True) as ix:
        ix.add_many(arts, batch=500)
    add_s = time.perf_counter() - start
    start = time.perf_counter()
    ix = Index.open(location)
    reopen_s = time.perf_counter() - start
    lat = _latencies(ix.check, probes)
    stats = ix.stats()
    ix.close()
    size = stats.get("bytes_on_disk") or stats.get("server_memory_bytes")
    return {"add_per_s": round(len(arts) / add_s, 1), "reopen_s": round(reopen_s, 4), "check": lat,
            "bytes": size, "bytes_per_article": round(size / len(arts)) if size else None}


def stored_text(arts) -> dict:
    """Bytes per article of the title and text as stored (zlib), and as UTF-8."""
    packed = sum(len(pack_body(a.title, a.text)) for a in arts)
    raw = sum(len(a.title.encode()) + len(a.text.encode()) for a in arts)
    return {"articles": len(arts), "zlib_bytes_per_article": round(packed / len(arts)),
            "utf8_bytes_per_article": round(raw / len(arts))}


def _datasketch(arts, probes, storage: dict | None) -> dict:
    from datasketch import MinHash, MinHashLSH

    settings = IndexSettings()
    signer = Signer(settings.num_perm, settings.seed)
    sigs = [MinHash(seed=1, scheme="affine32", hashvalues=p.text_sig) for p in prepare(arts, settings, signer)]
    probe_sigs = [MinHash(seed=1, scheme="affine32", hashvalues=p.text_sig) for p in prepare(probes, settings, signer)]
    lsh = MinHashLSH(threshold=0.5, num_perm=128, storage_config=storage)
    start = time.perf_counter()
    for a, m in zip(arts, sigs):
        lsh.insert(a.id, m, check_duplication=False)
    add_s = time.perf_counter() - start
    return {"add_per_s": round(len(arts) / add_s), "query": _latencies(lsh.query, probe_sigs), "inserted": len(arts)}


def run(sizes: list[int], redis: bool = True) -> dict:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.redis_server import RedisServer

    tmp = Path(tempfile.mkdtemp(prefix="dedup-index-"))
    server = RedisServer(tmp / "redis").start()
    rows = []
    try:
        for size in sizes:
            arts = _articles(size)
            # under ids of their own: an id already recorded with the same text is a replay (a lookup
            # of the stored verdict), not the candidate search that checking a new article costs
            probes = [type(a)(f"probe-{a.id}", a.text, title=a.title, outlet=a.outlet)
                      for a in _articles(min(size, 31030))[::max(1, size // 500)]][:500]
            row = {"articles": size, "stored_text": stored_text(arts),
                   "dedup_sqlite": _dedup(str(tmp / f"i{size}.sqlite"), arts, probes),
                   "datasketch_memory": _datasketch(arts, probes, None)}
            if redis:
                row["dedup_redis"] = _dedup(f"{server.url}?prefix=b{size}", arts, probes)
                small = arts[:3000]  # datasketch's Redis storage inserts one key at a time: a subset bounds the run
                row["datasketch_redis"] = _datasketch(small, probes[:200], {
                    "type": "redis", "basename": f"ds{size}".encode(), "redis": {"host": "127.0.0.1", "port": server.port}})
            rows.append(row)
            print(row, file=sys.stderr)
    finally:
        server.stop()
    return {"rows": rows}


def table(results: dict) -> str:
    lines = ["| articles | backend | adds/s | check median ms | check p99 ms | reopen s | size MiB |", "|---|---|---|---|---|---|---|"]
    for r in results["rows"]:
        for name in ("dedup_sqlite", "dedup_redis", "datasketch_memory", "datasketch_redis"):
            if name not in r:
                continue
            d = r[name]
            q = d.get("check") or d.get("query")
            size = f"{d['bytes'] / 2**20:.0f}" if d.get("bytes") else "—"
            n = f" ({d['inserted']:,})" if name == "datasketch_redis" else ""
            lines.append(f"| {r['articles']:,}{n} | {name} | {d['add_per_s']:,} | {q['median_ms']} | {q['p99_ms']} | "
                         f"{d.get('reopen_s', '—')} | {size} |")
    return "\n".join(lines)

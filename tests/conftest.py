from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
SAUDINEWSNET = SHARED / "data" / "saudinewsnet" / "saudinewsnet.jsonl.gz"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


def saudinewsnet_records(day: str | None = None, limit: int | None = None) -> list[dict]:
    """Records of the shared SaudiNewsNet file (read from ../shared, never copied)."""
    import gzip
    import json

    if not SAUDINEWSNET.exists():
        pytest.skip(f"{SAUDINEWSNET} not present")
    out = []
    with gzip.open(SAUDINEWSNET, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if day and not rec["date_extracted"].startswith(day):
                continue
            out.append(rec)
            if limit and len(out) >= limit:
                break
    return out

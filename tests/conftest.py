from functools import lru_cache
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
    if not SAUDINEWSNET.exists():
        pytest.fail(f"{SAUDINEWSNET} not present: the tests read SaudiNewsNet from ../shared beside the checkout")
    out = [r for r in _all_records() if not day or r["date_extracted"].startswith(day)]
    return out[:limit] if limit else out


@lru_cache(maxsize=1)
def _all_records() -> tuple[dict, ...]:
    import gzip
    import json

    with gzip.open(SAUDINEWSNET, "rt", encoding="utf-8") as fh:
        return tuple(json.loads(line) for line in fh)

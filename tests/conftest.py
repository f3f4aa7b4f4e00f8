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


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """A real redis-server on loopback for one test module (tests/redis_server.py)."""
    from .redis_server import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "redis"])
def location(request, tmp_path):
    """An index location of each backend: a SQLite file, or a fresh key prefix on the module's server."""
    if request.param == "sqlite":
        return str(tmp_path / "index.sqlite")
    import time

    return f"{request.getfixturevalue('redis_server').url}?prefix=t{time.time_ns()}"


@pytest.fixture(scope="session")
def seeds_corpus(seeds_dir):
    """The seeds read, stripped of boilerplate fitted on them, and their features fitted."""
    from dedup.text.boilerplate import Boilerplate
    from dedup.match.features import Corpus
    from dedup.io.read import read

    articles = list(read([str(seeds_dir)]))
    cleaner = Boilerplate().fit(a.text for a in articles)
    for a in articles:
        cleaner.strip(a)
    return Corpus(articles).fit()


def pytest_collection_modifyitems(config, items):
    """Mark every test that starts or uses a redis-server ``redis`` (the quick subset,
    ``-m "not browser and not redis"``, leaves them out): those taking the module's server, those
    parametrized on the Redis backend, and those starting their own. Tests marked ``slow`` are
    skipped, saying so, unless ``--runslow`` is given (the full suite, the README's test command)."""
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow (the full suite)")
    for item in items:
        if item.get_closest_marker("slow") and not config.getoption("--runslow"):
            item.add_marker(skip_slow)
        params = getattr(getattr(item, "callspec", None), "params", {})
        if ("redis_server" in getattr(item, "fixturenames", ()) or params.get("location") == "redis"
                or item.module.__name__.endswith("test_redis_lock")):
            item.add_marker(pytest.mark.redis)


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False,
                     help="also run the tests marked slow (the full suite, as CI runs it)")

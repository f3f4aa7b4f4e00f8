"""The embedded index store: one SQLite file in WAL mode, no server.

Crash safety comes from SQLite itself: a batch is checked and recorded inside
one ``BEGIN IMMEDIATE`` transaction, so a writer killed at any point leaves
either the whole batch or none of it, and a verdict is returned only after the
commit. ``synchronous=NORMAL`` in WAL mode keeps every committed transaction
through a process crash (kill -9); only a power loss can drop the last ones.
Two processes writing at once are serialized by SQLite's write lock; one that
waits longer than ``busy_timeout`` gets :class:`~dedup.index.IndexBusy`.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable

from .index import Entry, IndexBusy, IndexError_, decode_sig, encode_sig

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, grp TEXT NOT NULL, added REAL NOT NULL,
    published TEXT NOT NULL, text_sig BLOB NOT NULL, terms_sig BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS bands (
    kind INTEGER NOT NULL, band INTEGER NOT NULL, key INTEGER NOT NULL, rid INTEGER NOT NULL,
    PRIMARY KEY (kind, band, key, rid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS docs_added ON docs(added);
"""
KIND_CODE = {"text": 0, "terms": 1}


class SqliteStore:
    def __init__(self, path: str, busy_timeout: float = 10.0) -> None:
        self.path = path
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise IndexError_(f"{path}: folder {folder} does not exist")
        try:
            self.db = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise IndexError_(f"{path}: not a dedup index ({exc})") from exc

    def close(self) -> None:
        self.db.close()

    def _busy(self, exc: sqlite3.OperationalError) -> Exception:
        if "locked" in str(exc) or "busy" in str(exc):
            return IndexBusy(f"{self.path}: another process is writing to the index; try again ({exc})")
        return exc

    def get_meta(self) -> dict | None:
        row = self.db.execute("SELECT value FROM meta WHERE key='meta'").fetchone()
        return json.loads(row[0]) if row else None

    def set_meta(self, meta: dict) -> None:
        with_tx(self.db, lambda: self.db.execute("INSERT OR REPLACE INTO meta VALUES ('meta', ?)", (json.dumps(meta),)))

    # -- transaction view ----------------------------------------------------------
    def transaction(self, keys, work: Callable, write: bool):
        try:
            self.db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.OperationalError as exc:
            raise self._busy(exc) from exc
        try:
            result = work(self)
            self.db.execute("COMMIT")
            return result
        except sqlite3.OperationalError as exc:
            self.db.execute("ROLLBACK")
            raise self._busy(exc) from exc
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def candidates(self, keys: list[tuple[str, int, int]]) -> dict[tuple[str, int, int], list[str]]:
        # a temporary table joined on the primary key: a row-value IN (VALUES ...) list
        # makes SQLite scan the whole bands table on every query
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS probe (kind INTEGER, band INTEGER, key INTEGER)")
        self.db.execute("DELETE FROM probe")
        self.db.executemany("INSERT INTO probe VALUES (?,?,?)", [(KIND_CODE[k], b, key) for k, b, key in keys])
        names = {v: k for k, v in KIND_CODE.items()}
        out: dict[tuple[str, int, int], list[str]] = {}
        for kind, band, key, ident in self.db.execute(
            "SELECT p.kind, p.band, p.key, d.id FROM probe p "
            "JOIN bands b ON b.kind = p.kind AND b.band = p.band AND b.key = p.key JOIN docs d ON d.rid = b.rid"
        ):
            out.setdefault((names[kind], band, key), []).append(ident)
        return out

    def entries(self, ids: list[str]) -> dict[str, Entry]:
        out = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            q = ",".join("?" for _ in chunk)
            for ident, grp, added, published, ts, ms in self.db.execute(
                f"SELECT id, grp, added, published, text_sig, terms_sig FROM docs WHERE id IN ({q})", chunk):
                out[ident] = Entry(ident, grp, added, published, decode_sig(ts), decode_sig(ms))
        return out

    def existing(self, ids: list[str]) -> set[str]:
        out: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            q = ",".join("?" for _ in chunk)
            out.update(r[0] for r in self.db.execute(f"SELECT id FROM docs WHERE id IN ({q})", chunk))
        return out

    def insert(self, entries: list[tuple[Entry, list[tuple[str, int, int]]]]) -> None:
        for e, keys in entries:
            cur = self.db.execute(
                "INSERT INTO docs (id, grp, added, published, text_sig, terms_sig) VALUES (?,?,?,?,?,?)",
                (e.id, e.group, e.added, e.published, encode_sig(e.text_sig), encode_sig(e.terms_sig)))
            rid = cur.lastrowid
            self.db.executemany("INSERT OR IGNORE INTO bands VALUES (?,?,?,?)",
                                [(KIND_CODE[k], b, key, rid) for k, b, key in keys])

    # -- maintenance ---------------------------------------------------------------
    def _delete(self, where: str, params) -> int:
        def run():
            rids = [r[0] for r in self.db.execute(f"SELECT rid FROM docs WHERE {where}", params)]
            for start in range(0, len(rids), 500):
                chunk = rids[start : start + 500]
                q = ",".join("?" for _ in chunk)
                self.db.execute(f"DELETE FROM bands WHERE rid IN ({q})", chunk)
                self.db.execute(f"DELETE FROM docs WHERE rid IN ({q})", chunk)
            return len(rids)

        return with_tx(self.db, run)

    def remove(self, ids: list[str]) -> int:
        total = 0
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            total += self._delete(f"id IN ({','.join('?' for _ in chunk)})", chunk)
        return total

    def prune(self, before: float) -> int:
        return self._delete("added < ?", (before,))

    def stats(self) -> dict:
        docs, groups, oldest, newest = self.db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT grp), MIN(added), MAX(added) FROM docs").fetchone()
        size = sum(os.path.getsize(p) for p in (self.path, self.path + "-wal") if os.path.exists(p))
        return {"backend": "sqlite", "location": self.path, "documents": docs, "groups": groups,
                "oldest_added": oldest, "newest_added": newest, "bytes_on_disk": size}


def with_tx(db: sqlite3.Connection, fn: Callable):
    db.execute("BEGIN IMMEDIATE")
    try:
        result = fn()
        db.execute("COMMIT")
        return result
    except BaseException:
        db.execute("ROLLBACK")
        raise

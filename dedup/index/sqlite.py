"""The embedded index store: one SQLite file in WAL mode, no server.

Crash safety comes from SQLite itself: a batch is checked and recorded inside
one ``BEGIN IMMEDIATE`` transaction, so a writer killed at any point leaves
either the whole batch or none of it, and a verdict is returned only after the
commit. ``synchronous=NORMAL`` in WAL mode keeps every committed transaction
through a process crash (kill -9); only a power loss can drop the last ones.
Two processes writing at once are serialized by SQLite's write lock; one that
waits longer than ``busy_timeout`` gets :class:`~dedup.index.index.IndexBusy`.

Opening writes nothing until the file is known to be a dedup index (or is new or
empty and ``create`` was asked): another application's database is refused as it
was found, a missing file is not created, and a file that cannot be written is
opened read-only, for checks and statistics.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from urllib.parse import quote

from .store import (Entry, IndexBusy, IndexError_, IndexFull, IndexReadOnly, decode_sig, encode_sig, pack_body,
                    unpack_body)

TABLES = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS docs (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, grp TEXT NOT NULL, "
    "added REAL NOT NULL, published TEXT NOT NULL, text_sig BLOB NOT NULL, terms_sig BLOB NOT NULL, "
    "content TEXT, verdict TEXT, body BLOB)",
    "CREATE TABLE IF NOT EXISTS bands (kind INTEGER NOT NULL, band INTEGER NOT NULL, key INTEGER NOT NULL, "
    "rid INTEGER NOT NULL, PRIMARY KEY (kind, band, key, rid)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS docs_added ON docs(added)",
)
OURS = {"meta", "docs", "bands"}
KIND_CODE = {"text": 0, "terms": 1}


class SqliteStore:
    def __init__(self, path: str, busy_timeout: float = 10.0, create: bool = False, write: bool = True) -> None:
        self.path = path
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise IndexError_(f"{path}: folder {folder} does not exist")
        exists = os.path.exists(path)
        if not exists and not create:
            raise IndexError_(f"{path}: no index here (create one with `dedup index create {path}`)")
        # WAL mode writes two files beside the index: the folder must be writable too
        writable = os.access(folder, os.W_OK) and (not exists or os.access(path, os.W_OK))
        if not writable and (write or create):
            what = "file" if os.access(folder, os.W_OK) else "folder"
            raise IndexReadOnly(f"{path}: the index is read-only (its {what} cannot be written); "
                                "`dedup index check` and `dedup index stats` can read it")
        self.writable = writable and write
        self.columns: set[str] = set()  # of the docs table: an index of format 1 or 2 lacks some
        try:
            self.db = self._connect(path, busy_timeout, folder)
            tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            raise IndexError_(f"{path}: not a dedup index ({exc})") from exc
        foreign = sorted(tables - OURS)
        if tables and "meta" not in tables or foreign and not OURS <= tables:
            self.db.close()
            raise IndexError_(f"{path}: not a dedup index: an SQLite database of another application "
                              f"(tables {', '.join(foreign[:5])}); left as it was")
        self.empty = not tables
        if tables:
            self.columns = self._columns()

    def _connect(self, path: str, busy_timeout: float, folder: str) -> sqlite3.Connection:
        if self.writable:
            db = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA synchronous=NORMAL")  # of this connection: nothing is written
        else:
            uri = "file:" + quote(os.path.abspath(path))
            try:
                db = sqlite3.connect(uri + "?mode=ro", timeout=busy_timeout, isolation_level=None,
                                     check_same_thread=False, uri=True)
                db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
            except sqlite3.OperationalError:
                if os.access(folder, os.W_OK):
                    raise
                # a WAL index in a read-only folder: without the -shm file SQLite opens it only as
                # immutable, which is exact there since nothing can write the folder
                db = sqlite3.connect(uri + "?immutable=1", timeout=busy_timeout, isolation_level=None,
                                     check_same_thread=False, uri=True)
        db.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        return db

    def _columns(self) -> set[str]:
        return {r[1] for r in self.db.execute("PRAGMA table_info(docs)")}

    def close(self) -> None:
        self.db.close()

    def _error(self, exc: sqlite3.Error) -> Exception:
        """SQLite's error as the index's: what happened and what to do."""
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if code == sqlite3.SQLITE_FULL:
            return IndexFull(f"{self.path}: disk full; nothing of this batch was recorded "
                             f"(free space, then re-run the same input) ({exc})")
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return IndexBusy(f"{self.path}: another process is writing to the index; try again ({exc})")
        if code == sqlite3.SQLITE_READONLY:
            return IndexReadOnly(f"{self.path}: the index is read-only ({exc})")
        if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            return IndexError_(f"{self.path}: the index file is damaged ({exc})")
        if code in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN):
            return IndexError_(f"{self.path}: cannot read or write the index file ({exc})")
        return exc

    def _tx(self, fn: Callable, write: bool = True):
        """Run ``fn`` in one transaction; SQLite's errors become the index's."""
        try:
            self.db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        try:
            result = fn()
            self.db.execute("COMMIT")
            return result
        except BaseException as exc:
            # SQLite rolls back by itself on some errors (disk full): a ROLLBACK then would fail
            if self.db.in_transaction:
                try:
                    self.db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            if isinstance(exc, sqlite3.Error):
                raise self._error(exc) from exc
            raise

    def _write(self) -> None:
        if not self.writable:
            raise IndexReadOnly(f"{self.path}: the index was opened read-only")

    # -- meta and layout -------------------------------------------------------------
    def get_meta(self) -> dict | None:
        if self.empty:
            return None
        try:
            row = self.db.execute("SELECT value FROM meta WHERE key='meta'").fetchone()
            meta = json.loads(row[0]) if row else None
        except (sqlite3.Error, ValueError) as exc:
            raise IndexError_(f"{self.path}: not a dedup index ({exc})") from exc
        if meta is not None and not isinstance(meta.get("settings"), dict):
            raise IndexError_(f"{self.path}: not a dedup index (its meta table holds no dedup settings)")
        return meta

    def set_meta(self, meta: dict) -> None:
        self._write()
        if self.empty:
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
            except sqlite3.Error as exc:
                raise self._error(exc) from exc

        def run():
            for statement in TABLES:
                self.db.execute(statement)
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('meta', ?)", (json.dumps(meta),))

        self._tx(run)
        self.empty = False
        self.columns = self._columns()

    def migrate(self) -> None:
        """Add what format 2 keeps per article (content hash, verdict) to a format 1 index, and
        what format 3 keeps (title and text) to a format 1 or 2 index: the articles recorded
        before keep none (NULL)."""
        self._write()

        def run():
            have = self._columns()
            for column, kind in (("content", "TEXT"), ("verdict", "TEXT"), ("body", "BLOB")):
                if column not in have:
                    self.db.execute(f"ALTER TABLE docs ADD COLUMN {column} {kind}")

        self._tx(run)
        self.columns = self._columns()

    # -- transaction view ----------------------------------------------------------
    def transaction(self, keys, work: Callable, write: bool):
        if write:
            self._write()
        return self._tx(lambda: work(self), write=write)

    def candidates(self, keys: list[tuple[str, int, int]]) -> dict[tuple[str, int, int], list[str]]:
        # a temporary table joined on the primary key: a row-value IN (VALUES ...) list
        # makes SQLite scan the whole bands table on every query
        out: dict[tuple[str, int, int], list[str]] = {}
        if not keys:
            return out
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS probe (kind INTEGER, band INTEGER, key INTEGER)")
        self.db.execute("DELETE FROM probe")
        self.db.executemany("INSERT INTO probe VALUES (?,?,?)", [(KIND_CODE[k], b, key) for k, b, key in keys])
        names = {v: k for k, v in KIND_CODE.items()}
        for kind, band, key, ident in self.db.execute(
            "SELECT p.kind, p.band, p.key, d.id FROM probe p "
            "JOIN bands b ON b.kind = p.kind AND b.band = p.band AND b.key = p.key JOIN docs d ON d.rid = b.rid"
        ):
            out.setdefault((names[kind], band, key), []).append(ident)
        return out

    def entries(self, ids: list[str]) -> dict[str, Entry]:
        """The entries of these ids: title and text when stored (format 3), else signatures."""
        out = {}
        cols = ", ".join(c if c in self.columns else "NULL" for c in ("content", "body"))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            q = ",".join("?" for _ in chunk)
            for ident, grp, added, published, ts, ms, content, body in self.db.execute(
                f"SELECT id, grp, added, published, text_sig, terms_sig, {cols} FROM docs WHERE id IN ({q})", chunk):
                title, text = unpack_body(body)
                out[ident] = Entry(ident, grp, added, published, decode_sig(ts), decode_sig(ms), content or "", "",
                                   title, text)
        return out

    def recorded(self, ids: list[str]) -> dict[str, tuple[str | None, str | None, str]]:
        """id -> (content hash, stored verdict, group) of those recorded (hash and verdict None
        for articles recorded by format 1)."""
        out = {}
        cols = ", ".join(c if c in self.columns else "NULL" for c in ("content", "verdict"))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            q = ",".join("?" for _ in chunk)
            for ident, content, verdict, grp in self.db.execute(
                    f"SELECT id, {cols}, grp FROM docs WHERE id IN ({q})", chunk):
                out[ident] = (content, verdict, grp)
        return out

    def insert(self, entries: list[tuple[Entry, list[tuple[str, int, int]]]]) -> None:
        for e, keys in entries:
            cur = self.db.execute(
                "INSERT INTO docs (id, grp, added, published, text_sig, terms_sig, content, verdict, body) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                (e.id, e.group, e.added, e.published, encode_sig(e.text_sig), encode_sig(e.terms_sig),
                 e.content, e.verdict, None if e.text is None else pack_body(e.title, e.text)))
            rid = cur.lastrowid
            self.db.executemany("INSERT OR IGNORE INTO bands VALUES (?,?,?,?)",
                                [(KIND_CODE[k], b, key, rid) for k, b, key in keys])

    # -- maintenance ---------------------------------------------------------------
    def _delete(self, where: str, params) -> int:
        self._write()

        def run():
            rids = [r[0] for r in self.db.execute(f"SELECT rid FROM docs WHERE {where}", params)]
            for start in range(0, len(rids), 500):
                chunk = rids[start : start + 500]
                q = ",".join("?" for _ in chunk)
                self.db.execute(f"DELETE FROM bands WHERE rid IN ({q})", chunk)
                self.db.execute(f"DELETE FROM docs WHERE rid IN ({q})", chunk)
            return len(rids)

        return self._tx(run)

    def remove(self, ids: list[str]) -> int:
        total = 0
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            total += self._delete(f"id IN ({','.join('?' for _ in chunk)})", chunk)
        return total

    def prune(self, before: float) -> int:
        return self._delete("added < ?", (before,))

    def stats(self) -> dict:
        try:
            docs, groups, oldest, newest = self.db.execute(
                "SELECT COUNT(*), COUNT(DISTINCT grp), MIN(added), MAX(added) FROM docs").fetchone()
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        size = sum(os.path.getsize(p) for p in (self.path, self.path + "-wal") if os.path.exists(p))
        return {"backend": "sqlite", "location": self.path, "documents": docs, "groups": groups,
                "oldest_added": oldest, "newest_added": newest, "bytes_on_disk": size,
                **({} if self.writable else {"read_only": True})}

"""The shared index store: a Redis server, for many workers on many machines.

Layout under a key prefix (``redis://host:port/db?prefix=NAME``, default ``dedup``)::

    {p}:meta               string  JSON settings
    {p}:doc:{id}           hash    grp, added, published, text_sig, terms_sig, keys, content, verdict, body
    {p}:b:{kind}:{band}:{key}  set  ids of the articles in that LSH bucket
    {p}:added              zset    id -> time added (for pruning by age)

A batch is checked and recorded under the index's write lock (``{p}:lock``,
``SET NX PX`` with a random token). The lock lives ``LOCK_MS`` (5 s) and a
heartbeat thread renews it while its batch works, so a worker that died holding
it delays the others by at most 5 s. It is *fenced*: the batch's writes are one
server-side script that first checks the lock still holds the writer's token,
and writes nothing otherwise. A worker paused past the lock's life (a stopped
process, a long swap) whose lock was taken by another therefore cannot record
its batch on top of the other's: its write is refused, and the batch is checked
again under a new lock (``LockLost`` after three tries). Signing, the expensive
part, happens before the lock is taken; under it a batch costs three pipelined
round trips (recorded ids, buckets, candidates) and one script call, whatever its size. Watching
the bucket keys instead (optimistic locking) was measured slower: WATCH on the
~30 keys per article made a 500-article batch cost the server more than the
writes themselves (60 adds/s against 194 at 50 per batch).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit, urlunsplit

from .store import (Entry, IndexBusy, IndexError_, IndexFull, IndexUnavailable, LockLost, decode_sig, encode_sig,
                    pack_body, unpack_body)

log = logging.getLogger("dedup")

#: The write lock's life: a worker that dies holding it delays the others this long at most.
#: A live holder renews it every LOCK_MS / 3 while its batch works.
LOCK_MS = 5_000
#: A writer waits this long for the lock before reporting the index busy.
LOCK_WAIT_S = 30.0
#: A batch whose lock was lost before its writes is checked again this many times in all.
TRIES = 3
#: Articles forgotten, only if the lock still holds the writer's token. ARGV: token, prefix, then
#: per article: id, m, and its m bucket keys (named in Python: the keys are 64-bit integers,
#: which Lua's numbers cannot hold).
_FORGET = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('LOCKLOST the write lock expired or was taken by another worker')
end
local p, i, n = ARGV[2], 3, 0
while i <= #ARGV do
  local id, m = ARGV[i], tonumber(ARGV[i + 1])
  for b = 1, m do
    redis.call('srem', ARGV[i + 1 + b], id)
  end
  redis.call('del', p .. ':doc:' .. id)
  redis.call('zrem', p .. ':added', id)
  n = n + 1
  i = i + 2 + m
end
return n
"""
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
_RENEW = ("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) "
          "else return 0 end")
#: A batch's writes, done only if the lock still holds the writer's token (the fence).
#: ARGV: token, prefix, n, then per article: id, grp, added, published, text_sig, terms_sig,
#: keys (JSON), content, verdict, body, m, and its m bucket keys.
_WRITE = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('LOCKLOST the write lock expired or was taken by another worker')
end
local p, n, i = ARGV[2], tonumber(ARGV[3]), 4
for _ = 1, n do
  local id = ARGV[i]
  redis.call('hset', p .. ':doc:' .. id, 'grp', ARGV[i + 1], 'added', ARGV[i + 2], 'published', ARGV[i + 3],
             'text_sig', ARGV[i + 4], 'terms_sig', ARGV[i + 5], 'keys', ARGV[i + 6], 'content', ARGV[i + 7],
             'verdict', ARGV[i + 8], 'body', ARGV[i + 9])
  redis.call('zadd', p .. ':added', ARGV[i + 2], id)
  local m = tonumber(ARGV[i + 10])
  for b = 1, m do
    redis.call('sadd', ARGV[i + 10 + b], id)
  end
  i = i + 11 + m
end
return n
"""


class RedisStore:
    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise IndexUnavailable("the Redis index needs the redis package: pip install 'dedup[redis]'") from exc
        self._redis = redis
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        self.prefix = query.pop("prefix", ["dedup"])[0]
        clean = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        self.url = url
        self.r = redis.Redis.from_url(clean, socket_timeout=10, socket_connect_timeout=5,
                                      retry_on_timeout=False, health_check_interval=0)

    def _k(self, *parts) -> str:
        return ":".join([self.prefix, *map(str, parts)])

    def _call(self, fn: Callable):
        """Run ``fn``; the server's errors become the index's: what happened and what to do."""
        r = self._redis
        try:
            return fn()
        except r.ResponseError as exc:
            text = str(exc)
            if text.startswith("OOM") or "maxmemory" in text:
                raise IndexFull(f"{self.url}: the Redis server is out of memory (maxmemory); nothing of this "
                                f"batch was recorded (prune the index or give the server memory, then re-run) "
                                f"({exc})") from exc
            if "LOCKLOST" in text:
                raise LockLost(f"{self.url}: {text.split(' ', 1)[-1]} before the batch was written; "
                               "nothing of it was recorded; try again") from exc
            if "DB index is out of range" in text or "invalid DB index" in text:
                raise IndexError_(f"{self.url}: the Redis server has no database {self._db()} ({exc})") from exc
            raise IndexUnavailable(f"{self.url}: the Redis server refused the index's command ({exc})") from exc
        except (r.ConnectionError, r.TimeoutError) as exc:
            if "Invalid Database" in str(exc) or "DB index" in str(exc):
                raise IndexError_(f"{self.url}: the Redis server has no database {self._db()} ({exc})") from exc
            raise IndexUnavailable(f"{self.url}: cannot reach the Redis server ({exc})") from exc
        except r.RedisError as exc:  # a reply that is not Redis's protocol
            raise IndexUnavailable(f"{self.url}: not a Redis server, or the connection broke ({exc!r})") from exc

    def _db(self) -> str:
        return urlsplit(self.url).path.strip("/") or "0"

    def close(self) -> None:
        self.r.close()

    def get_meta(self) -> dict | None:
        raw = self._call(lambda: self.r.get(self._k("meta")))
        if not raw:
            return None
        try:
            meta = json.loads(raw)
        except ValueError:
            meta = None
        if not isinstance(meta, dict) or not isinstance(meta.get("settings"), dict):
            raise IndexError_(f"{self.url}: not a dedup index (key {self._k('meta')} holds something else)")
        return meta

    def migrate(self) -> None:
        """Formats 2 and 3 keep more fields in each article's hash (content and verdict; body): nothing
        to change in place; the articles recorded before lack them."""

    def set_meta(self, meta: dict) -> None:
        self._call(lambda: self.r.set(self._k("meta"), json.dumps(meta)))

    # -- transaction view ----------------------------------------------------------
    def transaction(self, keys, work: Callable, write: bool):
        if not write:
            return self._call(lambda: work(_View(self)))
        return self._under_lock(work)

    def _under_lock(self, work: Callable, fenced: Callable | None = None):
        """``work`` (then ``fenced``) under the write lock, tried again when the lock was lost
        before the writes (nothing was written then)."""
        for attempt in range(1, TRIES + 1):
            try:
                return self._call(lambda: self._locked(work, fenced))
            except LockLost:
                if attempt == TRIES:
                    raise
                log.warning("%s: the write lock was lost before the batch was written (nothing written); "
                            "checking the batch again", self.url)

    def _locked(self, work: Callable, fenced: Callable | None = None):
        """``work`` under the write lock, its writes fenced by the lock's token; ``fenced(lock,
        token, result)``, when given, makes writes of its own, fenced alike, and gives the result."""
        lock, token = self._k("lock"), uuid.uuid4().hex
        deadline = time.monotonic() + LOCK_WAIT_S
        while not self.r.set(lock, token, nx=True, px=LOCK_MS):
            if time.monotonic() > deadline:
                raise IndexBusy(f"{self.url}: another worker has held the index's write lock for {LOCK_WAIT_S:.0f} s")
            time.sleep(0.002)
        beat = _Heartbeat(self, lock, token)
        try:
            view = _View(self)
            result = work(view)
            if view.pending:
                self.r.eval(_WRITE, 1, lock, token, self.prefix, *view.arguments())
            return result if fenced is None else fenced(lock, token, result)
        finally:
            beat.stop()
            try:
                self.r.eval(_RELEASE, 1, lock, token)
            except self._redis.RedisError:
                pass  # the lock expires by itself within LOCK_MS

    # -- maintenance ---------------------------------------------------------------
    def _forget(self, ids: Callable[[], list[str]]) -> int:
        """Forget the articles ``ids()`` names, under the write lock (an add cannot record a
        verdict against an article half forgotten), the deletions fenced like a batch's writes."""
        def find(_view) -> list:
            chosen = ids()
            pipe = self.r.pipeline()
            for i in chosen:
                pipe.hmget(self._k("doc", i), "keys")
            args: list = []
            for i, (keys,) in zip(chosen, pipe.execute()):
                if keys is not None:
                    buckets = [self._k("b", *k) for k in json.loads(keys)]
                    args += [i, len(buckets), *buckets]
            return args

        return self._under_lock(find, lambda lock, token, args: self.r.eval(_FORGET, 1, lock, token, self.prefix, *args))

    def remove(self, ids: list[str]) -> int:
        return self._forget(lambda: list(ids))

    def prune(self, before: float) -> int:
        return self._forget(lambda: [o.decode() for o in self.r.zrangebyscore(self._k("added"), "-inf", f"({before}")])

    def stats(self) -> dict:
        def run():
            n = self.r.zcard(self._k("added"))
            oldest = self.r.zrange(self._k("added"), 0, 0, withscores=True)
            newest = self.r.zrange(self._k("added"), -1, -1, withscores=True)
            mem = self.r.info("memory").get("used_memory")
            return {"backend": "redis", "location": self.url, "documents": n,
                    "oldest_added": oldest[0][1] if oldest else None, "newest_added": newest[0][1] if newest else None,
                    "server_memory_bytes": mem}

        return self._call(run)


class _Heartbeat:
    """Renews a held write lock every LOCK_MS / 3 until stopped, so that only a dead (or paused)
    holder lets it expire."""

    def __init__(self, store: RedisStore, lock: str, token: str) -> None:
        self.store, self.lock, self.token = store, lock, token
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="dedup-lock-heartbeat", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        ms = LOCK_MS
        while not self.stopped.wait(ms / 3000):
            try:
                if not self.store.r.eval(_RENEW, 1, self.lock, self.token, ms):
                    return  # lost: the fenced write will be refused
            except self.store._redis.RedisError:
                return

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()


class _View:
    """What :meth:`dedup.index.index.Index._run` sees inside one Redis transaction."""

    def __init__(self, store: RedisStore) -> None:
        self.s = store
        self.pending: list[tuple[Entry, list]] = []

    def _batch(self):
        return self.s.r.pipeline(transaction=False)

    def candidates(self, keys):
        batch = self._batch()
        for kind, band, key in keys:
            batch.smembers(self.s._k("b", kind, band, key))
        return {key: [m.decode() for m in members] for key, members in zip(keys, batch.execute()) if members}

    def entries(self, ids):
        batch = self._batch()
        for i in ids:
            batch.hmget(self.s._k("doc", i), "grp", "added", "published", "text_sig", "terms_sig", "content", "body")
        out = {}
        for i, (grp, added, pub, ts, ms, content, body) in zip(ids, batch.execute()):
            if grp is not None:
                title, text = unpack_body(body)
                out[i] = Entry(i, grp.decode(), float(added), pub.decode(), decode_sig(ts), decode_sig(ms),
                               content.decode() if content else "", "", title, text)
        return out

    def recorded(self, ids):
        batch = self._batch()
        for i in ids:
            batch.hmget(self.s._k("doc", i), "content", "verdict", "grp")
        return {i: (c and c.decode(), v and v.decode(), g.decode())
                for i, (c, v, g) in zip(ids, batch.execute()) if g is not None}

    def insert(self, entries):
        self.pending.extend(entries)

    def arguments(self) -> list:
        args: list = [len(self.pending)]
        for e, keys in self.pending:
            body = b"" if e.text is None else pack_body(e.title, e.text)
            args += [e.id, e.group, repr(e.added), e.published, encode_sig(e.text_sig), encode_sig(e.terms_sig),
                     json.dumps(keys), e.content, e.verdict, body, len(keys)]
            args += [self.s._k("b", kind, band, key) for kind, band, key in keys]
        return args

"""The Redis tier: skill bytes + the file fingerprint they were read from, behind a
circuit breaker. Writes go through a background thread (a cache write never slows or
fails a save); reads are synchronous with the configured (<= 100 ms) timeouts.

Only keys under the workspace prefix are read, written, scanned or deleted.
"""

from __future__ import annotations

import logging
import re
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from ..errors import ValidationError
from ..redact import mask_url
from .breaker import CircuitBreaker
from .files import Fingerprint
from .model import content_hash
from .results import KeyPage, RedisKey, RedisState

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_PENDING = 10_000
# A burst of saves goes to Redis as one pipeline, sent at most this long after the
# first: the writer thread then takes the GIL once per burst instead of once per save
# (each time, a save in progress waits for it). Redis is a cache: a reader that comes
# before the fill reads the file, as it would on any miss.
LINGER = 0.01
BATCH = 256
MAGIC = b"SRS2"  # values of other versions (SRS1 had no ctime) are misses, replaced on fill
# value = MAGIC + (mtime_ns, size, inode, ctime_ns, checked_ns) + sha256 digest + the file's bytes
_HEAD = struct.Struct("<4sqqqqq32s")


class Unavailable(Exception):
    """Redis was not asked (breaker open) or failed; the caller goes on without it."""


class CachedValue(NamedTuple):
    raw: bytes
    fp: Fingerprint
    checked_ns: int
    digest: bytes

    @property
    def hash(self) -> str:
        return "sha256:" + self.digest.hex()


def encode(raw: bytes, fp: Fingerprint, checked_ns: int, hash_: str) -> bytes:
    digest = bytes.fromhex(hash_.split(":", 1)[1])
    return _HEAD.pack(MAGIC, fp.mtime_ns, fp.size, fp.ino, fp.ctime_ns, checked_ns, digest) + raw


def decode(value: bytes) -> CachedValue | None:
    """Parse a stored value; None if it is not ours or damaged (then it is replaced)."""
    try:
        magic, mtime, size, ino, ctime, checked, digest = _HEAD.unpack_from(value)
    except struct.error:
        return None
    raw = value[_HEAD.size:]
    if magic != MAGIC or size != len(raw):
        return None
    return CachedValue(raw, Fingerprint(mtime, size, ino, ctime), checked, digest)


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


class RedisTier:
    def __init__(self, url: str, prefix: str, *, ttl: float, connect_timeout: float,
                 read_timeout: float) -> None:
        self.url = url
        self.prefix = prefix
        self.skill_prefix = prefix + "skill:"
        self.ttl_ms = max(1, int(ttl * 1000))
        self._timeouts = (connect_timeout, read_timeout)
        self._client: Any = None
        self._client_lock = threading.Lock()
        self.breaker = CircuitBreaker()
        self.latency_ms: float | None = None
        # key -> (raw, fingerprint, checked_ns, hash or None) to set, or None to delete
        self._pending: OrderedDict[str, tuple | None] = OrderedDict()
        self._cond = threading.Condition()
        self._busy = False
        self._idle = False    # the writer waits for work: the next write must wake it
        self._hurry = False   # flush() waits: send without lingering
        self._writer: threading.Thread | None = None
        self._closed = False
        self.dropped_writes = 0

    # -- plumbing -------------------------------------------------------------------
    def _redis(self) -> Any:
        if self._client is None:
            from ..redis_client import make_redis

            with self._client_lock:
                if self._client is None:
                    self._client = make_redis(self.url, connect_timeout=self._timeouts[0],
                                              read_timeout=self._timeouts[1], max_connections=32)
        return self._client

    def call(self, fn: Callable[[Any], T]) -> T:
        """Run ``fn(client)`` through the breaker; raises Unavailable instead of blocking."""
        if not self.breaker.allow():
            raise Unavailable(self.breaker.last_error or "circuit open")
        try:
            t0 = time.perf_counter()
            result = fn(self._redis())
            self.latency_ms = (time.perf_counter() - t0) * 1000
        except Exception as exc:  # noqa: BLE001 - redis-py raises many types (and OSError)
            self.breaker.failure(exc)
            log.warning("redis tier: %s", self.breaker.last_error)
            raise Unavailable(self.breaker.last_error or "error") from None
        self.breaker.success()
        return result

    def key(self, ident: str) -> str:
        return self.skill_prefix + ident

    # -- reads ----------------------------------------------------------------------
    def get(self, ident: str) -> bytes | None:
        """Raw stored value (None if absent); raises Unavailable. (``call`` inlined: hot path.)"""
        breaker = self.breaker
        if breaker._state != "closed" and not breaker.allow():
            raise Unavailable(breaker.last_error or "circuit open")
        try:
            t0 = time.perf_counter()
            value = (self._client or self._redis()).get(self.skill_prefix + ident)
            self.latency_ms = (time.perf_counter() - t0) * 1000
        except Exception as exc:  # noqa: BLE001 - redis-py raises many types (and OSError)
            breaker.failure(exc)
            log.warning("redis tier: %s", breaker.last_error)
            raise Unavailable(breaker.last_error or "error") from None
        breaker.success()
        return value

    def mget(self, idents: list[str]) -> list[bytes | None]:
        return self.call(lambda r: r.mget([self.skill_prefix + i for i in idents]))

    def inspect(self, ident: str) -> tuple[bytes | None, float | None]:
        """Value and TTL (seconds) of a skill key, for the tier view."""
        key = self.key(ident)

        def run(r: Any) -> tuple[bytes | None, float | None]:
            pipe = r.pipeline(transaction=False)
            pipe.get(key)
            pipe.pttl(key)
            value, pttl = pipe.execute()
            return value, (pttl / 1000 if pttl is not None and pttl >= 0 else None)

        return self.call(run)

    # -- background writes ------------------------------------------------------------
    def set_later(self, ident: str, raw: bytes, fp: Fingerprint, checked_ns: int,
                  hash_: str | None = None) -> None:
        """Queue a fill; the value is encoded (and hashed) on the writer thread."""
        self._enqueue(self.key(ident), (raw, fp, checked_ns, hash_))

    def delete_later(self, ident: str) -> None:
        self._enqueue(self.key(ident), None)

    def _enqueue(self, key: str, value: tuple | None) -> None:
        if self._closed:
            return
        with self._cond:
            self._pending.pop(key, None)
            self._pending[key] = value  # newest write for a key wins, in order
            while len(self._pending) > MAX_PENDING:
                self._pending.popitem(last=False)
                self.dropped_writes += 1
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_loop, name="skills-redis-writer",
                                                daemon=True)
                self._writer.start()
            elif self._idle:  # (lingering or sending, it takes this write next anyway)
                self._idle = False
                self._cond.notify()

    def _write_loop(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._busy = self._hurry = False
                    self._idle = True
                    self._cond.notify_all()
                    self._cond.wait()
                self._idle = False
                if self._closed and not self._pending:
                    self._busy = False
                    self._cond.notify_all()
                    return
                deadline = time.monotonic() + LINGER
                while not (self._closed or self._hurry) and len(self._pending) < BATCH:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                batch = list(self._pending.items())[:BATCH]
                for key, _ in batch:
                    del self._pending[key]
                self._busy = True
            if not self.breaker.allow():
                # Redis is down: drop the writes. Safe, because every Redis value is
                # checked against the file's fingerprint before it is served.
                self.dropped_writes += len(batch)
                continue
            self._send(batch)

    def _send(self, batch: list[tuple[str, tuple | None]]) -> None:
        encoded = [(key, None if v is None else encode(v[0], v[1], v[2], v[3] or content_hash(v[0])))
                   for key, v in batch]

        def run(r: Any) -> None:
            pipe = r.pipeline(transaction=False)
            for key, value in encoded:
                if value is None:
                    pipe.unlink(key)
                else:
                    pipe.set(key, value, px=self.ttl_ms)
            pipe.execute()

        try:
            self.call(run)
        except Unavailable:
            self.dropped_writes += len(batch)

    @property
    def pending(self) -> int:
        return len(self._pending) + (1 if self._busy else 0)

    def flush(self, timeout: float = 1.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            if self._pending:
                self._hurry = True
                self._cond.notify_all()
            while self._pending or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    # -- administration ----------------------------------------------------------------
    def state(self, probe: bool = True) -> RedisState:
        used = None
        if probe:
            try:
                info = self.call(lambda r: (r.ping(), r.info("memory"))[1])
                used = info.get("used_memory_human")
            except Unavailable:
                pass
        breaker = self.breaker.state
        return RedisState(
            configured=True, url=mask_url(self.url), connected=breaker == "closed" and self.latency_ms is not None,
            breaker=breaker, last_error=self.breaker.last_error, last_error_at=self.breaker.last_error_at,
            retry_in=self.breaker.retry_in(), latency_ms=self.latency_ms, used_memory=used,
            pending_writes=self.pending)

    def _check_key(self, key: str) -> None:
        if not isinstance(key, str) or not key.startswith(self.prefix) or len(key) == len(self.prefix):
            raise ValidationError(f"{key!r} is not one of this workspace's keys",
                                  hint=f"Only keys under {self.prefix!r} can be evicted.")

    def scan(self, cursor: int = 0, count: int = 100) -> KeyPage:
        match = _glob_escape(self.prefix) + "*"

        def run(r: Any) -> KeyPage:
            next_cursor, keys = r.scan(cursor=cursor, match=match, count=count)
            keys = [k.decode() if isinstance(k, bytes) else k for k in keys]
            keys = [k for k in keys if k.startswith(self.prefix)]
            pipe = r.pipeline(transaction=False)
            for k in keys:
                pipe.ttl(k)
                pipe.type(k)
                pipe.memory_usage(k)
            out = pipe.execute(raise_on_error=False) if keys else []
            rows = []
            for i, k in enumerate(keys):
                ttl, typ, size = out[3 * i: 3 * i + 3]
                typ = typ.decode() if isinstance(typ, bytes) else str(typ)
                rows.append(RedisKey(k, int(ttl) if isinstance(ttl, int) else -2, typ,
                                     size if isinstance(size, int) else None))
            return KeyPage(rows, int(next_cursor))

        return self.call(run)

    def evict(self, key: str) -> bool:
        self._check_key(key)
        return bool(self.call(lambda r: r.unlink(key)))

    def count(self) -> int:
        total = 0
        cursor = 0
        while True:
            page = self.call(lambda r, c=cursor: r.scan(cursor=c, match=_glob_escape(self.prefix) + "*",
                                                        count=1000))
            cursor, keys = int(page[0]), page[1]
            total += sum(1 for k in keys if (k.decode() if isinstance(k, bytes) else k).startswith(self.prefix))
            if cursor == 0:
                return total

    def evict_all(self) -> int:
        removed = 0
        cursor = 0
        match = _glob_escape(self.prefix) + "*"
        while True:
            cursor, keys = self.call(lambda r, c=cursor: r.scan(cursor=c, match=match, count=500))
            cursor = int(cursor)
            keys = [k for k in keys if (k.decode() if isinstance(k, bytes) else k).startswith(self.prefix)]
            if keys:
                removed += int(self.call(lambda r, ks=keys: r.unlink(*ks)))
            if cursor == 0:
                return removed

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._writer is not None:
            self._writer.join(timeout=1.0)
        if self._client is not None:
            try:
                self._client.close()
            except Exception:  # noqa: BLE001 - closing a broken client must not raise
                pass

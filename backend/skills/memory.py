"""The memory tier: an LRU of parsed skills bounded by entry count and bytes."""

from __future__ import annotations

import threading
from collections import OrderedDict

from .files import Fingerprint
from .model import Skill, content_hash


class MemoryEntry:
    """A cached skill, its file bytes and the fingerprint of the file it was read from.
    ``racy``: re-verify against the file before serving. ``trusted``: no change to the
    file since it was checked, as the kernel's change feed says (``change_feed``), so it
    can be served without a stat. The hash is computed on demand."""

    __slots__ = ("_hash", "fp", "path", "racy", "raw", "size", "skill", "trusted")

    def __init__(self, skill: Skill, raw: bytes, fp: Fingerprint, path: str, racy: bool,
                 hash_: str | None = None) -> None:
        self.skill = skill
        self.raw = raw
        self.size = len(raw)  # what the byte bound counts
        self.fp = fp
        self.path = path
        self.racy = racy
        self.trusted = False
        self._hash = hash_

    def trust(self) -> None:
        self.trusted = True

    @property
    def hash(self) -> str:
        if self._hash is None:
            self._hash = content_hash(self.raw)
        return self._hash


class MemoryTier:
    """Thread-safe LRU. ``peek`` is lock-free (a dict read is atomic under the GIL)."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._data: OrderedDict[str, MemoryEntry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.evictions = 0

    def peek(self, ident: str) -> MemoryEntry | None:
        return self._data.get(ident)

    def touch(self, ident: str) -> None:
        try:
            self._data.move_to_end(ident)
        except KeyError:
            pass  # dropped meanwhile by another thread

    def put(self, ident: str, entry: MemoryEntry) -> None:
        if self.max_entries <= 0 or entry.size > self.max_bytes:
            self.drop(ident)
            return
        with self._lock:
            old = self._data.pop(ident, None)
            if old is not None:
                self._bytes -= old.size
            self._data[ident] = entry
            self._bytes += entry.size
            while self._data and (len(self._data) > self.max_entries or self._bytes > self.max_bytes):
                _, gone = self._data.popitem(last=False)
                self._bytes -= gone.size
                self.evictions += 1

    def drop(self, ident: str) -> None:
        with self._lock:
            old = self._data.pop(ident, None)
            if old is not None:
                self._bytes -= old.size

    def untrust(self, idents: list[str] | None) -> None:
        """Mark entries (all if ``idents`` is None) as needing a check before serving."""
        data = self._data
        if idents is None:
            for entry in list(data.values()):
                entry.trusted = False
            return
        for ident in idents:
            entry = data.get(ident)
            if entry is not None:
                entry.trusted = False

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0

    @property
    def entries(self) -> int:
        return len(self._data)

    @property
    def bytes(self) -> int:
        return self._bytes

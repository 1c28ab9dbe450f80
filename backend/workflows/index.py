"""A metadata index of version files, so listings never parse YAML they have seen.

Entries are keyed by the file's relative path and validated by ``(mtime_ns, size)``:
a file changed in any way is read again. The index is derived state, saved to
``.storeroom/workflow-index.json`` (atomically; last writer wins, a lost entry only
costs a re-read) and safe to delete.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .models import VersionInfo

log = logging.getLogger(__name__)
FORMAT = 1


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic GC while building many small acyclic objects.

    A listing of 10,000 versions allocates enough to trigger full collections, which
    on a large heap cost more than the listing itself; nothing built here has cycles.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class MetaIndex:
    """Thread-safe map of ``<id>/v<N>.yaml`` -> (mtime_ns, size, VersionInfo)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, tuple[int, int, VersionInfo]] = {}
        self._lock = threading.Lock()
        self._loaded = False
        self._dirty = False

    def _load(self) -> None:
        self._loaded = True
        try:
            raw = json.loads(self.path.read_bytes())
            if raw.get("format") != FORMAT:
                return
            for rel, row in raw["entries"].items():
                wid, _, fname = rel.partition("/")
                info = VersionInfo(wid, int(fname[1:-5]), *row[2:])
                self._entries[rel] = (row[0], row[1], info)
        except FileNotFoundError:
            return
        except (ValueError, KeyError, TypeError, IndexError, OSError) as exc:
            # Derived state: a damaged index is rebuilt from the files.
            log.warning("ignoring workflow index %s: %s", self.path, exc)
            self._entries.clear()

    def lookup(self, rel: str, mtime_ns: int, size: int) -> VersionInfo | None:
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    self._load()
        hit = self._entries.get(rel)  # a single dict read is atomic: no lock on the hot path
        if hit is not None and hit[0] == mtime_ns and hit[1] == size:
            return hit[2]
        return None

    def put(self, rel: str, mtime_ns: int, size: int, info: VersionInfo) -> None:
        with self._lock:
            if not self._loaded:
                self._load()
            self._entries[rel] = (mtime_ns, size, info)
            self._dirty = True

    def forget_missing(self, seen: set[str]) -> None:
        """Drop entries for files that no longer exist (after a full scan)."""
        with self._lock:
            gone = [rel for rel in self._entries if rel not in seen]
            for rel in gone:
                del self._entries[rel]
            self._dirty = self._dirty or bool(gone)

    def save(self) -> None:
        """Write the index if it changed; failures are logged, never raised."""
        with self._lock:
            if not self._dirty:
                return
            rows = {rel: [m, s, i.parent, i.created_at, i.author, i.message, i.content_hash,
                          i.name, i.error] for rel, (m, s, i) in self._entries.items()}
            self._dirty = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}")
            tmp.write_text(json.dumps({"format": FORMAT, "entries": rows},
                                      ensure_ascii=False, separators=(",", ":")), "utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("could not save workflow index %s: %s", self.path, exc)

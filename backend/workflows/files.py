"""File-level mechanics: scanning a workflow folder, writing a version exactly once,
and a cache of parsed versions keyed by the hash of the file's bytes."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import Conflict

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 1000


def version_of(name: str) -> int | None:
    """``v12.yaml`` -> 12; anything else -> None."""
    if name.startswith("v") and name.endswith(".yaml") and name[1:-5].isdigit():
        number = int(name[1:-5])
        return number if number >= 1 and name[1] != "0" else None
    return None


def tombstone_of(name: str) -> int | None:
    """``v12.deleted`` -> 12; anything else -> None."""
    if name.startswith("v") and name.endswith(".deleted") and name[1:-8].isdigit():
        return int(name[1:-8])
    return None


def scan(folder: str | os.PathLike[str]) -> tuple[dict[int, os.DirEntry[str]], set[int]]:
    """(live versions -> entry, deleted version numbers) of one workflow folder."""
    live: dict[int, os.DirEntry[str]] = {}
    deleted: set[int] = set()
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                number = version_of(entry.name)
                if number is not None:
                    live[number] = entry
                elif (number := tombstone_of(entry.name)) is not None:
                    deleted.add(number)
    except (FileNotFoundError, NotADirectoryError):
        pass
    return live, deleted


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on directories
    finally:
        os.close(fd)


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data``; FileExistsError if it exists. Durable when it returns."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def write_once(folder: Path, first: int, render: Callable[[int], str]) -> tuple[int, bytes]:
    """Write ``render(n)`` to ``v<n>.yaml`` for the first free n >= ``first``; never overwrite.

    The text goes to a temp file first and is hard-linked into place, which fails if
    the name exists, so readers never see a half-written version and two writers
    (threads or processes) never get the same number. A number that was used and
    deleted meanwhile (a tombstone exists) is skipped too.
    """
    tmp = folder / f".tmp-{uuid.uuid4().hex}.yaml"
    number = first
    try:
        for _ in range(MAX_ATTEMPTS):
            data = render(number).encode("utf-8")
            final = folder / f"v{number}.yaml"
            if (folder / f"v{number}.deleted").exists():
                number += 1
                continue
            _write_new(tmp, data)
            try:
                os.link(tmp, final)
            except FileExistsError:
                os.unlink(tmp)
                number += 1
                continue
            except OSError:
                # No hard links here (some network/FAT filesystems): exclusive create.
                os.unlink(tmp)
                try:
                    _write_new(final, data)
                except FileExistsError:
                    number += 1
                    continue
            else:
                os.unlink(tmp)
            if (folder / f"v{number}.deleted").exists():
                # Used and deleted between our scan and our link: give the number back.
                os.unlink(final)
                number += 1
                continue
            fsync_dir(folder)
            return number, data
    finally:
        if tmp.exists():
            tmp.unlink()
    raise Conflict(f"could not find a free version number in {folder} after {MAX_ATTEMPTS} tries",
                   hint="Something is creating versions very fast; try again.")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ParseCache:
    """Parsed versions by sha256 of the file bytes: memory (LRU) then ``.storeroom``.

    Keyed by content, so it can never serve a stale parse of an edited file. Hand edits
    leave entries nobody asks for again, so the folder is kept to ``disk_capacity``
    files: past that, the least recently written are removed (checked every
    ``prune_every`` writes; a removed entry is only parsed again when needed).
    """

    def __init__(self, folder: Path, capacity: int = 4096, *, disk_capacity: int = 50_000,
                 prune_every: int = 500) -> None:
        self.folder = folder
        self.capacity = capacity
        self.disk_capacity = disk_capacity
        self.prune_every = prune_every
        self._memory: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._writes = 0

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            hit = self._memory.get(key)
            if hit is not None:
                self._memory.move_to_end(key)
                return hit
        try:
            hit = json.loads((self.folder / f"{key}.json").read_bytes())
        except (OSError, ValueError):
            return None
        self._remember(key, hit)
        return hit

    def put(self, key: str, parsed: dict[str, Any]) -> None:
        self._remember(key, parsed)
        try:
            body = json.dumps(parsed, ensure_ascii=False, separators=(",", ":"))
        except TypeError:
            return  # dates and other YAML-only scalars: memory only, to keep types exact
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{key}.{uuid.uuid4().hex}"
            tmp.write_text(body, "utf-8")
            os.replace(tmp, self.folder / f"{key}.json")
        except OSError as exc:
            log.debug("parse cache write failed: %s", exc)
            return
        with self._lock:
            self._writes += 1
            due = self._writes % self.prune_every == 0
        if due:
            self.prune()

    def prune(self) -> int:
        """Remove the least recently written entries past ``disk_capacity``; how many went."""
        try:
            with os.scandir(self.folder) as entries:
                found = [(e.stat().st_mtime_ns, e.path) for e in entries if e.name.endswith(".json")]
        except OSError:
            return 0
        if len(found) <= self.disk_capacity:
            return 0
        found.sort()
        removed = 0
        for _mtime, path in found[:len(found) - self.disk_capacity * 3 // 4]:
            try:
                os.unlink(path)
                removed += 1
            except OSError:
                pass  # another process pruned it first
        return removed

    def _remember(self, key: str, parsed: dict[str, Any]) -> None:
        with self._lock:
            self._memory[key] = parsed
            self._memory.move_to_end(key)
            while len(self._memory) > self.capacity:
                self._memory.popitem(last=False)

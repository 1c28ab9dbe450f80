"""Disk I/O for skill files: bounded reads, durable atomic writes, stale temp cleanup.

Temp files are named ``.<id>.json.tmp-<pid>-<random>`` in the skills folder, so a
crashed writer's leftovers are recognisable and, once that pid is gone, removed at open.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import time
from collections.abc import Callable
from typing import NamedTuple

from .model import content_hash

TEMP_MARK = ".json.tmp-"


class Fingerprint(NamedTuple):
    """What one ``os.stat`` says about a file; equal fingerprints mean unchanged content,
    unless the copy was taken while the file was "racy" (see :func:`is_racy`).
    The ctime is what makes it hold against a rewrite that puts the old size and mtime
    back (``cp -p``, ``rsync -t``, ``touch -d``): no program can set it, and every write,
    rename or utime moves it. (A NamedTuple: built on every read, it must be cheap.)"""

    mtime_ns: int
    size: int
    ino: int
    ctime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> Fingerprint:
        return cls(st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)

    def matches(self, st: os.stat_result) -> bool:
        return (st.st_mtime_ns == self.mtime_ns and st.st_ctime_ns == self.ctime_ns
                and st.st_size == self.size and st.st_ino == self.ino)


UNKNOWN = Fingerprint(-1, -1, -1, -1)  # matches no file


# File timestamps come from the kernel's coarse clock (one tick, <= 10 ms), or whole
# seconds on some filesystems: a same-size rewrite within that window keeps the mtime.
RACY_NS = 100_000_000
RACY_COARSE_NS = 2_000_000_000


def is_racy(mtime_ns: int, checked_ns: int) -> bool:
    """True if content read at ``checked_ns`` could still change without a new mtime."""
    window = RACY_COARSE_NS if mtime_ns % 1_000_000_000 == 0 else RACY_NS
    return checked_ns - mtime_ns < window


class TooLarge(Exception):
    """A file over the size limit. ``token`` stands in for its content hash (it is never
    read whole): ``stat:<mtime_ns>:<size>:<inode>``, usable as ``expected`` to replace it."""

    def __init__(self, size: int, limit: int, st: os.stat_result | None = None) -> None:
        self.size = size
        self.limit = limit
        self.token = f"stat:{st.st_mtime_ns}:{st.st_size}:{st.st_ino}" if st is not None else None
        super().__init__(f"file is {size} bytes, over the {limit}-byte limit (skills.max_file_bytes)")


class FileRead:
    """A file's bytes, fingerprint and read time; the content hash is computed on first use."""

    __slots__ = ("_hash", "checked_ns", "fp", "raw")

    def __init__(self, raw: bytes, fp: Fingerprint, checked_ns: int) -> None:
        self.raw = raw
        self.fp = fp
        self.checked_ns = checked_ns  # wall clock when read (for the racy check)
        self._hash: str | None = None

    @property
    def hash(self) -> str:
        if self._hash is None:
            self._hash = content_hash(self.raw)
        return self._hash


def read_file(path: str, max_bytes: int) -> FileRead:
    """Read a skill file whole, refusing (before reading) one over ``max_bytes``.

    Raises FileNotFoundError, TooLarge, or OSError.
    """
    checked = time.time_ns()
    fd = os.open(path, READ_FLAGS)
    try:
        return _read_open(fd, max_bytes, checked)
    finally:
        os.close(fd)


def read_file_held(path: str, max_bytes: int) -> tuple[FileRead, int]:
    """Like :func:`read_file`, but the file stays open: its descriptor is returned too
    (while it is open, replacing the file does not free the old inode; the close does)."""
    checked = time.time_ns()
    fd = os.open(path, READ_FLAGS)
    try:
        return _read_open(fd, max_bytes, checked), fd
    except BaseException:
        os.close(fd)
        raise


READ_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)


def _read_open(fd: int, max_bytes: int, checked: int) -> FileRead:
    st = os.fstat(fd)
    if st.st_size > max_bytes:
        raise TooLarge(st.st_size, max_bytes, st)
    want = st.st_size + 1  # one more byte than expected: a growing file shows up
    raw = os.read(fd, want)
    if len(raw) == want:  # grew while we read: read on, still bounded by max_bytes
        chunks = [raw]
        remaining = max_bytes + 1 - len(raw)
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        raw = b"".join(chunks)
    if len(raw) > max_bytes:
        raise TooLarge(len(raw), max_bytes, st)
    if len(raw) != st.st_size:
        # Written while we read: take the fingerprint of what we have as unknown (never matches).
        return FileRead(raw, UNKNOWN, checked)
    return FileRead(raw, Fingerprint.of(st), checked)


def atomic_write(folder: str, name: str, data: bytes, dir_fd: int | None = None, *,
                 sync_dir: bool = True, on_sync: Callable[[], object] | None = None,
                 before_rename: Callable[[], object] | None = None,
                 after_rename: Callable[[os.stat_result], object] | None = None) -> os.stat_result:
    """Durably replace ``folder/name`` with ``data``: unique temp file, write, fsync,
    rename, fsync the folder. Returns the new file's stat, taken after the rename (which
    moves its ctime). Readers see old or new, never half.
    ``on_sync`` runs just before the fsync (work for another thread while this one waits);
    ``before_rename`` may still call the write off by raising (the temp file is removed);
    ``after_rename(stat)`` runs just before the folder fsync."""
    fd, tmp = _create_temp(folder, name)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if on_sync is not None:
                on_sync()
            os.fsync(fd)
            if before_rename is not None:
                before_rename()
            os.replace(tmp, os.path.join(folder, name))
            st = os.fstat(fd)
            if after_rename is not None:
                after_rename(st)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if sync_dir:
        fsync_dir(folder, dir_fd)
    return st


_temp_serial = itertools.count()
_TEMP_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _create_temp(folder: str, name: str) -> tuple[int, str]:
    """A new, exclusive ``.<name>.tmp-<pid>-<serial>`` (mode 0600, as mkstemp makes it,
    at half its cost): O_EXCL guarantees it is ours; a clash (a leftover of an earlier
    process with our pid) takes the next serial."""
    for _ in range(10_000):
        tmp = f"{folder}/.{name}.tmp-{os.getpid()}-{next(_temp_serial)}"
        try:
            return os.open(tmp, _TEMP_FLAGS, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", folder)


def fsync_dir(folder: str, dir_fd: int | None = None) -> None:
    """Make a rename or unlink in ``folder`` durable."""
    if dir_fd is not None:
        os.fsync(dir_fd)
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_temp_files(folder: str) -> list[str]:
    """Remove temp files of writers that are no longer running; returns their names."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(".") and TEMP_MARK in name):
            continue
        pid_part = name.rsplit(TEMP_MARK, 1)[1].split("-", 1)[0]
        if pid_part.isdigit() and (int(pid_part) == os.getpid() or _pid_alive(int(pid_part))):
            continue  # a writer (maybe another storeroom) is writing it right now
        try:
            os.unlink(entry.path)
            removed.append(name)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise
    return removed

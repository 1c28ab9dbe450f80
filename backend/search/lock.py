"""One process owns a workspace's index: an exclusive ``flock`` on a file in .storeroom/index/."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ..errors import BackendUnavailable

LOCK_NAME = "owner.lock"


class IndexBusy(BackendUnavailable):
    """Another process owns the index; skills can still be read and edited here."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        who = f"storeroom process {pid}" if pid else "another storeroom process"
        super().__init__("skill index", f"in use by {who}",
                         hint="Search from that process, or close it and retry; skills can still be read "
                              "and edited here.")


def holder(path: Path) -> int | None:
    """The pid written by the current owner of ``path``, if any (0 if unknown)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            return int(text) if text.isdigit() else 0
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


class IndexLock:
    """Held for the life of an open index; :meth:`still_held` notices a deleted folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`IndexBusy` (never waits)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            raise IndexBusy(int(text) if text.isdigit() else None) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self.fd = fd

    def still_held(self) -> bool:
        """False if the lock file was deleted or replaced (e.g. the folder was removed)."""
        if self.fd is None:
            return False
        try:
            return os.stat(self.path).st_ino == os.fstat(self.fd).st_ino
        except OSError:
            return False

    def release(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

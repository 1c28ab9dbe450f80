"""Write locks: striped thread locks in-process, plus an ``flock`` on a lock file so two
storeroom processes (TUI and CLI) never interleave a check-and-write on the folder."""

from __future__ import annotations

import os
import threading
import zlib

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: in-process locking only
    fcntl = None  # type: ignore[assignment]

STRIPES = 256


class WriteLocks:
    def __init__(self, lock_path: str | None) -> None:
        self._stripes = [threading.Lock() for _ in range(STRIPES)]
        self._fd: int | None = None
        self._proc_lock = threading.Lock()
        self._holders = 0
        if lock_path is not None and fcntl is not None:
            try:
                os.makedirs(os.path.dirname(lock_path), exist_ok=True)
                self._fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            except OSError:
                self._fd = None  # read-only workspace: writes will fail on their own

    def hold(self, ident: str) -> _Held:
        """Exclusive for ``ident`` among threads, and for the folder among processes
        (a context manager)."""
        return _Held(self, self._stripes[zlib.crc32(ident.encode()) % STRIPES])

    def _acquire_process(self) -> None:
        if self._fd is None:
            return
        # flock belongs to the open file, shared by our threads: count holders so the
        # first takes it and the last lets it go.
        with self._proc_lock:
            if self._holders == 0:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            self._holders += 1

    def _release_process(self) -> None:
        if self._fd is None:
            return
        with self._proc_lock:
            self._holders -= 1
            if self._holders == 0:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class _Held:
    """One hold of a stripe and the process lock (a class, not a generator: it is on
    every save's path)."""

    __slots__ = ("_locks", "_stripe")

    def __init__(self, locks: WriteLocks, stripe: threading.Lock) -> None:
        self._locks = locks
        self._stripe = stripe

    def __enter__(self) -> None:
        self._stripe.acquire()
        try:
            self._locks._acquire_process()
        except BaseException:
            self._stripe.release()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            self._locks._release_process()
        finally:
            self._stripe.release()

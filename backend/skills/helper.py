"""A thread for a save's side work, done while the saving thread waits on fsync.

A save spends most of its time in fsync, which releases the GIL: work handed to this
thread just before the file's fsync (reading the old file to confirm it, the audit
insert) runs inside that wait, and the work after the rename (committing the audit row,
putting the new version in the tiers, closing the old file) inside the folder's. The
save waits for each result it needs before it returns; only closing the old file
(freeing its inode) may end after put() returns, and :meth:`SaveHelper.drain` or
:meth:`SaveHelper.close` waits for that too.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Job:
    """Work handed to the helper that its owner can take back: if the helper has not
    started it by the time the owner needs it done, the owner takes it (:meth:`take_back`)
    and does it itself, so a busy or closed helper never makes a save wait."""

    __slots__ = ("_claim", "_done", "_fn")

    def __init__(self, fn: Callable[[], None]) -> None:
        self._fn = fn
        self._claim = threading.Lock()  # taken by whoever does the work
        self._done = threading.Lock()   # released when the helper has done it
        self._done.acquire()

    def run(self) -> None:
        """On the helper thread (what :meth:`SaveHelper.submit` is given)."""
        if self._claim.acquire(blocking=False):
            try:
                self._fn()
            finally:
                self._done.release()

    def take_back(self) -> bool:
        """True: the helper never started it and now never will; False: it did (then :meth:`wait`)."""
        return self._claim.acquire(blocking=False)

    def wait(self) -> None:
        """Until the helper has done it (call only after ``take_back()`` said False)."""
        self._done.acquire()

    def complete(self) -> None:
        """Make sure it has run: here, if the helper has not started it, else wait for it."""
        if self.take_back():
            self._fn()
        else:
            self.wait()


class SaveHelper:
    """One daemon thread, started on first use; thread-safe. Jobs submitted after
    :meth:`close` never run (their owners must not wait for them blindly)."""

    def __init__(self, name: str = "skills-save-helper") -> None:
        self._name = name
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, job: Callable[[], None]) -> bool:
        """Run ``job()`` on the helper thread, soon. True: it will run before
        :meth:`close` returns; False: the helper is closed and it never will."""
        with self._lock:
            if self._closed:
                return False
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._jobs.put(job)
        return True

    def drain(self, timeout: float = 1.0) -> bool:
        """Wait until every job submitted so far has run; True if they did within ``timeout``."""
        done = threading.Event()
        return not self.submit(done.set) or done.wait(timeout)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except Exception:  # noqa: BLE001 - jobs report their own failures; keep serving
                log.exception("skills save helper job failed")

    def close(self) -> None:
        """Stop the thread once the jobs already submitted have run; safe to call twice."""
        with self._lock:
            self._closed = True
            thread, self._thread = self._thread, None
            if thread is not None:
                self._jobs.put(None)
        if thread is not None:
            thread.join(timeout=5.0)

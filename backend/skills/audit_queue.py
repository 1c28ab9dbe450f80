"""Audit entries written off the save path: a save returns once its file is durable,
and its audit row follows on this thread within milliseconds, in order.

``drain()`` waits for the queue (the store calls it from ``flush()`` and ``close()``,
so readers of the audit log see every entry). A crash can lose the rows still queued
(at most the last few milliseconds of saves); the files themselves are never at risk.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)
_STOP = object()


class AuditQueue:
    def __init__(self, append: Callable[..., None], on_error: Callable[[str], None]) -> None:
        self._append = append
        self._on_error = on_error
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def put(self, action: str, target: str, before: str | None, after: str | None, detail: dict) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="skills-audit", daemon=True)
                    self._thread.start()
        self._queue.put((action, target, before, after, detail))

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                action, target, before, after, detail = item
                try:
                    self._append(action, target, before_hash=before, after_hash=after, detail=detail)
                except Exception:  # noqa: BLE001 - never kill the writer; report it instead
                    log.exception("audit entry for %s failed", target)
                    self._on_error(target)
            finally:
                self._queue.task_done()

    def drain(self) -> None:
        if self._thread is not None:
            self._queue.join()

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout=5.0)
            self._thread = None

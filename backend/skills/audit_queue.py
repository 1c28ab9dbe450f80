"""Audit rows written off the save path, in batches.

A save returns once its file is durable; its audit row follows on this thread, in
order, committed with the others queued in the same ~10 ms in one transaction (one WAL
append instead of one per save, which otherwise taxes the next save's fsync).

``drain()`` waits for the queue (the store calls it from ``flush()``, ``audit_entries()``
and ``close()``). A crash can lose the rows still queued, i.e. the last few
milliseconds of saves; the skill files themselves are never at risk.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)
_STOP = object()
BATCH_WINDOW = 0.01
BATCH_MAX = 500

Row = tuple[str, str, "str | None", "str | None", dict]


class AuditQueue:
    def __init__(self, write_batch: Callable[[list[Row]], None], on_error: Callable[[str], None]) -> None:
        self._write_batch = write_batch
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
            first = self._queue.get()
            batch = [first]
            deadline = time.monotonic() + BATCH_WINDOW
            while first is not _STOP and len(batch) < BATCH_MAX:
                left = deadline - time.monotonic()
                try:
                    item = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                batch.append(item)
                if item is _STOP:
                    break
            rows = [item for item in batch if item is not _STOP]
            try:
                if rows:
                    self._write_batch(rows)
            except Exception:  # noqa: BLE001 - never kill the writer; report it instead
                log.exception("writing %d audit entries failed", len(rows))
                for row in rows:
                    self._on_error(row[1])
            finally:
                for _ in batch:
                    self._queue.task_done()
            if len(rows) != len(batch):
                return

    def drain(self) -> None:
        if self._thread is not None:
            self._queue.join()

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout=5.0)
            self._thread = None

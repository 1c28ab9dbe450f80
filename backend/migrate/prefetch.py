"""Read-ahead: the next batches are read and converted in a thread while the current
one is being written.

Reading SQLite and sending a COPY both release the GIL while they wait, so the source
side (read, check, convert) and the target side (the server ingesting the batch) overlap
instead of taking turns. Order is kept; the consumer alone touches checkpoints, so what
is committed is exactly what the single-threaded loop would have committed.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
_END = object()


class ReadAhead(Generic[T]):
    """Iterate ``source`` in a daemon thread, at most ``depth`` items ahead.

    Use as a context manager: leaving it (normally, on error or on cancel) stops the
    thread and waits for it, so the source's connection is free again afterwards.
    An exception raised by the source is re-raised in the consumer.
    """

    def __init__(self, source: Iterable[T], depth: int = 2, name: str = "migrate-read-ahead") -> None:
        self._source = source
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> Iterator[T]:
        self._thread.start()
        return self._items()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        while self._thread.is_alive():
            try:  # unblock a producer waiting on a full queue
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self._thread.join()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        items = iter(self._source)
        try:
            for item in items:
                if not self._put(item):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, re-raised there
            self._put(_Failure(exc))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a generator stopped early runs its cleanup here, in its thread
        self._put(_END)

    def _items(self) -> Iterator[T]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item  # type: ignore[misc]


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

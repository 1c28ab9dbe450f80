"""Loading a table over several target connections ("lanes"), committing in batch order.

Batch k goes to lane k mod n, and every lane sends its batch as soon as it has one, so
several PostgreSQL backends ingest rows at the same time (one backend parsing jsonb is
what bounds a single-connection copy). Commits stay strictly ordered: batch k commits,
with its checkpoint, only after batch k-1 has; only the calling thread commits. A
crash at any moment therefore leaves the target holding a prefix of the batches and a
checkpoint naming exactly that prefix, as with one connection.

Leaving an :class:`OrderedLoad` without :meth:`~OrderedLoad.drain` (an error on any
lane, a cancel) waits for the sends under way and rolls back every batch not
committed, so nothing uncommitted outlives the load.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

B = TypeVar("B")
S = TypeVar("S")


class Lane(Protocol):
    """A target connection that can hold one staged batch (``PgTarget``, ``SqliteTarget``)."""

    def rollback(self) -> None: ...


class OrderedLoad(Generic[B, S]):
    """Stage batches round-robin over ``lanes``; commit them in the order they were put.

    ``stage(lane, batch)`` opens the batch's transaction and sends its rows; it runs in
    a worker thread per lane (inline with a single lane) and returns what ``commit``
    needs. ``commit(lane, batch, staged)`` runs in the calling thread, oldest batch
    first. A lane holds at most one batch, so at most ``len(lanes)`` are in flight.
    """

    def __init__(self, lanes: list[Any], stage: Callable[[Any, B], S],
                 commit: Callable[[Any, B, S], None]) -> None:
        self._lanes = lanes
        self._stage, self._commit = stage, commit
        self._pending: deque[tuple[Any, B, cf.Future[S]]] = deque()
        self._put = 0
        self._pool = (cf.ThreadPoolExecutor(len(lanes), thread_name_prefix="migrate-lane")
                      if len(lanes) > 1 else None)

    def __enter__(self) -> OrderedLoad[B, S]:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)  # every send under way has ended
        self._pending.clear()
        for lane in self._lanes:  # whatever was staged and not committed goes
            lane.rollback()

    def put(self, batch: B) -> None:
        """Stage ``batch`` on the next lane, then commit batches until a lane is free.

        With n lanes the oldest batch commits while the newest is still being sent; the
        commit waits for its own send to end, and re-raises a failure of it.
        """
        lane = self._lanes[self._put % len(self._lanes)]
        self._put += 1
        if self._pool is None:
            done: cf.Future[S] = cf.Future()
            done.set_result(self._stage(lane, batch))
            self._pending.append((lane, batch, done))
        else:
            self._pending.append((lane, batch, self._pool.submit(self._stage, lane, batch)))
        while len(self._pending) >= len(self._lanes):
            self._commit_oldest()

    def drain(self) -> None:
        """Commit every batch still staged, in order."""
        while self._pending:
            self._commit_oldest()

    def _commit_oldest(self) -> None:
        lane, batch, future = self._pending[0]
        staged = future.result()
        self._pending.popleft()
        self._commit(lane, batch, staged)

"""The folder watcher: every change in skills/ becomes an index update a moment later.

Runs on the index thread with watchfiles' Rust notifier (inotify on Linux). Changes are
coalesced per burst (``index.debounce``), mapped to skill ids (swap, backup and temp
files ignored) and applied by :func:`backend.search.sync.apply_changes`. Each wake-up
also checks that the index folder still exists; if it was deleted, it is rebuilt.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from .docs import skill_id_of
from .sync import apply_changes, reconcile

if TYPE_CHECKING:
    from .index import SkillIndex

log = logging.getLogger(__name__)
TICK_MS = 250  # how often an idle watcher checks the index folder and the stop flag


def watch_loop(index: SkillIndex) -> None:
    """Watch until ``index.stop`` is set."""
    from watchfiles._rust_notify import RustNotify

    folder = index.ws.paths.skills
    folder.mkdir(parents=True, exist_ok=True)
    debounce_ms = max(1, int(float(index.ws.settings.index.debounce) * 1000))
    notify = RustNotify([str(folder)], False, False, 50, False, True)
    retry: set[str] = set()  # ids whose update failed: tried again on every tick
    try:
        first = True
        while not index.stop.is_set():
            changes = "timeout" if first else notify.watch(debounce_ms, min(5, debounce_ms), TICK_MS,
                                                           index.stop)
            if changes in ("stop", "signal"):
                return
            ids = set(retry) if changes == "timeout" else retry | _ids(changes)
            try:
                check_index_folder(index)
                if first:
                    # Anything written between the start-up reconcile and the notifier starting.
                    first = False
                    reconcile(index)
                if ids:
                    index.pending = len(ids)
                    apply_changes(index, ids)
                retry = set()
            except Exception:  # noqa: BLE001 - one bad batch must not stop the watcher
                # E.g. the index folder vanished mid-write, or the server is down: keep the
                # ids (shown as pending) and try again on the next tick.
                if retry:  # still failing: the first failure was logged with its traceback
                    log.debug("skill index update failed again; retrying", exc_info=True)
                else:
                    log.exception("skill index update failed; retrying on the next tick")
                retry = ids
                index.needs_rebuild = index.lock is not None and not index.lock.still_held()
            index.pending = len(retry)
    finally:
        notify.close()


def _ids(changes: set[tuple[int, str]]) -> set[str]:
    return {ident for _kind, path in changes if (ident := skill_id_of(os.path.basename(path))) is not None}


def check_index_folder(index: SkillIndex) -> None:
    """Rebuild, with a notice, if the index folder (and our lock in it) was deleted."""
    lock = index.lock
    if lock is None or (lock.still_held() and not index.needs_rebuild):
        return
    index.needs_rebuild = True  # until the rebuild below completes
    index.ws.events.emit("index.lost", "skill index", "index folder deleted while running; rebuilding")
    with index._engine_lock:
        try:
            index.engine.close()
        except Exception:  # noqa: BLE001 - its files are gone; the handle may complain
            log.debug("closing a deleted index failed", exc_info=True)
        lock.release()
        lock.acquire()
        index.known.clear()
        index.engine.open(index.engine_schema())
    report = reconcile(index)
    index.needs_rebuild = False
    index.ws.events.emit("index.rebuilt", "skill index", f"rebuilt after its folder was deleted: "
                         f"{len(report.added)} skills indexed", reason="index folder deleted",
                         points=len(index.known))

"""Read many skill files on a second thread while this one parses them.

A first catalogue load reads every file of the folder. Python's ``os.open``/``read``/
``close`` each retake the GIL, so a reader thread in Python would only trade places
with the parser; the C accelerator ``_readmany`` reads a run of files without the GIL,
so the reading of run k+1 overlaps the parsing of run k. Without the accelerator (no
C compiler at install), :func:`plain_rows` is not used and files are read one by one.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator

from .catalogue_rows import Row, row_from_bytes
from .files import Fingerprint

try:
    from . import _readmany
except ImportError:  # built by setup.py when a C compiler is there; optional
    _readmany = None

AVAILABLE = _readmany is not None
RUN_FILES = 1024  # files per GIL-free run (few runs: each hand-back of the GIL may wait a switch interval)
RUN_BYTES = 8 << 20  # and at most about this many bytes (files may be up to max_bytes)
_AHEAD = 3  # runs read ahead of the parser at most: bounds memory


def plain_rows(dir_fd: int, names: list[str], max_bytes: int) -> Iterator[tuple[str, Row | None]]:
    """``(name, row)`` for each name (plain ``<id>.json`` names, see ``plain_name``), in
    order; ``row`` is None when the file needs the careful way (``read_row``): it was
    missing, unreadable, over the limit, empty, or changed while it was read."""
    assert _readmany is not None
    runs: queue.Queue[tuple[list[str], list[tuple], int] | BaseException | None] = queue.Queue(_AHEAD)
    stop = threading.Event()

    def put(item: tuple[list[str], list[tuple], int] | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                runs.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            i = 0
            while i < len(names) and not stop.is_set():
                part = names[i:i + RUN_FILES]
                checked = time.time_ns()  # before the reads: errs on the racy side
                got = _readmany.read_many(dir_fd, part, max_bytes, RUN_BYTES)
                if not put((part[:len(got)], got, checked)):
                    return
                i += len(got)
        except BaseException as exc:  # noqa: BLE001 - handed to the parsing thread
            put(exc)
            return
        put(None)

    reader = threading.Thread(target=read, name="skills-bulk-read", daemon=True)
    reader.start()
    try:
        while (item := runs.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            part, got, checked = item
            for name, (raw, mtime_ns, size, ino, ctime_ns, _errno) in zip(part, got, strict=True):
                if raw is None or len(raw) != size or not size:
                    yield name, None
                else:
                    yield name, row_from_bytes(name, raw, Fingerprint(mtime_ns, size, ino, ctime_ns), checked)
    finally:
        stop.set()
        reader.join()

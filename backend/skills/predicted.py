"""Saving from what memory predicts the file holds, confirmed from the file meanwhile.

A save usually finds in the memory tier the exact bytes the file holds (the editor read
them, or the last save wrote them). It checks ``expected`` against those at once, and
:class:`Verify` reads the file on the save helper while the new version is fsynced: the
same read under the write lock as ``read_current``, out of the caller's way. If the file
turns out different, the write is called off before the rename (:class:`Stale`) and the
save is redone from the file.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .files import TooLarge, read_file, read_file_held
from .helper import Job

if TYPE_CHECKING:
    from .store import SkillStore


class Stale(Exception):
    """The file does not hold the bytes the memory tier predicted: redo from the file."""


# Holding the old file open across the rename is for POSIX: elsewhere (Windows) an
# open file may refuse to be replaced.
_HOLD_OLD = os.name == "posix"


class Verify:
    """Does the file still hold ``raw``, the bytes the memory tier has for it? Read on
    the save helper while the new version is fsynced; the answer is needed before the
    rename.

    The old file stays open across the rename and the helper closes it after: the
    rename then only unlinks it, and freeing its inode (up to a hundred microseconds in
    the filesystem) runs on the helper instead of lengthening the save. The save does
    not wait for that close (``SkillStore.flush`` does)."""

    __slots__ = ("_close_queued", "_fd", "_job", "_max_bytes", "_path", "_raw", "_same", "_settled")

    def __init__(self, path: str, raw: bytes, max_bytes: int) -> None:
        self._path = path
        self._raw = raw
        self._max_bytes = max_bytes
        self._same = False
        self._settled = False
        self._fd: int | None = None
        self._job = Job(self._read)
        self._close_queued = False  # True: the helper closes the old file, whatever happens

    def _read(self) -> None:
        try:
            if _HOLD_OLD:
                read, self._fd = read_file_held(self._path, self._max_bytes)
            else:
                read = read_file(self._path, self._max_bytes)
            self._same = read.raw == self._raw
        except (OSError, TooLarge):  # gone, unreadable or too large: not what we predicted
            self._same = False

    def _close_old(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def start(self, store: SkillStore) -> None:
        store._helper.submit(self._job.run)

    def _settle(self, read: bool) -> None:
        """Make sure the helper is not reading (or about to): take the read back (and
        do it here if ``read``) or wait for it. Once only."""
        if self._settled:
            return
        self._settled = True
        if self._job.take_back():  # the helper did not get to it
            if read:
                self._read()
        else:
            self._job.wait()

    def check(self) -> None:
        """Raise :class:`Stale` unless the file holds the predicted bytes."""
        self._settle(read=True)
        if not self._same:
            raise Stale

    def renamed(self, store: SkillStore) -> None:
        """Past the rename (so after :meth:`check`): the helper closes the old file."""
        self._close_queued = store._helper.submit(self._close_old)

    def done(self) -> None:
        """Before the save returns: the old file is closed, or the helper will close it."""
        self._settle(read=False)  # a failed write may not have asked: no read may open it later
        if not self._close_queued:
            self._close_old()  # not replaced (the write failed) or no helper: a cheap close

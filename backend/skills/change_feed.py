"""Kernel change notices for the skills folder (Linux inotify), so a memory hit needs no stat.

The kernel queues an inotify event inside the system call that changes the folder
(write, rename, unlink, utime...), before that call returns to whoever made it. So
"no event pending" proves that nothing in the folder changed since the last drain; one
``poll`` tells us, about four times cheaper than the ``os.stat`` it replaces.

Trust protocol (see ``SkillStore``): a memory entry is *trusted* when it was filled or
re-checked after the watch existed and no event for its file has been seen since.

* :meth:`ChangeFeed.quiet` is the hot-path check: True when no event is pending.
* :meth:`ChangeFeed.drain` reads pending events and calls ``untrust(names)`` with the
  file names they concern, or ``untrust(None)`` for "everything" (queue overflow, the
  folder or one of its parents moved or deleted, the watch lost). It bumps ``generation``.
* A filler reads ``generation`` (after draining) *before* its I/O and calls
  :meth:`trust_if_unchanged` after it: if a drain ran in between, that drain may have
  concerned this file before the entry existed, so the entry stays untrusted.

What inotify cannot see, and so turns the feed off (every hit checks the file with
``os.stat`` again, as without the feed): a folder reached through a symbolic link
(re-pointing the link raises no event on the folder), a filesystem where another
machine writes (NFS, SMB, FUSE), a system without inotify or out of inotify instances.
Not seen either: a mount placed over the folder or a parent, and a file changed through
a hard link in another folder; both are far outside how skills are edited.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import logging
import os
import select
import struct
import sys
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

IN_MODIFY = 0x002
IN_ATTRIB = 0x004
IN_CLOSE_WRITE = 0x008
IN_MOVED_FROM = 0x040
IN_MOVED_TO = 0x080
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_DELETE_SELF = 0x400
IN_MOVE_SELF = 0x800
IN_UNMOUNT = 0x2000
IN_Q_OVERFLOW = 0x4000
IN_IGNORED = 0x8000
IN_ONLYDIR = 0x01000000

_FOLDER_MASK = (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE
                | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
_PARENT_MASK = IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR
_EVERYTHING = IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED
_HEADER = struct.Struct("iIII")  # wd, mask, cookie, len (struct inotify_event)
# Filesystems where writes may come from elsewhere, unseen by this kernel's inotify.
_REMOTE_FS = frozenset({0x6969, 0xFF534D42, 0xFE534D42, 0x517B, 0x65735546, 0x01021997,
                        0x73757245})  # nfs, cifs, smb2, smb, fuse, v9fs, coda

Untrust = Callable[[set[str] | None], None]


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.inotify_init1.argtypes = [ctypes.c_int]
        libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        return libc
    except (OSError, AttributeError):
        return None


def _remote(path: str) -> bool:
    """True if ``path`` is on a network or FUSE filesystem (statfs f_type)."""
    libc = ctypes.CDLL(None)
    buf = ctypes.create_string_buffer(128)  # struct statfs; f_type is its first field
    if libc.statfs(os.fsencode(path), buf) != 0:
        return True  # cannot tell: be safe
    return struct.unpack_from("l", buf)[0] in _REMOTE_FS


class ChangeFeed:
    """inotify watch on one folder and its parents. ``enabled`` False means: no feed, stat."""

    def __init__(self, folder: str, untrust: Untrust) -> None:
        self.folder = os.path.abspath(folder)
        self.generation = 0
        self.busy = False  # a drain is between reading events and untrusting their files
        self.enabled = False
        self.reason = "not started"
        self._untrust = untrust
        self._lock = threading.Lock()
        self._fd = -1
        self._folder_wd = -1
        self._poll: Callable[[int], list[tuple[int, int]]] | None = None
        libc = _libc()
        if libc is None:
            self.reason = "inotify is not available on this system"
            return
        if os.path.realpath(self.folder) != self.folder:
            self.reason = "the skills folder is reached through a symbolic link"
            return
        if _remote(self.folder):
            self.reason = "the skills folder is on a network or FUSE filesystem"
            return
        self._libc = libc
        failed = self._start()
        self.enabled = failed is None
        self.reason = failed or "watching"

    def _start(self) -> str | None:
        """A new inotify instance watching the folder for changes and each parent for
        being moved or deleted, and its poller; why not, if that failed."""
        fd = self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            return f"inotify: {os.strerror(ctypes.get_errno())}"
        self._fd = fd
        wd = self._libc.inotify_add_watch(fd, os.fsencode(self.folder), _FOLDER_MASK)
        if wd < 0:
            failed = f"inotify watch: {os.strerror(ctypes.get_errno())}"
            self._close_fd()
            return failed
        self._folder_wd = wd
        parent, up = self.folder, os.path.dirname(self.folder)
        while up != parent:
            parent, up = up, os.path.dirname(up)
            if self._libc.inotify_add_watch(fd, os.fsencode(parent), _PARENT_MASK) < 0:
                failed = f"inotify watch on {parent}: {os.strerror(ctypes.get_errno())}"
                self._close_fd()
                return failed
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        self._poll = poller.poll
        return None

    def _close_fd(self) -> None:
        self._poll = None
        if self._fd >= 0:
            try:
                os.close(self._fd)
            except OSError:
                pass
            self._fd = -1

    def quiet(self) -> bool:
        """True if nothing changed in the folder since the last drain (one ``poll``)."""
        poll = self._poll
        try:
            return poll is not None and not poll(0)
        except RuntimeError:  # another thread is polling it right now: check the file instead
            return False

    def drain(self) -> None:
        """Read every pending event; untrust what they name (or everything)."""
        if self._fd < 0:
            return
        with self._lock:
            self.busy = True
            try:
                self._drain_locked()
            finally:
                self.busy = False

    def _drain_locked(self) -> None:
        names: set[str] | None = set()  # None: everything
        while self._fd >= 0:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                names = None
                self._lost(f"inotify read: {exc}")
                break
            pos = 0
            while pos < len(data):
                wd, mask, _cookie, length = _HEADER.unpack_from(data, pos)
                name = data[pos + 16:pos + 16 + length].rstrip(b"\0")
                pos += 16 + length
                if mask & _EVERYTHING or wd != self._folder_wd:
                    names = None  # overflow, or the folder / a parent moved or went away
                elif names is not None and name:
                    names.add(os.fsdecode(name))
        self.generation += 1
        if names is None:
            self._rewatch()
        self._untrust(names)

    def _rewatch(self) -> None:
        """After the folder or a parent moved: watch whatever the path names now."""
        if not self.enabled:
            return
        self._close_fd()
        if os.path.realpath(self.folder) != self.folder or not os.path.isdir(self.folder):
            self._lost("the skills folder was moved or deleted")
            return
        failed = self._start()
        if failed is not None:
            self._lost(failed)

    def _lost(self, reason: str) -> None:
        log.info("skills change feed off (%s): every read checks the file again", reason)
        self.enabled = False
        self.reason = reason
        self._close_fd()

    def settled_generation(self) -> int:
        """The generation after draining what is pending: read it before a fill's I/O."""
        if self.enabled and not self.quiet():
            self.drain()
        return self.generation

    def trust_if_unchanged(self, generation: int, trust: Callable[[], None]) -> None:
        """Call ``trust`` if no drain ran since ``generation`` was read (and one is not due)."""
        with self._lock:
            if self.enabled and self.generation == generation:
                trust()

    def close(self) -> None:
        with self._lock:
            self.enabled = False
            self._close_fd()

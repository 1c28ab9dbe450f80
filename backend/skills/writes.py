"""The write path: read what is on disk under the lock, check ``expected``, write
durably, then update the tiers and the catalogue, and commit the audit row."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import NotFound, StorageError, ValidationError
from .catalogue import Row, check_file, summarise
from .errors import SkillConflict
from .files import FileRead, Fingerprint, TooLarge, atomic_write, fsync_dir, read_file
from .helper import Job
from .memory import MemoryEntry
from .model import Skill, content_hash, now_iso, validate_id
from .predicted import Stale, Verify

if TYPE_CHECKING:
    from .store import SkillStore

Expected = int | str | None


@dataclass(frozen=True)
class Current:
    """The file as it is on disk right now (read under the write lock)."""

    read: FileRead | None      # None: no file (or too large to read)
    skill: Skill | None        # None: missing or invalid
    reason: str | None = None  # why it is invalid
    hash: str | None = None


def read_current(store: SkillStore, ident: str) -> Current:
    """The file as it is now (call under the write lock)."""
    name = ident + ".json"
    try:
        read = read_file(store._path(ident), store.max_bytes)
    except FileNotFoundError:
        return Current(None, None)
    except TooLarge as exc:
        return Current(None, None, str(exc), exc.token)
    except OSError as exc:
        raise io_error(exc, ident, "read") from None
    entry = store._mem.peek(ident)
    if entry is not None and entry.raw == read.raw:  # the bytes we parsed or wrote: same skill
        return Current(read, entry.skill, None, read.hash)
    try:
        return Current(read, check_file(name, read), None, read.hash)
    except ValidationError as exc:
        return Current(read, None, exc.message, read.hash)

def check_expected(ident: str, cur: Current, expected: Expected, mine: Skill | None) -> None:
    """Raise SkillConflict unless ``expected`` matches the file now on disk."""
    def conflict(reason: str) -> SkillConflict:
        return SkillConflict(ident, reason, mine=mine, theirs=cur.skill, theirs_hash=cur.hash,
                             theirs_raw=cur.read.raw if cur.read else None)

    if cur.hash is None:  # no file
        if expected is not None:
            raise conflict("was deleted since you opened it")
        return
    if cur.skill is None:
        if expected != cur.hash:
            raise conflict(f"the file on disk is invalid ({cur.reason}); "
                           "overwrite it only by passing expected=<its hash>")
        return
    if expected is None:
        raise conflict(f"already exists (version {cur.skill.version})")
    if isinstance(expected, int):
        if cur.skill.version != expected:
            raise conflict(f"changed since you opened it (you started from version {expected}, "
                           f"it is now version {cur.skill.version})")
    elif expected != cur.hash:
        raise conflict("changed since you opened it (content hash differs)")


def predict_current(store: SkillStore, ident: str) -> tuple[Current, Verify] | None:
    """The file as the memory tier says it is, and the check (run before the rename)
    that it still is; None when memory has nothing for ``ident``."""
    entry = store._mem.peek(ident)
    if entry is None:
        return None
    return Current(None, entry.skill, None, entry.hash), Verify(entry.path, entry.raw, store.max_bytes)


def put(store: SkillStore, skill: Skill, expected: Expected = None) -> Skill:
    """See :meth:`SkillStore.put`."""
    if not isinstance(skill, Skill):
        raise ValidationError(f"put needs a Skill, not {type(skill).__name__}",
                              hint="Build one with Skill(...) or parse_skill_text(text).")
    if expected is not None and (isinstance(expected, bool) or not isinstance(expected, (int, str))):
        raise ValidationError("expected must be a version number or a content hash", where="expected")
    with store._locks.hold(skill.id):
        # Usually memory holds the file's current bytes (the editor read it, or we wrote
        # it): check ``expected`` against that and confirm it from the file during the
        # fsync. A conflict, or a file that turns out different, is redone from the file.
        predicted = predict_current(store, skill.id)
        while True:
            if predicted is not None:
                cur, verify = predicted
                try:
                    check_expected(skill.id, cur, expected, skill)
                except SkillConflict:
                    predicted = None  # report what the file really holds
                    continue
            else:
                cur, verify = read_current(store, skill.id), None
                check_expected(skill.id, cur, expected, skill)
            now = now_iso()
            if cur.skill is not None:
                new = skill.stamped(cur.skill.version + 1, cur.skill.created_at or skill.created_at or now, now)
            else:
                version = skill.version + 1 if cur.hash is not None else 1
                new = skill.stamped(version, skill.created_at or now, now)
            try:
                h = write(store, new, cur, "skill.put", verify=verify)
            except Stale:
                predicted = None
                continue
            break
    store._saved(new, h)
    return new


def write(store: SkillStore, new: Skill, cur: Current, action: str, detail: dict | None = None,
          verify: Verify | None = None) -> str:
    """Durable write + tiers + catalogue + audit (caller holds the lock); returns the hash.
    With ``verify``, the write is called off (:class:`Stale`) if it fails, before the rename."""
    raw = new.to_bytes()
    if len(raw) > store.max_bytes:
        raise ValidationError(f"the skill is {len(raw)} bytes, over the {store.max_bytes}-byte limit",
                              where=new.id, hint="Shorten the code or raise skills.max_file_bytes.")
    h = content_hash(raw)
    name = new.id + ".json"
    # The audit row is inserted on a helper thread while this one waits on the file's
    # fsync, and committed there once the file is renamed, during the folder's (see
    # audit_writer); the tiers get the new version there too.
    audit = store._audit.begin(action, f"skill:{new.id}", cur.hash, h, {"version": new.version, **(detail or {})})
    publish: Job | None = None

    def on_sync() -> None:
        if verify is not None:
            verify.start(store)
        audit.start()

    def after_rename(st: os.stat_result) -> None:
        nonlocal publish
        audit.applied()  # wakes the helper, which commits the row,
        publish = Job(lambda: _publish(store, new, raw, h, st))
        store._helper.submit(publish.run)  # puts the new version in the tiers,
        if verify is not None:
            verify.renamed(store)  # and closes the old file
    try:
        atomic_write(store.folder, name, raw, store._dir_fd, on_sync=on_sync,
                     before_rename=verify.check if verify is not None else None,
                     after_rename=after_rename)
    except BaseException as exc:
        try:
            if verify is not None:
                verify.done()
            if publish is not None:  # only the folder fsync failed: the file is the new one
                publish.complete()
        finally:
            audit.finish()  # committed if renamed, else rolled back
        if isinstance(exc, OSError):
            raise io_error(exc, new.id, "write", replaced=audit.is_applied) from None
        raise
    try:  # the file is durable: whatever happens now, the row is committed
        assert publish is not None  # atomic_write returned: after_rename ran
        publish.complete()
        if verify is not None:
            verify.done()
    finally:
        audit.finish()
    return h


def _publish(store: SkillStore, new: Skill, raw: bytes, h: str, st: os.stat_result) -> None:
    """The saved version into memory, Redis (queued) and the catalogue (the file is in place)."""
    fp = Fingerprint.of(st)
    store._mem.put(new.id, MemoryEntry(new, raw, fp, store._path(new.id), True, h))
    if store._redis is not None:
        store._redis.set_later(new.id, raw, fp, time.time_ns(), h)
    store.catalogue.note(new.id + ".json", Row(fp, True, summarise(new, h, len(raw)), None))


def delete(store: SkillStore, ident: str, expected: Expected = None) -> None:
    """See :meth:`SkillStore.delete`."""
    validate_id(ident)
    with store._locks.hold(ident):
        cur = read_current(store, ident)
        _delete(store, ident, cur, expected)
    store.ws.events.emit("skill.deleted", ident, "deleted", hash=cur.hash)


def _delete(store: SkillStore, ident: str, cur: Current, expected: Expected) -> None:
    if cur.hash is None:
        store._forget(ident)
        raise NotFound("skill", ident)
    if expected is not None:
        check_expected(ident, cur, expected, None)
    audit = store._audit.begin("skill.delete", f"skill:{ident}", cur.hash, None,
                               {"version": cur.skill.version if cur.skill else None})
    try:
        audit.start()
        os.unlink(store._path(ident))
        audit.applied()
        fsync_dir(store.folder, store._dir_fd)
    except BaseException as exc:
        audit.finish()
        if isinstance(exc, OSError):
            raise io_error(exc, ident, "delete", replaced=audit.is_applied) from None
        raise
    try:
        store._forget(ident)
        if store._redis is not None:
            store._redis.delete_later(ident)
        store.catalogue.note(ident + ".json", None)
    finally:
        audit.finish()


def io_error(exc: OSError, ident: str, doing: str, replaced: bool = False) -> StorageError:
    """An OS error as a typed error that says what to check. ``replaced``: the file was
    already renamed (or unlinked) and only the folder's fsync failed."""
    reason = exc.strerror or type(exc).__name__
    if replaced:
        done, redo = ("removed", "delete it again") if doing == "delete" else ("saved", "save again")
        return StorageError(f"skills/{ident}.json was {done}, but the folder could not be synced: {reason}",
                            hint=f"The change is in place and audited, but may not survive a power cut: "
                                 f"check the disk; if the change is gone after a restart, {redo}.")
    return StorageError(f"cannot {doing} skills/{ident}.json: {reason}",
                        hint="Check the folder's permissions and free disk space; nothing was changed.")

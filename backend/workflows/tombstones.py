"""Tombstones: what a deleted version leaves behind (``v<N>.deleted``).

A tombstone keeps the number taken (never reused) and the deleted version's parent,
so descendants stay attached in the lineage.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import NotFound, ValidationError
from . import fileformat as ff
from .files import fsync_dir, scan
from .models import Tombstone


def read_tombstones(folder: Path, workflow_id: str) -> list[Tombstone]:
    """Every tombstone of one workflow, by version; unreadable ones keep their number."""
    _, deleted = scan(folder)
    out = []
    for n in sorted(deleted):
        path = folder / f"v{n}.deleted"
        try:
            out.append(ff.parse_tombstone(path.read_bytes(), workflow_id, n, str(path)))
        except (OSError, ValidationError):
            out.append(Tombstone(workflow_id, n, None, "", "", "", "(unreadable tombstone)"))
    return out


def missing_version(folder: Path, workflow_id: str, version: int) -> NotFound:
    """The NotFound for a version that is not there, saying if (when, by whom) it was deleted."""
    stone = folder / f"v{version}.deleted"
    if stone.exists():
        gone = ff.parse_tombstone(stone.read_bytes(), workflow_id, version, str(stone))
        return NotFound("workflow version", f"{workflow_id}@v{version}",
                        hint=f"It was deleted {gone.deleted_at} by {gone.deleted_by}.")
    return NotFound("workflow version", f"{workflow_id}@v{version}",
                    hint=f"See its versions with `storeroom workflows show {workflow_id}`.")


def bury(folder: Path, stone: Tombstone) -> None:
    """Write the tombstone (durably), then remove the version file.

    In that order, so a number is never free while a writer could still take it, and an
    interrupted delete is finished by the next one.
    """
    path = folder / f"v{stone.version}.deleted"
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        pass  # an earlier delete was interrupted after its tombstone: finish it
    else:
        try:
            os.write(fd, ff.render_tombstone(stone).encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    (folder / f"v{stone.version}.yaml").unlink(missing_ok=True)
    fsync_dir(folder)

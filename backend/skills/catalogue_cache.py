"""The catalogue's on-disk cache (``.storeroom/skills-catalogue.json``): derived state,
safe to delete. Rows are keyed by file name with the fingerprint they were read at,
and every one is checked against the file (stat) before it is trusted for long."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile

from .files import Fingerprint
from .results import InvalidFile, SkillSummary

log = logging.getLogger(__name__)
FORMAT = 2  # 2: fingerprints carry the ctime
_SUMMARY_FIELDS = ("id", "name", "description", "tags", "version", "created_at", "updated_at", "hash", "size")


def _summary(values: list) -> SkillSummary:
    # Rows come from our own file, written by save(): skip the dataclass __init__ (10k rows).
    ident, name, description, tags, version, created, updated, hash_, size = values
    obj = object.__new__(SkillSummary)
    obj.__dict__.update(id=ident, name=name, description=description, tags=tuple(tags), version=version,
                        created_at=created, updated_at=updated, hash=hash_, size=size)
    return obj


def load(path: str, folder: str) -> dict[str, tuple] | None:
    """{file name: (fingerprint, racy, summary | None, invalid | None)} or None if unusable."""
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read())
        if data.get("format") != FORMAT or data.get("folder") != folder:
            return None
        rows = {}
        for name, (mtime, size, ino, ctime, racy, kind, values) in data["rows"].items():
            fp = Fingerprint(mtime, size, ino, ctime)
            if kind == "ok":
                rows[name] = (fp, racy, _summary(values), None)
            else:
                rows[name] = (fp, racy, None, InvalidFile(*values))
        return rows
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - a damaged cache is rebuilt, never an error
        log.warning("ignoring the skills catalogue cache %s: %s", path, exc)
        return None


def save(path: str, folder: str, rows: dict[str, tuple]) -> None:
    """Write atomically (no fsync: losing it only costs one slower start)."""
    out = {}
    for name, (fp, racy, summary, invalid) in rows.items():
        if summary is not None:
            values = [getattr(summary, f) for f in _SUMMARY_FIELDS]
            out[name] = [*fp, racy, "ok", values]
        elif invalid is not None:
            values = [invalid.id, invalid.filename, invalid.reason, invalid.hash, invalid.size]
            out[name] = [*fp, racy, "invalid", values]
    # Encoded in slices: one json.dumps holds the GIL throughout, and this runs on a
    # thread beside the UI (10k rows take tens of milliseconds).
    items = list(out.items())
    slices = [json.dumps(dict(items[i:i + 500]), ensure_ascii=False)[1:-1] for i in range(0, len(items), 500)]
    data = (f'{{"format": {FORMAT}, "folder": {json.dumps(folder, ensure_ascii=False)}, '
            f'"rows": {{{", ".join(slices)}}}}}').encode()
    directory = os.path.dirname(path)
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".skills-catalogue.", dir=directory)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        log.warning("could not save the skills catalogue cache %s: %s", path, exc)

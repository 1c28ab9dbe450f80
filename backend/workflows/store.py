"""The workflow store: immutable YAML versions with lineage, diffs and validation.

Rules (documented for users in the README):

* ``store(id, definition, parent=None)``: a new workflow starts at v1 with no parent;
  for an existing workflow ``parent=None`` means "from the latest version". The new
  number is always max(existing, deleted) + 1; numbers are never reused.
* A version file is never rewritten. ``delete`` removes the file and leaves a
  tombstone ``v<N>.deleted`` (id, parent, hash, who, when): the number stays taken and
  descendants keep their place in the lineage under a "deleted" node. Deleting a
  version that has live descendants needs ``force=True``.
* A file whose definition no longer matches its ``content_hash`` is reported as
  modified outside storeroom (``WorkflowVersion.modified``), never silently accepted.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..audit import current_actor
from ..errors import Conflict, NotFound, ValidationError
from . import diff as diffs
from . import fileformat as ff
from .files import ParseCache, digest, scan, write_once
from .index import MetaIndex, paused_gc
from .lineage import build_lineage, descendants
from .models import (
    LineageNode,
    Tombstone,
    VersionInfo,
    WorkflowDiff,
    WorkflowSummary,
    WorkflowVersion,
)
from .schema import ID_RE, check_version, check_workflow_id, content_hash, ordered, parse_definition
from .skillrefs import skill_report
from .tombstones import bury, missing_version, read_tombstones

if TYPE_CHECKING:
    from ..workspace import Workspace

Clock = Callable[[], datetime]


class WorkflowStore:
    """Workflow versions of one workspace (``ws.workflows``); safe to share between threads."""

    def __init__(self, ws: Workspace, *, clock: Clock | None = None) -> None:
        self.ws = ws
        self.root: Path = ws.paths.workflows
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self._index = MetaIndex(ws.paths.state / "workflow-index.json")
        self._parsed = ParseCache(ws.paths.state / "workflow-cache")

    # -- reading ------------------------------------------------------------------
    def _folder(self, workflow_id: str) -> Path:
        return self.root / check_workflow_id(workflow_id)

    def get(self, workflow_id: str, version: int) -> WorkflowVersion:
        """One version, parsed and checked; NotFound (saying if it was deleted) otherwise."""
        key, parsed = self._parsed_version(workflow_id, version)
        return self._load(workflow_id, version, parsed)

    def read_text(self, workflow_id: str, version: int, limit: int = 512 * 1024) -> str:
        """The file as it is (even when it does not parse), for showing a broken version."""
        path = self._folder(workflow_id) / f"v{check_version(version)}.yaml"
        try:
            with path.open("rb") as fh:
                return fh.read(limit).decode("utf-8", "replace")
        except (FileNotFoundError, NotADirectoryError):
            raise self._missing(workflow_id, version) from None

    def get_latest(self, workflow_id: str) -> WorkflowVersion:
        """The highest-numbered live version."""
        live, _ = scan(self._folder(workflow_id))
        if not live:
            raise NotFound("workflow", workflow_id,
                           hint="List workflows with `storeroom workflows list`.")
        return self.get(workflow_id, max(live))

    def _parsed_version(self, workflow_id: str, version: int) -> tuple[str, dict[str, Any]]:
        """(digest of the file bytes, parsed form) of one version, through the cache."""
        folder = self._folder(workflow_id)
        check_version(version)
        path = folder / f"v{version}.yaml"
        try:
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            raise self._missing(workflow_id, version) from None
        key = digest(data)
        parsed = self._parsed.get(key)
        if parsed is None:
            meta, definition, text = ff.parse_version(data, where=str(path))
            parsed = {"meta": meta, "definition": definition, "text": text,
                      "actual_hash": content_hash(definition)}
            self._parsed.put(key, parsed)
        return key, parsed

    def _load(self, workflow_id: str, version: int, parsed: dict[str, Any]) -> WorkflowVersion:
        where = str(self.root / workflow_id / f"v{version}.yaml")
        meta = parsed["meta"]
        if meta["id"] != workflow_id or meta["version"] != version:
            raise ValidationError(
                f"header says {meta['id']}@v{meta['version']}, not {workflow_id}@v{version}",
                where=where, hint="The file was renamed or edited by hand; restore it.")
        definition = parsed["definition"]
        return WorkflowVersion(workflow_id, version, meta["parent"], meta["created_at"],
                               meta["author"], meta["message"], meta["content_hash"],
                               definition, parsed["text"], parsed["actual_hash"],
                               *skill_report(self.ws.paths.skills, definition))

    def _missing(self, workflow_id: str, version: int) -> NotFound:
        return missing_version(self.root / workflow_id, workflow_id, version)

    def list(self, workflow_id: str) -> list[VersionInfo]:
        """Metadata of every live version, oldest first (no full parse of seen files)."""
        folder = self._folder(workflow_id)
        live, _ = scan(folder)
        if not live:
            raise NotFound("workflow", workflow_id,
                           hint="List workflows with `storeroom workflows list`.")
        return [self._info(workflow_id, n, live[n]) for n in sorted(live)]

    def list_all(self) -> list[WorkflowSummary]:
        """Every workflow with its versions' metadata, by id. Folders with bad names are skipped."""
        with paused_gc():
            return self._list_all()

    def _list_all(self) -> list[WorkflowSummary]:
        out: list[WorkflowSummary] = []
        seen: set[str] = set()
        root = os.fspath(self.root)
        try:
            folders = sorted(e.name for e in os.scandir(root) if e.is_dir())
        except FileNotFoundError:
            return []
        lookup = self._index.lookup
        for name in folders:
            if not ID_RE.match(name) or ".." in name:
                continue  # not a workflow folder storeroom could have made
            live, deleted = scan(os.path.join(root, name))
            if not live:
                continue
            infos = []
            for number in sorted(live):
                entry = live[number]
                rel = f"{name}/{entry.name}"
                seen.add(rel)
                st = entry.stat()
                info = lookup(rel, st.st_mtime_ns, st.st_size)
                infos.append(info if info is not None else self._info(name, number, entry))
            out.append(WorkflowSummary(name, tuple(infos), tuple(sorted(deleted))))
        self._index.forget_missing(seen)
        self._index.save()
        return out

    def _info(self, workflow_id: str, version: int, entry: os.DirEntry[str],
              seen: set[str] | None = None) -> VersionInfo:
        rel = f"{workflow_id}/{entry.name}"
        if seen is not None:
            seen.add(rel)
        st = entry.stat()
        info = self._index.lookup(rel, st.st_mtime_ns, st.st_size)
        if info is None:
            try:
                data = Path(entry.path).read_bytes()
            except OSError as exc:
                return VersionInfo(workflow_id, version, None, "", None, "", "", None,
                                   error=f"unreadable: {exc}")
            info = (ff.fast_info(data, workflow_id, version)
                    or ff.full_info(data, workflow_id, version, entry.path))
            self._index.put(rel, st.st_mtime_ns, st.st_size, info)
        return info

    def tombstones(self, workflow_id: str) -> list[Tombstone]:
        """What deleted versions left behind (number, parent, who and when)."""
        return read_tombstones(self._folder(workflow_id), workflow_id)

    def lineage(self, workflow_id: str) -> list[LineageNode]:
        """The version tree: roots first, each with its children (deleted nodes kept)."""
        return build_lineage(self.list(workflow_id), self.tombstones(workflow_id))

    def skill_warnings(self, definition: dict[str, Any]) -> list[str]:
        """Steps naming a skill with no ``skills/<id>.json``: warnings, not errors."""
        return list(skill_report(self.ws.paths.skills, definition)[0])

    def validate(self, source: dict[str, Any] | str | bytes,
                 where: str = "definition") -> tuple[dict[str, Any], list[str]]:
        """Check a definition without storing it: (definition, warnings) or ValidationError."""
        definition = parse_definition(source, where=where)
        return definition, self.skill_warnings(definition)

    def diff(self, workflow_id: str, a: int, b: int) -> WorkflowDiff:
        """Unified, side-by-side and structural differences from version ``a`` to ``b``."""
        (ka, pa), (kb, pb) = self._parsed_version(workflow_id, a), self._parsed_version(workflow_id, b)
        va, vb = self._load(workflow_id, a, pa), self._load(workflow_id, b, pb)
        ta, tb = self._definition_text(ka, pa), self._definition_text(kb, pb)
        return WorkflowDiff(workflow_id, a, b,
                            diffs.unified(ta, tb, f"{workflow_id} v{a}", f"{workflow_id} v{b}"),
                            diffs.structural(va.definition, vb.definition),
                            diffs.side_by_side(ta, tb))

    def _definition_text(self, key: str, parsed: dict[str, Any]) -> str:
        # Dumping YAML costs about a millisecond: keep the text with the parse.
        text = parsed.get("definition_text")
        if text is None:
            text = parsed["definition_text"] = definition_text(parsed["definition"])
            self._parsed.put(key, parsed)
        return text

    # -- writing ------------------------------------------------------------------
    def store(self, workflow_id: str, definition: dict[str, Any] | str | bytes,
              parent: int | None = None, message: str = "", author: str | None = None,
              ) -> WorkflowVersion:
        """Validate and write a new version; returns it (with any skill warnings).

        ``definition`` is a mapping or YAML text. ``parent=None``: v1 of a new workflow,
        or a child of the latest version of an existing one.
        """
        folder = self._folder(workflow_id)
        where = f"{workflow_id} (new version)"
        definition = ordered(parse_definition(definition, where=where))
        if not isinstance(message, str) or (author is not None and not isinstance(author, str)):
            raise ValidationError("message and author must be text", where=where)
        live, deleted = scan(folder)
        if parent is None:
            parent = max(live) if live else None
        else:
            check_version(parent)
            if parent not in live:
                raise self._missing(workflow_id, parent)
        chash = content_hash(definition)
        meta = {"id": workflow_id, "version": 0, "parent": parent,
                "created_at": self.clock().isoformat(timespec="seconds"),
                "author": author if author is not None else current_actor(),
                "message": message.strip(), "content_hash": chash}
        ff.check_rendered(ff.render_version(meta | {"version": 1}, definition), definition, where)
        folder.mkdir(parents=True, exist_ok=True)
        number, data = write_once(folder, max(live.keys() | deleted, default=0) + 1,
                                  lambda n: ff.render_version(meta | {"version": n}, definition))
        meta["version"] = number
        text = data.decode("utf-8")
        self._parsed.put(digest(data), {"meta": meta, "definition": definition, "text": text,
                                        "actual_hash": chash,
                                        "definition_text": definition_text(definition)})
        st = (folder / f"v{number}.yaml").stat()
        info = VersionInfo(workflow_id, number, parent, meta["created_at"], meta["author"],
                           meta["message"], chash, definition["name"])
        self._index.put(f"{workflow_id}/v{number}.yaml", st.st_mtime_ns, st.st_size, info)
        self.ws.audit.append("workflow.store", f"workflow:{workflow_id}@v{number}",
                             after_hash=chash, detail={"parent": parent, "message": meta["message"]})
        self.ws.events.emit("workflow.stored", workflow_id, f"v{number}", version=number,
                            parent=parent)
        return WorkflowVersion(workflow_id, number, parent, meta["created_at"], meta["author"],
                               meta["message"], chash, definition, text, chash,
                               *skill_report(self.ws.paths.skills, definition))

    def delete(self, workflow_id: str, version: int, *, force: bool = False) -> Tombstone:
        """Delete one version, leaving a tombstone so its number and lineage stay whole.

        Refused with Conflict when live versions descend from it, unless ``force``.
        """
        folder = self._folder(workflow_id)
        check_version(version)
        entry = scan(folder)[0].get(version)
        if entry is None:
            raise self._missing(workflow_id, version)
        below = descendants(self.lineage(workflow_id), version)
        if below and not force:
            names = ", ".join(f"v{n}" for n in below)
            raise Conflict(f"{workflow_id}@v{version} has descendants ({names})",
                           hint="Delete those first, or force it (--force / confirm): they stay in "
                                "the lineage under a 'deleted' marker.")
        info = self._info(workflow_id, version, entry)
        stone = Tombstone(workflow_id, version, info.parent,
                          self.clock().isoformat(timespec="seconds"), current_actor(),
                          info.content_hash, info.message)
        bury(folder, stone)
        self.ws.audit.append("workflow.delete", f"workflow:{workflow_id}@v{version}",
                             before_hash=info.content_hash,
                             detail={"forced": force, "descendants": below})
        self.ws.events.emit("workflow.deleted", workflow_id, f"v{version}", version=version)
        return stone

    def close(self) -> None:
        self._index.save()


def definition_text(definition: dict[str, Any]) -> str:
    """The canonical YAML of a definition (what diffs compare)."""
    return ff.dump_definition(ordered(definition))


def open_workflow_store(ws: Workspace) -> WorkflowStore:
    """The workspace's workflow store (``ws.workflows``)."""
    return WorkflowStore(ws)

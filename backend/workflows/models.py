"""Data models of the workflow store: versions, their metadata, diffs and lineage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class VersionInfo:
    """The metadata of one version, read cheaply (no full parse) for listings.

    ``error`` is set when the file could not be read as a workflow version; the
    other fields are then best effort (``version`` always comes from the file name).
    """

    workflow_id: str
    version: int
    parent: int | None
    created_at: str
    author: str | None
    message: str
    content_hash: str
    name: str | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        return f"v{self.version}"


@dataclass(frozen=True)
class WorkflowVersion:
    """One stored version, fully parsed and checked.

    ``modified`` is True when the definition no longer matches the ``content_hash``
    written with it: the file was edited by hand after storeroom wrote it.
    ``warnings`` lists problems that do not block (e.g. steps naming unknown skills,
    whose ids are also in ``missing_skills``).
    """

    workflow_id: str
    version: int
    parent: int | None
    created_at: str
    author: str | None
    message: str
    content_hash: str
    definition: dict[str, Any]
    text: str
    actual_hash: str
    warnings: tuple[str, ...] = ()
    missing_skills: tuple[str, ...] = ()

    @property
    def modified(self) -> bool:
        return self.actual_hash != self.content_hash

    @property
    def name(self) -> str:
        return str(self.definition.get("name", ""))

    @property
    def steps(self) -> list[dict[str, Any]]:
        return list(self.definition.get("steps") or [])

    @property
    def skills(self) -> list[str]:
        """Skill ids the steps use, in first-use order, without repeats."""
        seen: dict[str, None] = {}
        for step in self.steps:
            if isinstance(step.get("skill"), str):
                seen.setdefault(step["skill"], None)
        return list(seen)

    def info(self) -> VersionInfo:
        return VersionInfo(self.workflow_id, self.version, self.parent, self.created_at,
                           self.author, self.message, self.content_hash, self.name)


@dataclass(frozen=True)
class WorkflowSummary:
    """A workflow as listed: its id, latest name and every version's metadata (oldest first)."""

    workflow_id: str
    versions: tuple[VersionInfo, ...]
    deleted: tuple[int, ...] = ()

    @property
    def latest(self) -> VersionInfo:
        return self.versions[-1]

    @property
    def name(self) -> str | None:
        return self.latest.name


@dataclass(frozen=True)
class Tombstone:
    """What is left of a deleted version: enough to keep the lineage whole."""

    workflow_id: str
    version: int
    parent: int | None
    deleted_at: str
    deleted_by: str
    content_hash: str
    message: str


ChangeKind = Literal["added", "removed", "changed", "moved"]


@dataclass(frozen=True)
class KeyChange:
    """A key of a mapping (``path`` like ``inputs.schema``) added, removed or changed."""

    path: str
    kind: ChangeKind
    old: Any = None
    new: Any = None


@dataclass(frozen=True)
class StepChange:
    """A step (matched by its ``id``) added, removed, changed or moved."""

    step_id: str
    kind: ChangeKind
    changes: tuple[KeyChange, ...] = ()
    old_index: int | None = None
    new_index: int | None = None


@dataclass(frozen=True)
class StructuralDiff:
    """Differences between two definitions: top-level keys and steps by id."""

    keys: tuple[KeyChange, ...] = ()
    steps: tuple[StepChange, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.keys and not self.steps


@dataclass(frozen=True)
class SideBySideRow:
    """One row of a side-by-side diff; a side is None where that side has no line."""

    kind: Literal["equal", "replace", "delete", "insert"]
    left_no: int | None
    left: str | None
    right_no: int | None
    right: str | None


@dataclass(frozen=True)
class WorkflowDiff:
    """The difference between versions ``a`` and ``b`` of one workflow."""

    workflow_id: str
    a: int
    b: int
    unified: tuple[str, ...]
    structural: StructuralDiff
    side_by_side: tuple[SideBySideRow, ...] = field(default=(), repr=False)

    @property
    def unified_text(self) -> str:
        return "\n".join(self.unified)


@dataclass
class LineageNode:
    """A version in the lineage tree; ``deleted`` nodes are kept so children stay attached.

    ``orphan`` marks a version whose parent is neither present nor a tombstone
    (e.g. a file removed by hand); it is shown as a root.
    """

    version: int
    parent: int | None
    info: VersionInfo | None
    deleted: bool = False
    orphan: bool = False
    children: list[LineageNode] = field(default_factory=list)

    def walk(self) -> list[LineageNode]:
        """This node and every descendant, depth first."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out

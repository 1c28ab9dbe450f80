"""Workflows: immutable YAML versions with lineage, diffs and validation (``ws.workflows``)."""

from __future__ import annotations

from .diff import describe as describe_structural
from .lineage import build_lineage, descendants
from .models import (
    KeyChange,
    LineageNode,
    SideBySideRow,
    StepChange,
    StructuralDiff,
    Tombstone,
    VersionInfo,
    WorkflowDiff,
    WorkflowSummary,
    WorkflowVersion,
)
from .schema import check_workflow_id, content_hash, parse_definition, validate_definition
from .store import WorkflowStore, definition_text, open_workflow_store

__all__ = [
    "KeyChange", "LineageNode", "SideBySideRow", "StepChange", "StructuralDiff", "Tombstone",
    "VersionInfo", "WorkflowDiff", "WorkflowStore", "WorkflowSummary", "WorkflowVersion",
    "build_lineage", "check_workflow_id", "content_hash", "definition_text", "descendants",
    "describe_structural",
    "open_workflow_store", "parse_definition", "validate_definition",
]

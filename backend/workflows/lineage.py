"""The version tree of a workflow, built from each version's ``parent``."""

from __future__ import annotations

from .models import LineageNode, Tombstone, VersionInfo


def build_lineage(versions: list[VersionInfo], tombstones: list[Tombstone]) -> list[LineageNode]:
    """Roots of the version tree, children in version order.

    Deleted versions that still have live descendants are kept as ``deleted`` nodes;
    deleted leaves are left out. A version whose parent is unknown becomes an
    ``orphan`` root.
    """
    nodes: dict[int, LineageNode] = {}
    for stone in tombstones:
        nodes[stone.version] = LineageNode(stone.version, stone.parent, None, deleted=True)
    for info in versions:
        nodes[info.version] = LineageNode(info.version, info.parent, info)
    roots: list[LineageNode] = []
    for version in sorted(nodes):
        node = nodes[version]
        parent = nodes.get(node.parent) if node.parent is not None else None
        # A parent with a higher number than its child cannot be right (hand edit): root it.
        if parent is None or node.parent >= version:
            node.orphan = node.parent is not None
            roots.append(node)
        else:
            parent.children.append(node)
    return [root for root in (_prune(r) for r in roots) if root is not None]


def _prune(node: LineageNode) -> LineageNode | None:
    node.children = [c for c in (_prune(child) for child in node.children) if c is not None]
    if node.deleted and not node.children:
        return None
    return node


def descendants(roots: list[LineageNode], version: int) -> list[int]:
    """Live versions below ``version`` in the tree."""
    for root in roots:
        for node in root.walk():
            if node.version == version:
                return [n.version for n in node.walk()[1:] if not n.deleted]
    return []

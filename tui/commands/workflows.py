"""``storeroom workflows``: list, show, diff, lineage, store and delete workflow versions."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from . import open_ws, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("workflows", help="workflow versions: list, show, diff, lineage, store, delete")
    wsub = p.add_subparsers(dest="workflows_command", metavar="ACTION", required=True)
    c = wsub.add_parser("list", help="every workflow with its version count and latest version")
    c.add_argument("--json", action="store_true", help="machine-readable output")
    c.set_defaults(func=cmd_list)
    c = wsub.add_parser("show", help="print a version's file (default: the latest)")
    c.add_argument("id")
    c.add_argument("--version", type=int, help="version number (default: latest)")
    c.add_argument("--json", action="store_true", help="metadata and definition as JSON")
    c.set_defaults(func=cmd_show)
    c = wsub.add_parser("diff", help="differences from version A to version B")
    c.add_argument("id")
    c.add_argument("a", type=int)
    c.add_argument("b", type=int)
    c.add_argument("--structural", action="store_true", help="keys and steps instead of lines")
    c.add_argument("--json", action="store_true", help="machine-readable output")
    c.set_defaults(func=cmd_diff)
    c = wsub.add_parser("lineage", help="the version tree of a workflow")
    c.add_argument("id")
    c.set_defaults(func=cmd_lineage)
    c = wsub.add_parser("store", help="store FILE.yaml (a definition) as a new version")
    c.add_argument("id")
    c.add_argument("file", type=Path)
    c.add_argument("--message", "-m", required=True, help="what changed and why")
    c.add_argument("--parent", type=int, help="version it derives from (default: the latest)")
    c.add_argument("--author", help="who (default: the OS user)")
    c.set_defaults(func=cmd_store)
    c = wsub.add_parser("delete", help="delete one version (a tombstone keeps the lineage)")
    c.add_argument("id")
    c.add_argument("version", type=int)
    c.add_argument("--force", action="store_true", help="even if other versions descend from it")
    c.set_defaults(func=cmd_delete)


def cmd_list(args: argparse.Namespace) -> int:
    with open_ws(args) as ws:
        rows = ws.workflows.list_all()
    if args.json:
        print_json([{"id": w.workflow_id, "name": w.name, "versions": len(w.versions),
                     "latest": w.latest.version, "deleted": list(w.deleted),
                     "updated_at": w.latest.created_at, "errors": [i.version for i in w.versions
                                                                   if i.error]} for w in rows])
        return 0
    if not rows:
        print("no workflows yet (store one with `storeroom workflows store ID FILE.yaml -m ...`)")
        return 0
    print(f"{'ID':<28} {'VERSIONS':>8} {'LATEST':>6}  {'UPDATED':<25} NAME")
    for w in rows:
        bad = "  (!) unreadable versions" if any(i.error for i in w.versions) else ""
        print(f"{w.workflow_id:<28} {len(w.versions):>8} {'v' + str(w.latest.version):>6}  "
              f"{w.latest.created_at:<25} {w.name or ''}{bad}")
    return 0


def _version_json(v: Any) -> dict[str, Any]:
    return {"id": v.workflow_id, "version": v.version, "parent": v.parent,
            "created_at": v.created_at, "author": v.author, "message": v.message,
            "content_hash": v.content_hash, "modified_outside_storeroom": v.modified,
            "warnings": list(v.warnings), "definition": v.definition}


def cmd_show(args: argparse.Namespace) -> int:
    with open_ws(args) as ws:
        store = ws.workflows
        v = store.get(args.id, args.version) if args.version else store.get_latest(args.id)
    if args.json:
        print_json(_version_json(v))
        return 0
    sys.stdout.write(v.text)
    if v.modified:
        print(f"\n# WARNING: modified outside storeroom (definition hash {v.actual_hash} "
              f"!= recorded {v.content_hash})", file=sys.stderr)
    for warning in v.warnings:
        print(f"# warning: {warning}", file=sys.stderr)
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from backend.workflows import describe_structural

    with open_ws(args) as ws:
        d = ws.workflows.diff(args.id, args.a, args.b)
    if args.json:
        print_json({"id": d.workflow_id, "a": d.a, "b": d.b, "unified": list(d.unified),
                    "structural": dataclasses.asdict(d.structural)})
        return 0
    lines = describe_structural(d.structural) if args.structural else list(d.unified)
    print("\n".join(lines) if lines else f"v{args.a} and v{args.b} have the same definition")
    return 0


def cmd_lineage(args: argparse.Namespace) -> int:
    with open_ws(args) as ws:
        roots = ws.workflows.lineage(args.id)

    def show(node: Any, prefix: str, last: bool, top: bool) -> None:
        branch = "" if top else ("└─ " if last else "├─ ")
        if node.deleted:
            text = f"v{node.version}  (deleted)"
        else:
            i = node.info
            text = f"v{node.version}  {i.created_at}  {i.author or '?'}  {i.message}"
            if node.orphan:
                text += f"  (parent v{node.parent} missing)"
        print(prefix + branch + text)
        child_prefix = prefix + ("" if top else ("   " if last else "│  "))
        for k, child in enumerate(node.children):
            show(child, child_prefix, k == len(node.children) - 1, False)

    print(args.id)
    for root in roots:
        show(root, "", True, True)
    return 0


def cmd_store(args: argparse.Namespace) -> int:
    from backend.errors import ValidationError

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read {args.file}: {exc.strerror}",
                              hint="Check the path.") from None
    with open_ws(args) as ws:
        v = ws.workflows.store(args.id, data, parent=args.parent, message=args.message,
                               author=args.author)
    parent = f" from v{v.parent}" if v.parent else ""
    print(f"stored {v.workflow_id} v{v.version}{parent} ({v.content_hash[:19]}…)")
    for warning in v.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    with open_ws(args) as ws:
        ws.workflows.delete(args.id, args.version, force=args.force)
    print(f"deleted {args.id} v{args.version} (tombstone v{args.version}.deleted kept)")
    return 0

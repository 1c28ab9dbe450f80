"""``storeroom skills``: list, show, import, export and audit skills from the shell."""

from __future__ import annotations

import argparse
import dataclasses

from . import open_ws, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("skills", help="list, show, import, export and audit skills")
    skills = p.add_subparsers(dest="skills_command", metavar="COMMAND", required=True)

    q = skills.add_parser("list", help="list skills (sorted, filtered)")
    q.add_argument("--tag", help="only skills with this tag")
    q.add_argument("--text", help="case-insensitive text in id, name, description or tags")
    q.add_argument("--sort", default="id", choices=["id", "name", "updated_at", "version"])
    q.add_argument("--desc", action="store_true", help="descending order")
    q.add_argument("--offset", type=int, default=0)
    q.add_argument("--limit", type=int, default=1000)
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.set_defaults(func=cmd_list)

    q = skills.add_parser("get", help="print one skill (its file content) and the tier that served it")
    q.add_argument("id")
    q.add_argument("--json", action="store_true", help="machine-readable output with tier and hash")
    q.set_defaults(func=cmd_get)

    q = skills.add_parser("import", help="import every <id>.json of DIR")
    q.add_argument("dir")
    q.add_argument("--overwrite", action="store_true", help="replace existing skills that differ")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.set_defaults(func=cmd_import)

    q = skills.add_parser("export", help="write every valid skill to DIR/<id>.json")
    q.add_argument("dir")
    q.set_defaults(func=cmd_export)

    q = skills.add_parser("audit", help="who changed which skill when (newest first)")
    q.add_argument("id", nargs="?", help="only this skill")
    q.add_argument("--limit", type=int, default=50)
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.set_defaults(func=cmd_audit)


def cmd_list(args: argparse.Namespace) -> int:
    with open_ws(args) as ws:
        page = ws.skills.list(offset=args.offset, limit=args.limit, sort=args.sort, descending=args.desc,
                              tag=args.tag, text=args.text, verify=True)  # exact, not the quick page
        invalid = ws.skills.invalid()
    if args.json:
        print_json({"total": page.total, "offset": page.offset,
                    "items": [dataclasses.asdict(s) for s in page.items],
                    "invalid": [dataclasses.asdict(f) for f in invalid]})
        return 0
    for s in page.items:
        tags = ",".join(s.tags)
        print(f"{s.id:<32} v{s.version:<4} {s.name[:40]:<40} {tags}")
    shown = f"{len(page.items)} of {page.total} skills"
    print(shown if not invalid else f"{shown}; {len(invalid)} invalid file(s):")
    for f in invalid:
        print(f"  ! {f.filename}: {f.reason}")
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    with open_ws(args) as ws:
        served = ws.skills.get_with_tier(args.id)
    if args.json:
        print_json({"tier": served.tier, "hash": served.hash, "size": served.size,
                    "skill": served.skill.to_dict()})
    else:
        print(served.skill.to_text(), end="")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    with open_ws(args) as ws:
        report = ws.skills.import_folder(args.dir, overwrite=args.overwrite)
    if args.json:
        print_json(dataclasses.asdict(report))
    else:
        same = sum(1 for _, why in report.skipped if why == "unchanged")
        print(f"imported {report.imported}, unchanged {same}, skipped {len(report.skipped) - same}, "
              f"errors {len(report.errors)}")
        for ident, why in report.skipped:
            if why != "unchanged":
                print(f"  skipped {ident}: {why}")
        for name, why in report.errors:
            print(f"  error   {name}: {why}")
    return 1 if report.errors else 0


def cmd_export(args: argparse.Namespace) -> int:
    with open_ws(args) as ws:
        report = ws.skills.export_folder(args.dir)
    print(f"exported {report.exported} skills to {report.folder}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    with open_ws(args) as ws:
        entries = ws.skills.audit_entries(args.id, limit=args.limit)
    if args.json:
        print_json([dataclasses.asdict(e) for e in entries])
        return 0
    for e in entries:
        before = (e.before_hash or "-")[7:19] or "-"
        after = (e.after_hash or "-")[7:19] or "-"
        print(f"{e.at:%Y-%m-%d %H:%M:%S} {e.actor:<10} {e.action:<13} {e.target:<36} {before:>12} -> {after}")
    if not entries:
        print("no audit entries")
    return 0

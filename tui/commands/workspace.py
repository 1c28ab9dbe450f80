"""``storeroom init`` and ``storeroom locate``."""

from __future__ import annotations

import argparse
import os

from . import print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="create a workspace layout in DIR")
    p.add_argument("dir", nargs="?", help="folder to create (default: --workspace or the current folder)")
    p.set_defaults(func=cmd_init)
    p = sub.add_parser("locate", help="print where config, data and the log file live")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_locate)


def cmd_init(args: argparse.Namespace) -> int:
    from backend import init_workspace

    target = args.dir or args.workspace or os.getcwd()
    root = init_workspace(target)
    print(f"workspace ready at {root}")
    print(f"  edit {root / 'storeroom.yaml'}, then run: storeroom --workspace {root}")
    return 0


def cmd_locate(args: argparse.Namespace) -> int:
    from backend.paths import WorkspacePaths, resolve_workspace

    root = resolve_workspace(args.workspace)
    paths = WorkspacePaths(root)
    from backend.config import load_settings

    settings = load_settings(paths.config)
    rows = {
        "workspace": root,
        "config": paths.config,
        "skills": paths.skills,
        "workflows": paths.workflows,
        "database": paths.sqlite(settings.logs.sqlite_path),
        "archive": paths.archive,
        "state": paths.state,
        "index": paths.index,
        "log file": paths.log_file,
        "crash files": paths.log_dir,
    }
    if args.json:
        print_json({k.replace(" ", "_"): str(v) for k, v in rows.items()})
        return 0
    exists = root.is_dir() and (paths.config.exists() or paths.skills.exists())
    for key, value in rows.items():
        print(f"{key:<12} {value}")
    if not exists:
        print(f"\n(no workspace there yet: `storeroom init {root}` creates it)")
    return 0

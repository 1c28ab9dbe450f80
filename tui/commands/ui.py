"""The TUI itself (the default command) and ``storeroom demo``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="build a demo workspace from sample-data (reused if it exists) and open it")
    p.add_argument("dir", nargs="?", default="demo-workspace", help="where (default: ./demo-workspace)")
    p.add_argument("--runs", type=int, default=5000, help="execution runs to generate (default 5000)")
    p.add_argument("--no-ui", action="store_true", help="only build the workspace")
    p.set_defaults(func=cmd_demo)


def run_tui(args: argparse.Namespace, workspace: str | Path | None = None) -> int:
    """Open the workspace, set up the log file, run the App; crashes leave a crash file."""
    from backend import open_workspace
    from backend.errors import StorageError
    from backend.logfile import setup_logging

    try:
        ws = open_workspace(workspace or args.workspace)
    except StorageError as exc:
        print(f"storeroom: {exc}", file=sys.stderr)
        return 2
    setup_logging(ws.paths.log_file, ws.settings.logging.level)
    from tui.app import StoreroomApp

    with ws:
        app = StoreroomApp(ws)
        app.run()
    return app.return_code or 0


def cmd_demo(args: argparse.Namespace) -> int:
    from backend.demo import build_demo

    root = Path(args.dir).resolve()
    report = build_demo(root, runs=args.runs, progress=lambda line: print(line, file=sys.stderr))
    print(report, file=sys.stderr)
    if args.no_ui:
        return 0
    return run_tui(args, workspace=root)

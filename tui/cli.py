"""The ``storeroom`` command: the TUI by default, plus headless subcommands for scripts.

Kept import-light: ``--version`` and ``--help`` never import Textual or any client
library; each subcommand imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from backend import __version__

from . import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="storeroom",
        description="Administer the local storage stack of an AI-agent system: "
                    "skills, workflows, execution logs, metrics and caches.",
        epilog="With no command, opens the terminal UI on the workspace.",
    )
    parser.add_argument("--version", action="version", version=f"storeroom {__version__}")
    parser.add_argument("-w", "--workspace", metavar="DIR",
                        help="workspace folder (default: $STOREROOM_WORKSPACE, else the current "
                             "folder if it holds storeroom.yaml, else the user data folder)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{commands.__name__}.{info.name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from .commands.ui import run_tui

        return run_tui(args)
    return commands.run(args.func, args)


if __name__ == "__main__":
    sys.exit(main())

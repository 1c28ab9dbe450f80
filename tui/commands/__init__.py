"""Subcommands of ``storeroom``: one module each, discovered by the CLI.

Each module defines ``register(subparsers)``, which adds its parser and sets
``func`` to a handler ``(args) -> int`` (the exit code). Handlers import the backend
lazily so ``storeroom --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

Handler = Callable[[argparse.Namespace], int]


def run(func: Handler, args: argparse.Namespace) -> int:
    """Run a handler; storeroom's typed errors become one clear line and exit code 2."""
    from backend.errors import StorageError

    try:
        return func(args)
    except StorageError as exc:
        print(f"storeroom: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("storeroom: interrupted", file=sys.stderr)
        return 130


def open_ws(args: argparse.Namespace, *, create: bool = False) -> Any:
    """The workspace named by ``--workspace`` (or the usual defaults)."""
    from backend import open_workspace

    return open_workspace(getattr(args, "workspace", None), create=create)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write("\n")

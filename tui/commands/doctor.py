"""``storeroom doctor``: the health of every backend, for humans and scripts."""

from __future__ import annotations

import argparse

from . import open_ws, print_json

_MARK = {"ok": "ok  ", "degraded": "WARN", "down": "DOWN"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check every storage backend; exit 1 if a required one is down")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    from backend.health import Status, overall

    with open_ws(args) as ws:
        checks = ws.health()
    verdict = overall(checks)
    if args.json:
        print_json({"workspace": str(ws.root), "status": str(verdict),
                    "checks": [c.as_dict() for c in checks]})
    else:
        print(f"workspace {ws.root}")
        for c in checks:
            latency = f"{c.latency_ms:6.1f} ms" if c.latency_ms is not None else "    —    "
            optional = "" if c.required else " (optional)"
            print(f"  [{_MARK[str(c.status)]}] {c.name:<12} {latency}  {c.detail}{optional}")
        print(f"overall: {verdict}")
    return 1 if verdict is Status.DOWN else 0

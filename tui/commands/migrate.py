"""``storeroom migrate plan|run|verify|switch|undo|status``: move logs, metrics, patterns
and the audit log between SQLite and PostgreSQL, with a progress bar on stderr.

Exit codes: 0 done; 1 needs attention (verify mismatch, rows quarantined, plan warnings);
2 error (message on stderr says what to do); 130 interrupted (resume with --resume).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict
from typing import Any

from . import open_ws, print_json

ACTIONS = ("plan", "run", "verify", "switch", "undo", "status")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("migrate", help="move logs and metrics between SQLite and PostgreSQL",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("--to", metavar="DSN", help="target: postgresql://... or FILE.db")
    p.add_argument("--from", dest="source", metavar="SRC",
                   help="source (default: the workspace's current backend); also FILE.jsonl.gz")
    p.add_argument("--tables", help="comma-separated subset of tables")
    p.add_argument("--resume", action="store_true", help="continue a partial run from its checkpoints")
    p.add_argument("--no-verify", action="store_true", help="run: skip the verification")
    p.add_argument("--no-scan", action="store_true", help="plan: skip the scan of source values")
    p.add_argument("--accept-quarantine", action="store_true",
                   help="switch even though some rows were quarantined (after reviewing them)")
    p.add_argument("--batch", type=int, default=None,
                   help="rows per batch, each committed with its checkpoint (default 2500)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_migrate)


class TextBar:
    """A one-line progress bar on stderr, redrawn at most 10 times a second."""

    def __init__(self, stream: Any = sys.stderr) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last = 0.0
        self.drawn = False

    def __call__(self, p: Any) -> None:
        now = time.monotonic()
        final = p.phase == "done"
        if not final and now - self.last < (0.1 if self.tty else 2.0):
            return
        self.last = now
        width = 30
        filled = int(p.fraction * width)
        eta = f"ETA {p.eta_s:4.0f}s" if p.eta_s is not None else "ETA   —"
        line = (f"{p.phase:<6} [{'#' * filled}{'.' * (width - filled)}] {p.fraction:6.1%} "
                f"{p.done:>10,}/{p.total:,} rows {p.rows_per_s:>9,.0f} rows/s {eta}  {p.table}")
        self.stream.write(("\r" + line + "\x1b[K") if self.tty else line + "\n")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn and self.tty:
            self.stream.write("\n")
            self.stream.flush()


def cmd_migrate(args: argparse.Namespace) -> int:
    from backend.errors import ValidationError
    from backend.migrate.service import Migrator

    tables = [t.strip() for t in args.tables.split(",")] if args.tables else None
    with open_ws(args) as ws:
        m = Migrator(ws)
        if args.action in ("plan", "run", "verify", "switch") and not args.to:
            raise ValidationError(f"migrate {args.action} needs --to",
                                  hint="Pass --to postgresql://user@host/db (or FILE.db).")
        handler = globals()[f"_{args.action}"]
        return handler(m, args, tables)


def _plan(m: Any, args: argparse.Namespace, tables: list[str] | None) -> int:
    bar = TextBar()
    try:
        plan = m.plan(args.to, source=args.source, tables=tables, scan=not args.no_scan,
                      progress=None if args.json else bar)
    finally:
        bar.close()
    if args.json:
        print_json(plan.as_dict())
        return 1 if plan.warnings else 0
    state = plan.target_state.detail if plan.target_state else f"unreachable: {plan.target_error}"
    print(f"source  {plan.source}\ntarget  {plan.target} ({state})")
    for t in plan.tables:
        bad = f"  ({t.bad_rows} would be quarantined)" if t.bad_rows else ""
        print(f"  {t.table:<18} {t.rows:>12,} rows{bad}")
    from backend.humanize import human_estimate

    print(f"estimate: {human_estimate(plan.estimate_s)} for copy and verification")
    for p in plan.problems:
        print(f"problem: {p.count} × {p.label}")
        for example in p.examples:
            print(f"    e.g. {example}")
    for w in plan.warnings:
        print(f"warning: {w}")
    print(f"schema: {len(plan.schema)} statements (see --json)")
    return 1 if plan.warnings else 0


def _run(m: Any, args: argparse.Namespace, tables: list[str] | None) -> int:
    from backend.migrate.copy import DEFAULT_BATCH_ROWS

    bar = TextBar()
    try:
        outcome = m.run(args.to, source=args.source, tables=tables, resume=args.resume,
                        check=not args.no_verify, batch_rows=args.batch or DEFAULT_BATCH_ROWS,
                        progress=None if args.json else bar)
    finally:
        bar.close()
    attention = outcome.copy.quarantined > 0 or (outcome.verify is not None and not outcome.verify.ok)
    if args.json:
        print_json({"run": asdict(outcome.record), "copy": asdict(outcome.copy),
                    "verify": outcome.verify.as_dict() if outcome.verify else None})
        return 1 if attention else 0
    print(outcome.summary)
    if outcome.verify is not None:
        _print_verify(outcome.verify)
    if outcome.copy.quarantined:
        print(f"{outcome.copy.quarantined} row(s) quarantined: review with `storeroom migrate status "
              "--to ...`; switching needs --accept-quarantine.")
    return 1 if attention else 0


def _print_verify(report: Any) -> None:
    for t in report.tables:
        print(f"  {t.table:<18} {t.verdict}")
    print("verify: ok" if report.ok else f"verify: MISMATCH in {', '.join(report.failed_tables)}")


def _verify(m: Any, args: argparse.Namespace, tables: list[str] | None) -> int:
    bar = TextBar()
    try:
        report = m.verify(args.to, source=args.source, tables=tables,
                          progress=None if args.json else bar)
    finally:
        bar.close()
    if args.json:
        print_json(report.as_dict())
    else:
        _print_verify(report)
    return 0 if report.ok else 1


def _switch(m: Any, args: argparse.Namespace, tables: list[str] | None) -> int:
    result = m.switch(args.to, accept_quarantine=args.accept_quarantine)
    print_json(asdict(result)) if args.json else print(result.message)
    return 0


def _undo(m: Any, args: argparse.Namespace, tables: list[str] | None) -> int:
    result = m.undo()
    print_json(asdict(result)) if args.json else print(result.message)
    return 0


def _status(m: Any, args: argparse.Namespace, tables: list[str] | None) -> int:
    runs = m.runs()
    quarantine = m.quarantine(args.to) if args.to else []
    if args.json:
        print_json({"runs": [asdict(r) for r in runs],
                    "quarantine": [q.as_dict() for q in quarantine]})
        return 0
    if not runs:
        print("no migration runs yet")
    for r in runs[:20]:
        verified = {True: "verified", False: "VERIFY FAILED", None: "not verified"}[r.verified]
        switched = f", switched {r.switched_at}" if r.switched_at else ""
        undone = f", undone {r.undone_at}" if r.undone_at else ""
        print(f"#{r.id} {r.started_at} {r.source} -> {r.target}: {r.status}, {r.rows:,} rows, "
              f"{r.quarantined} quarantined, {verified}{switched}{undone}")
        if r.error:
            print(f"    error: {r.error}")
    for q in quarantine:
        print(f"quarantined {q.table} {q.row_id} [{q.column}] {q.reason}")
    return 0

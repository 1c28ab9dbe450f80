"""``storeroom logs import|query|retention`` and ``storeroom metrics``."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from typing import Any

from . import open_ws, print_json

STATUSES = ("success", "failure", "timeout", "cancelled")


def register(sub: argparse._SubParsersAction) -> None:
    logs = sub.add_parser("logs", help="execution logs: import, query, retention")
    lsub = logs.add_subparsers(dest="logs_command", metavar="ACTION", required=True)

    p = lsub.add_parser("import", help="import runs from a JSON-lines file (bad lines are reported)")
    p.add_argument("file", help="a .jsonl file, one run object per line")
    p.add_argument("--json", action="store_true", help="machine-readable report")
    p.set_defaults(func=cmd_import)

    p = lsub.add_parser("query", help="list runs, newest first, one page at a time")
    p.add_argument("--workflow", help="workflow id")
    p.add_argument("--version", type=int, help="workflow version (needs --workflow)")
    p.add_argument("--status", nargs="+", choices=STATUSES, default=[], help="one or more statuses")
    p.add_argument("--since", help="started at or after (ISO-8601, or an age like 24h, 7d)")
    p.add_argument("--until", help="started before (ISO-8601, or an age like 1h)")
    p.add_argument("--error-text", help="text in the error message (case-insensitive)")
    p.add_argument("--limit", type=int, default=50, help="runs per page (default 50)")
    p.add_argument("--cursor", help="next_cursor printed by the previous page")
    p.add_argument("--json", action="store_true", help="JSON with items and next_cursor")
    p.set_defaults(func=cmd_query)

    p = lsub.add_parser("retention", help="archive and delete old runs (see --preview)")
    p.add_argument("--preview", action="store_true", help="only show what would be deleted")
    p.add_argument("--max-age", help="delete runs older than this, e.g. 30d (default: config)")
    p.add_argument("--max-count", type=int, help="keep at most N runs per workflow")
    p.add_argument("--keep-failures-for", help="failed runs stay at least this long, e.g. 90d")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_retention)

    p = sub.add_parser("metrics", help="runs, success rate and p50/p95 per workflow version")
    p.add_argument("--workflow", help="only this workflow")
    p.add_argument("--detect", action="store_true", help="also detect and record patterns")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_metrics)


def _duration(text: str | None, flag: str) -> timedelta | None:
    if text is None:
        return None
    from backend.config.coerce import parse_duration
    from backend.errors import ValidationError

    try:
        return timedelta(seconds=float(parse_duration(text)))
    except Exception:  # noqa: BLE001 - coerce raises its own internal error type
        raise ValidationError(f"{flag} {text!r} is not a duration",
                              hint="Write it like 90m, 12h, 30d.") from None


def _when(text: str | None, flag: str) -> datetime | None:
    """ISO-8601 with a timezone, or an age (``24h``) meaning that long ago."""
    if text is None:
        return None
    from backend.logs.validate import to_utc

    if text[:1].isdigit() and text[-1:].isalpha() and "-" not in text:
        from backend.logs.engine import utc_now

        return utc_now() - (_duration(text, flag) or timedelta(0))
    return to_utc(text, flag, "query")


def cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from backend.logs.importer import import_jsonl

    with open_ws(args) as ws:
        report = import_jsonl(ws.logs, Path(args.file))
    if args.json:
        print_json(report.to_json())
    else:
        for bad in report.bad:
            print(f"{args.file}:{bad.line}: {bad.reason}", file=sys.stderr)
        print(f"imported {report.imported} runs, {report.already_stored} already stored, "
              f"{len(report.bad)} bad lines")
    return 1 if report.bad else 0


def cmd_query(args: argparse.Namespace) -> int:
    from backend.logs import LogFilter

    flt = LogFilter(workflow_id=args.workflow, workflow_version=args.version,
                    statuses=frozenset(args.status), since=_when(args.since, "--since"),
                    until=_when(args.until, "--until"), error_text=args.error_text,
                    limit=args.limit, cursor=args.cursor, with_payload=args.json)
    with open_ws(args) as ws:
        page = ws.logs.query_logs(flt)
    if args.json:
        print_json({"items": [r.to_json() for r in page.items], "next_cursor": page.next_cursor})
        return 0
    print(f"{'started (UTC)':<19} {'workflow':<24} {'ver':>3} {'status':<9} {'ms':>9}  error")
    for r in page.items:
        print(f"{r.started_at:%Y-%m-%d %H:%M:%S} {r.workflow_id[:24]:<24} {r.workflow_version:>3} "
              f"{r.status:<9} {r.duration_ms:>9}  {(r.error or '')[:60]}")
    if page.next_cursor:
        print(f"\nmore: --cursor {page.next_cursor}")
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    from backend.logs import RetentionPolicy

    with open_ws(args) as ws:
        cfg = ws.settings.logs.retention
        max_age = _duration(args.max_age, "--max-age")
        keep = _duration(args.keep_failures_for, "--keep-failures-for")
        policy = RetentionPolicy(
            max_age=max_age if max_age else (timedelta(seconds=cfg.max_age) if cfg.max_age else None),
            max_count=args.max_count or cfg.max_count,
            keep_failures_for=keep if keep else (
                timedelta(seconds=cfg.keep_failures_for) if cfg.keep_failures_for else None))
        preview = ws.logs.preview_retention(policy)
        result = None if args.preview else ws.logs.apply_retention(
            policy, progress=None if args.json else _progress)
    data: dict[str, Any] = {"policy": policy.to_json(), "would_delete": preview.total,
                            "by_workflow": preview.by_workflow, "by_status": preview.by_status,
                            "oldest": preview.oldest, "newest": preview.newest}
    if result is not None:
        data.update(deleted=result.deleted, archive=result.archive)
    if args.json:
        print_json(data)
        return 0
    if result is not None and result.deleted:
        print(file=sys.stderr)  # end the progress bar's line
    verb = "would delete" if result is None else "deleted"
    count = preview.total if result is None else result.deleted
    print(f"{verb} {count} runs" + (f" (archived to {result.archive})" if result and result.archive else ""))
    for wf, n in sorted(preview.by_workflow.items()):
        print(f"  {wf:<28} {n:>8}")
    return 0


def _progress(done: int, total: int) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="", file=sys.stderr)


def cmd_metrics(args: argparse.Namespace) -> int:
    with open_ws(args) as ws:
        summaries = ws.metrics.list_summaries(args.workflow)
        patterns = ws.metrics.detect_patterns() if args.detect else ws.metrics.get_patterns(args.workflow)
        patterns = [p for p in patterns if not args.workflow or p.workflow_id == args.workflow]
    if args.json:
        print_json({"summaries": [s.to_json() for s in summaries],
                    "patterns": [{"kind": p.kind, "workflow_id": p.workflow_id,
                                  "workflow_version": p.workflow_version,
                                  "description": p.description, "evidence": p.evidence,
                                  "detected_at": p.detected_at.isoformat()} for p in patterns]})
        return 0
    print(f"{'workflow':<24} {'ver':>3} {'runs':>8} {'success':>8} {'p50 ms':>10} {'p95 ms':>10}")
    for s in summaries:
        print(f"{s.workflow_id[:24]:<24} {s.workflow_version:>3} {s.executions:>8} "
              f"{(s.success_rate or 0):>8.1%} {s.p50_ms or 0:>10,.0f} {s.p95_ms or 0:>10,.0f}")
    if patterns:
        print("\npatterns:")
        for p in patterns:
            print(f"  [{p.kind}] {p.workflow_id or ''}: {p.description}")
    return 0

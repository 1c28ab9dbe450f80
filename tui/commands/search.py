"""``storeroom search QUERY`` and ``storeroom reindex``: the skill index from the shell."""

from __future__ import annotations

import argparse
import sys

from . import open_ws, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="find skills by meaning, words or exact id/name")
    p.add_argument("query", nargs="+", help="what the skill should do, in your own words")
    p.add_argument("--tag", help="only skills with this tag")
    p.add_argument("--limit", type=int, default=10, help="at most this many results (default 10)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_search)

    r = sub.add_parser("reindex", help="bring the skill index up to date with skills/")
    r.add_argument("--full", action="store_true", help="drop the index and re-embed every skill")
    r.add_argument("--json", action="store_true", help="machine-readable output")
    r.set_defaults(func=cmd_reindex)


def _open_index(ws: object, *, scratch_if_busy: bool = False) -> object:
    from backend.search import open_index, open_scratch_index

    index = open_index(ws, watch=False, background=False)
    ws._track(index)  # type: ignore[attr-defined]  # closed with the workspace
    if index.state == "unavailable" and scratch_if_busy:
        # Another storeroom (the TUI, say) owns the index: search the files by words.
        index = open_scratch_index(ws, f"the index is {index.message}; searched the files by words")
        ws._track(index)  # type: ignore[attr-defined]
    if index.state != "ready":
        from backend.errors import BackendUnavailable

        raise BackendUnavailable("skill index", index.message or index.state)
    return index


def cmd_search(args: argparse.Namespace) -> int:
    from backend.errors import ValidationError

    if args.limit < 1 or args.limit > 200:
        raise ValidationError(f"--limit {args.limit} is out of range", hint="Use 1 to 200.")
    query = " ".join(args.query)
    with open_ws(args) as ws:
        index = _open_index(ws, scratch_if_busy=True)
        hits = index.search(query, tag=args.tag, limit=args.limit)
        status = index.status()
    if args.json:
        print_json({"query": query, "tag": args.tag, "model": status.model, "semantic": status.semantic,
                    "results": [h.as_dict() for h in hits]})
        return 0
    if not status.semantic:
        print("note: LEXICAL FALLBACK, words only (" + (status.message or "no semantic model") + ")",
              file=sys.stderr)
    if not hits:
        print("no matching skills" + (f" with tag {args.tag!r}" if args.tag else ""))
        return 0
    width = max(len(h.id) for h in hits)
    for h in hits:
        print(f"{h.score:5.2f}  {h.id:<{width}}  {'+'.join(h.why):<19} {h.name}")
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    from backend.search import open_index

    with open_ws(args) as ws:
        index = open_index(ws, watch=False, background=False)
        ws._track(index)
        if index.state != "ready":
            from backend.errors import BackendUnavailable

            raise BackendUnavailable("skill index", index.message or index.state)
        tty = sys.stderr.isatty() and not args.json

        def progress(done: int, total: int) -> None:
            if tty:
                bar = "#" * (30 * done // max(total, 1))
                print(f"\r[{bar:<30}] {done:,}/{total:,}", end="", file=sys.stderr, flush=True)

        # Opening already reconciled (added, changed, deleted while closed); --full re-embeds all.
        report = index.reindex(full=True, progress=progress) if args.full else index.last_report
        if tty and args.full:
            print(file=sys.stderr)
        hnsw = index.optimize()  # segments past the indexing threshold get their HNSW graph
        status = index.status()
    data = {**report.as_dict(), "points": status.points, "model": status.model, "engine": status.engine,
            "invalid_files": report.invalid, "optimize_s": round(hnsw, 3)}
    if args.json:
        print_json(data)
    else:
        print(f"{data['added']} added, {data['changed']} changed, {data['removed']} removed, "
              f"{data['invalid']} invalid, {data['unchanged']} unchanged in {data['seconds']:.2f} s; "
              f"{status.points:,} points ({status.model}, {status.engine})")
        for ident, reason in sorted(report.invalid.items()):
            print(f"  invalid: skills/{ident}.json: {reason}")
    return 0

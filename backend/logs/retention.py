"""Retention: preview and apply a policy, archiving every row before it is deleted.

Crash-safe order, per batch: read the rows -> append them to the archive as one gzip
member -> fsync -> delete exactly those rows in one transaction (on SQLite the read,
the archiving and the delete share one write transaction, so no row can slip in
between). A crash between the fsync and the commit leaves the rows both archived and
stored (a rerun archives them again into a new file); nothing is ever deleted without
being archived first.
The archive (``archive/logs-<UTC time>-<engine>.jsonl.gz``) is a sequence of gzip
members, which ``gzip.open`` reads as one stream of JSON lines.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from . import sql
from .engine import Engine
from .models import RetentionPolicy, RetentionPreview, RetentionResult


def _cuts(engine: Engine, policy: RetentionPolicy, now: datetime) -> dict[str, Any]:
    ts = engine.dialect.ts
    age_cut = fail_age_cut = keep_cut = None
    if policy.max_age is not None:
        age_cut = ts(now - policy.max_age)
        longest = max(policy.max_age, policy.keep_failures_for or timedelta(0))
        fail_age_cut = ts(now - longest)
    if policy.keep_failures_for is not None:
        keep_cut = ts(now - policy.keep_failures_for)
    return {"age_cut": age_cut, "fail_age_cut": fail_age_cut, "keep_cut": keep_cut}


def _predicates(engine: Engine, policy: RetentionPolicy,
                now: datetime) -> list[tuple[str, str, list[Any]]]:
    """(workflow, WHERE text, params) for every workflow that has something to remove."""
    cuts = _cuts(engine, policy, now)
    out = []
    for wf in engine.workflows():
        count_cut = engine.count_cut(wf, policy.max_count) if policy.max_count else None
        if count_cut is None and cuts["age_cut"] is None:
            continue
        where, params = sql.retention_where(engine.dialect, wf, count_cut=count_cut, **cuts)
        out.append((wf, where, params))
    return out


def preview(engine: Engine, policy: RetentionPolicy, now: datetime) -> RetentionPreview:
    """What ``apply`` would delete right now, without touching anything."""
    total = 0
    by_wf: dict[str, int] = {}
    by_status: dict[str, int] = {}
    oldest = newest = None
    for wf, where, params in _predicates(engine, policy, now):
        for status, n, low, high in engine.retention_stats(where, params):
            n = int(n)
            total += n
            by_wf[wf] = by_wf.get(wf, 0) + n
            by_status[status] = by_status.get(status, 0) + n
            low, high = engine._ts_out(low), engine._ts_out(high)
            oldest = low if oldest is None or low < oldest else oldest
            newest = high if newest is None or high > newest else newest
    return RetentionPreview(total, by_wf, by_status, oldest, newest)


def archive_path(folder: Path, engine: str, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    return folder / f"logs-{stamp}-{engine}.jsonl.gz"


def apply(engine: Engine, policy: RetentionPolicy, archive_dir: Path, *, now: datetime,
          batch_size: int = 10_000,
          progress: Callable[[int, int], None] | None = None) -> RetentionResult:
    """Archive and delete, batch by batch; ``progress(done, total)`` after each batch."""
    plan = preview(engine, policy, now)
    if plan.total == 0:
        return RetentionResult(0, None, 0, plan)
    archive_dir.mkdir(parents=True, exist_ok=True)
    path = archive_path(archive_dir, engine.name, now)
    done = batches = 0
    with open(path, "ab") as out:

        def archive(lines: list[str]) -> None:
            out.write(gzip.compress(("\n".join(lines) + "\n").encode(), compresslevel=1))
            out.flush()
            os.fsync(out.fileno())  # archived durably before anything is deleted

        for _wf, where, params in _predicates(engine, policy, now):
            after: tuple[str, str] | None = None
            while True:
                deleted, after = engine.archive_batch(where, params, after, batch_size, archive)
                if after is None:
                    break
                done += deleted
                batches += 1
                if progress is not None:
                    progress(done, plan.total)
    _fsync_dir(archive_dir)
    return RetentionResult(done, str(path), batches, plan)


def read_archive(path: Path) -> list[dict[str, Any]]:
    """Every run in an archive file, as JSON dicts (for restore tools and tests)."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

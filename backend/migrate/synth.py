"""Synthetic storeroom data written straight into a SQLite file (benchmarks and tests).

Rows follow ``backend.logs.schema`` storage forms exactly (UTC ISO timestamps with
microseconds, compact JSON); everything derives from a seed, so runs are repeatable.
"""

from __future__ import annotations

import json
import random
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..logs.schema import STATUSES, ensure_sqlite_schema

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_WORDS = ("fetch", "rank", "search", "summarise", "embed", "route", "answer", "plan")


def _ts(dt: datetime) -> str:
    return dt.isoformat(timespec="microseconds")


def _payload(rng: random.Random, size: int) -> str:
    steps = []
    for n in range(6):
        steps.append({"name": f"step-{n}", "tool": rng.choice(_WORDS), "ok": rng.random() > 0.05,
                      "duration_ms": rng.randrange(1, 5000),
                      "tokens": {"prompt": rng.randrange(3000), "completion": rng.randrange(900)},
                      "score": round(rng.random(), 4)})
    doc = {"inputs": {"query": " ".join(rng.choice(_WORDS) for _ in range(8)),
                      "user": f"u{rng.randrange(99999):05d}", "locale": "en-GB"},
           "steps": steps, "outputs": {"answer": ""}}
    text = json.dumps(doc, separators=(",", ":"))
    doc["outputs"]["answer"] = "é" + "x" * max(0, size - len(text) - 1)
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def run_rows(n: int, *, seed: int = 1, payload_bytes: int = 1200) -> Iterator[tuple]:
    """``n`` run_logs rows in storage form, in a stable order."""
    rng = random.Random(seed)
    # A few hundred distinct documents, each made unique per run by a trailing field:
    # realistic JSON to parse at a fraction of the cost of building every one.
    templates = [_payload(rng, payload_bytes - 16)[:-1] for _ in range(min(n, 512))]
    for i in range(n):
        started = EPOCH + timedelta(seconds=i * 3, microseconds=rng.randrange(1_000_000))
        duration = rng.randrange(5, 60_000)
        status = STATUSES[0] if rng.random() < 0.85 else rng.choice(STATUSES[1:])
        yield (str(uuid.UUID(int=rng.getrandbits(128), version=4)), f"wf-{i % 7}", 1 + i % 3,
               status, _ts(started), _ts(started + timedelta(milliseconds=duration)), duration,
               None if status == "success" else f"{status}: step {i % 6} gave up",
               f'{templates[i % len(templates)]},"seq":{i}}}')


def create_source(path: Path, runs: int, *, seed: int = 1, payload_bytes: int = 1200) -> Path:
    """A SQLite database with ``runs`` logs plus metrics, patterns and audit rows."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    ensure_sqlite_schema(conn)
    conn.execute("BEGIN")
    insert = ("INSERT INTO run_logs (run_id, workflow_id, workflow_version, status, started_at,"
              " finished_at, duration_ms, error, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
    batch = []
    for row in run_rows(runs, seed=seed, payload_bytes=payload_bytes):
        batch.append(row)
        if len(batch) >= 10_000:
            conn.executemany(insert, batch)
            batch.clear()
    conn.executemany(insert, batch)
    conn.execute(
        "INSERT INTO metric_summaries SELECT workflow_id, workflow_version, count(*),"
        " sum(status = 'success'), sum(status = 'failure'), sum(status = 'timeout'),"
        " sum(status = 'cancelled'), sum(duration_ms), min(duration_ms), max(duration_ms),"
        " min(started_at), max(started_at) FROM run_logs GROUP BY 1, 2")
    conn.execute(
        "INSERT INTO metric_buckets SELECT workflow_id, workflow_version,"
        " CAST(duration_ms / 1000 AS INTEGER), count(*) FROM run_logs GROUP BY 1, 2, 3")
    conn.execute(
        "INSERT INTO metric_hourly SELECT workflow_id, workflow_version,"
        " substr(started_at, 1, 13) || ':00:00.000000+00:00', count(*),"
        " sum(status = 'success'), sum(duration_ms) FROM run_logs GROUP BY 1, 2, 3")
    rng = random.Random(seed)
    for n in range(5):
        conn.execute(
            "INSERT INTO patterns (workflow_id, workflow_version, kind, fingerprint, description,"
            " evidence, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (f"wf-{n}", 1, "slowdown", f"fp-{n}", f"p95 doubled on wf-{n}",
             json.dumps({"p95_ms": [120, 250 + n], "window": "1h", "z": 1.5e-3}),
             _ts(EPOCH + timedelta(hours=n))))
    for n in range(20):
        conn.execute(
            "INSERT INTO audit (at, actor, action, target, before_hash, after_hash, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (_ts(EPOCH + timedelta(minutes=n)), "alice", "skill.saved", f"skill:s{n}",
             None if n % 3 else f"{rng.getrandbits(64):016x}", f"{rng.getrandbits(64):016x}",
             json.dumps({"size": n * 10, "b": True, "a": None}, sort_keys=True)))
    conn.execute("COMMIT")
    conn.close()
    return path

"""Benchmark the workflow store: 1,000 workflows x 10 versions in a temp workspace.

Prints JSON: each figure (median and p95, in ms) beside its floor measured in the same
run (a bare os.scandir + stat of the tree, a bare read, a bare yaml.safe_load of one
version file), the ratio to that floor, and the issue's target.

    .venv/bin/python bench/workflows.py [--workflows 1000] [--versions 10]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.demo import sample_workflows  # noqa: E402
from backend.workflows.store import WorkflowStore  # noqa: E402
from backend.workspace import open_workspace  # noqa: E402

TARGETS_MS = {"list_all": 100.0, "get_latest": 1.0, "diff": 5.0}


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"median_ms": round(statistics.median(ordered), 4), "p95_ms": round(p95, 4),
            "n": len(ordered)}


def beside(figure: dict[str, float], floor: dict[str, float], target: float | None) -> dict:
    out: dict[str, Any] = dict(figure)
    out["floor_median_ms"] = floor["median_ms"]
    out["ratio_to_floor"] = round(figure["median_ms"] / floor["median_ms"], 2) if floor["median_ms"] else None
    if target is not None:
        out["target_ms"] = target
        out["meets_target"] = figure["median_ms"] <= target
    return out


def generate(ws: Any, workflows: int, versions: int) -> list[float]:
    """Store every version through the real API; returns per-store latencies (ms)."""
    templates = [v["definition"] for _, history in sample_workflows() for v in history]
    rng = random.Random(7)
    latencies = []
    store = ws.workflows
    for w in range(workflows):
        wid = f"wf-{w:04d}"
        base = copy.deepcopy(templates[w % len(templates)])
        for v in range(1, versions + 1):
            d = copy.deepcopy(base)
            d["name"] = f"{base['name']} #{w}"
            d["steps"][0].setdefault("inputs", {})["bench_rev"] = v
            parent = None if v == 1 else (rng.randint(1, v - 1) if v % 4 == 0 else v - 1)
            t0 = time.perf_counter()
            store.store(wid, d, parent=parent, message=f"revision {v} of {wid}", author="bench")
            latencies.append((time.perf_counter() - t0) * 1000)
    return latencies


def scandir_floor(root: Path) -> None:
    with os.scandir(root) as folders:
        for folder in folders:
            with os.scandir(folder.path) as files:
                for entry in files:
                    entry.stat()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflows", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=10)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="storeroom-bench-wf-"))
    try:
        ws = open_workspace(tmp / "ws", create=True)
        ws.workflows.clock = lambda: datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
        t0 = time.perf_counter()
        store_ms = generate(ws, args.workflows, args.versions)
        gen_s = time.perf_counter() - t0
        ws.workflows.close()  # persists the metadata index
        root, state = ws.paths.workflows, ws.paths.state
        ids = [f"wf-{w:04d}" for w in range(args.workflows)]
        rng = random.Random(11)
        sample_file = root / ids[0] / "v1.yaml"
        data = sample_file.read_bytes()

        floors = {
            "scandir_stat_tree": stats(timed(lambda: scandir_floor(root), 20)),
            "read_one_file": stats(timed(sample_file.read_bytes, 2000)),
            "yaml_safe_load_one_file": stats(timed(lambda: yaml.safe_load(data), 200)),
            "scandir_one_workflow": stats(timed(lambda: list(os.scandir(root / ids[0])), 2000)),
        }

        def fresh_rebuild() -> list[float]:
            out = []
            for _ in range(3):
                (state / "workflow-index.json").unlink(missing_ok=True)
                s = WorkflowStore(ws)
                out += timed(s.list_all, 1)
                s.close()
            return out

        rebuild = stats(fresh_rebuild())
        cold = stats([timed(WorkflowStore(ws).list_all, 1)[0] for _ in range(5)])
        warm_store = WorkflowStore(ws)
        warm_store.list_all()
        warm = stats(timed(warm_store.list_all, 20))

        pairs = [(rng.choice(ids), *rng.sample(range(1, args.versions + 1), 2)) for _ in range(500)]
        diff_store = WorkflowStore(ws)  # parse cache on disk (written by store), memory empty
        pit = iter(pairs)
        diff_first = stats(timed(lambda: diff_store.diff(*next(pit)), len(pairs)))
        pit = iter(pairs)
        diff_again = stats(timed(lambda: diff_store.diff(*next(pit)), len(pairs)))

        sample = rng.sample(ids, min(200, len(ids)))
        cold_store = WorkflowStore(ws)
        latest_cold = stats([timed(lambda i=i: cold_store.get_latest(i), 1)[0] for i in sample])
        picks = [rng.choice(ids) for _ in range(2000)]
        it = iter(picks)
        latest_warm = stats(timed(lambda: cold_store.get_latest(next(it)), len(picks)))

        shutil.rmtree(state / "workflow-cache", ignore_errors=True)  # derived state, safe to drop
        uncached = WorkflowStore(ws)
        latest_uncached = stats([timed(lambda i=i: uncached.get_latest(i), 1)[0] for i in sample])
        other = [(rng.choice(ids), *rng.sample(range(1, args.versions + 1), 2)) for _ in range(100)]
        shutil.rmtree(state / "workflow-cache", ignore_errors=True)
        pit = iter(other)
        nocache = WorkflowStore(ws)
        diff_uncached = stats(timed(lambda: nocache.diff(*next(pit)), len(other)))

        report = {
            "benchmark": "workflows",
            "workflows": args.workflows, "versions_per_workflow": args.versions,
            "files": args.workflows * args.versions,
            "python": sys.version.split()[0], "libyaml": yaml.__with_libyaml__,
            "generate": {"seconds": round(gen_s, 1), "store": stats(store_ms)},
            "floors": floors,
            "list_all": {
                "warm (same store)": beside(warm, floors["scandir_stat_tree"], TARGETS_MS["list_all"]),
                "cold (new store, index on disk)": beside(cold, floors["scandir_stat_tree"], TARGETS_MS["list_all"]),
                "rebuild (no index: header-only reads)": beside(rebuild, floors["scandir_stat_tree"], None),
            },
            "get_latest": {
                "warm (memory cache)": beside(latest_warm, floors["scandir_one_workflow"], TARGETS_MS["get_latest"]),
                "cold (new store, parse cache on disk)": beside(latest_cold, floors["read_one_file"], TARGETS_MS["get_latest"]),
                "uncached (full safe YAML parse)": beside(latest_uncached, floors["yaml_safe_load_one_file"], None),
            },
            "diff": {
                "first (new store, parse cache on disk)": beside(diff_first, floors["yaml_safe_load_one_file"], TARGETS_MS["diff"]),
                "again (memory cache)": beside(diff_again, floors["yaml_safe_load_one_file"], TARGETS_MS["diff"]),
                "uncached (two YAML parses + dumps)": beside(diff_uncached, floors["yaml_safe_load_one_file"], None),
            },
        }
        print(json.dumps(report, indent=2))
        ws.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

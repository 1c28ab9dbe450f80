"""Concurrent stores from the same parent: distinct versions, nothing overwritten."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

from workflows_fixtures import definition

from backend.workspace import open_workspace


def test_threads_storing_from_one_parent_get_distinct_versions(ws):
    ws.workflows.store("w", definition())
    results, errors = [], []
    barrier = threading.Barrier(8)

    def worker(i: int) -> None:
        barrier.wait()
        try:
            results.append(ws.workflows.store("w", definition(f"T{i}"), parent=1, message=f"t{i}"))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(v.version for v in results) == list(range(2, 10))
    for v in results:  # each file holds exactly what its writer stored
        assert ws.workflows.get("w", v.version).definition["name"] == v.definition["name"]
        assert not ws.workflows.get("w", v.version).modified
    assert not list((ws.paths.workflows / "w").glob(".tmp-*"))


def _process_store(root: str, i: int, start: multiprocessing.synchronize.Event, out) -> None:
    with open_workspace(root) as w:
        start.wait()
        for k in range(5):
            v = w.workflows.store("w", definition(f"P{i}-{k}"), parent=1)
            out.put((v.version, v.definition["name"]))


def test_processes_storing_from_one_parent_get_distinct_versions(ws):
    ws.workflows.store("w", definition())
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_process_store, args=(str(ws.root), i, start, out))
             for i in range(3)]
    for p in procs:
        p.start()
    start.set()
    got = [out.get(timeout=60) for _ in range(15)]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert sorted(v for v, _ in got) == list(range(2, 17))
    for version, name in got:
        assert ws.workflows.get("w", version).definition["name"] == name
    assert len(list(Path(ws.paths.workflows / "w").glob("v*.yaml"))) == 16

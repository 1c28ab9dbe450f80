"""Skills bench: each tier's cost beside its floor, measured in the same run; prints JSON.

    .venv/bin/python bench/skills.py [--quick]

Starts its own throwaway redis-server (tests/services.py), so nothing needs to run.
Figures are medians in microseconds unless named *_ms; ``ratio`` = ours / floor.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from services import RedisServer, free_port  # noqa: E402

from backend import open_workspace  # noqa: E402
from backend.redis_client import make_redis  # noqa: E402
from backend.skills import Skill, parse_skill_text  # noqa: E402
from backend.skills.catalogue import summarise  # noqa: E402,F401 - keeps import cost out of timings

SAMPLE = REPO / "sample-data" / "skills" / "call-json-api.json"
_ns = time.perf_counter_ns


def med_us(samples: list[int]) -> float:
    return round(statistics.median(samples) / 1000, 3)


def pct_us(samples: list[int], q: float) -> float:
    data = sorted(samples)
    return round(data[min(len(data) - 1, int(q * len(data)))] / 1000, 3)


def each(n: int, call: Callable[[int], object], before: Callable[[int], object] | None = None) -> list[int]:
    """Time ``call(i)`` n times; ``before(i)`` runs untimed first."""
    out = []
    for i in range(n):
        if before is not None:
            before(i)
        t0 = _ns()
        call(i)
        out.append(_ns() - t0)
    return out


def interleaved(n: int, ours: Callable[[int], object], floor: Callable[[int], object],
                before: Callable[[int], object] | None = None) -> tuple[list[int], list[int]]:
    """Time ours and the floor alternately (order flipped every round), so load on the
    machine hits both alike; ``before(i)`` runs untimed ahead of each."""
    a: list[int] = []
    b: list[int] = []
    for i in range(n):
        for which in ((0, 1) if i % 2 == 0 else (1, 0)):
            if before is not None:
                before(i)
            t0 = _ns()
            (ours if which == 0 else floor)(i)
            (a if which == 0 else b).append(_ns() - t0)
    return a, b


def pair(ours: list[int], floor: list[int], **extra: object) -> dict[str, object]:
    return {"ours_us": med_us(ours), "floor_us": med_us(floor),
            "ratio": round(statistics.median(ours) / statistics.median(floor), 2), **extra}


def workspace(root: Path, redis_url: str | None = None, wid: str = "bench") -> object:
    root.mkdir(parents=True, exist_ok=True)
    lines = ["workspace:", f"  id: {wid}"]
    if redis_url:
        lines += ["redis:", f"  url: {redis_url}"]
    (root / "storeroom.yaml").write_text("\n".join(lines) + "\n")
    return open_workspace(root, create=True, env={})


def base_skill() -> Skill:
    return parse_skill_text(SAMPLE.read_bytes())


def seed(ws: object, count: int, prefix: str) -> list[str]:
    skill = base_skill()
    ids = [f"{prefix}{i}" for i in range(count)]
    for ident in ids:
        ws.skills.put(skill.evolve(id=ident, version=0))  # type: ignore[attr-defined]
    time.sleep(0.15)  # past the racy window, then one verifying read each
    for ident in ids:
        ws.skills.get(ident)  # type: ignore[attr-defined]
    ws.skills.flush(5.0)  # type: ignore[attr-defined]
    return ids


def bench_memory(tmp: Path, n: int) -> dict[str, object]:
    with workspace(tmp / "mem") as ws:
        ident = seed(ws, 1, "m")[0]
        store = ws.skills
        store.get(ident)
        table = {ident: store.get(ident)}
        ours, floor = interleaved(n, lambda i: store.get(ident), lambda i: table.get(ident))
        stat_floor = each(n, lambda i: (table.get(ident), os.stat(ws.paths.skills / f"{ident}.json")))
        t0 = _ns()
        for _ in range(n):
            store.get(ident)
        loop_us = (_ns() - t0) / n / 1000
        return pair(ours, floor, dict_plus_stat_us=med_us(stat_floor), p99_us=pct_us(ours, 0.99),
                    tight_loop_us=round(loop_us, 3), target_p50_us=2.0)


def bench_redis(tmp: Path, url: str, n: int) -> dict[str, object]:
    with workspace(tmp / "redis", url, "bench-redis") as ws:
        store = ws.skills
        ids = seed(ws, 200, "r")
        raw = make_redis(url)
        files = {i: (ws.paths.skills / f"{i}.json").read_bytes() for i in ids}
        for i in ids:
            raw.set(f"bench:raw:{i}", files[i])
        hits0 = store.stats()["redis"].hits
        ours, floor = interleaved(n, lambda i: store.get(ids[i % 200]),
                                  lambda i: json.loads(raw.get(f"bench:raw:{ids[i % 200]}")),
                                  before=lambda i: store.invalidate(ids[i % 200]))
        served = store.stats()["redis"].hits - hits0
        raw.close()
        return pair(ours, floor, served_from_redis=f"{served}/{n}", target_ratio=1.3)


def bench_disk(tmp: Path, n: int) -> dict[str, object]:
    with workspace(tmp / "disk") as ws:
        store = ws.skills
        ids = seed(ws, 200, "d")
        paths = [str(ws.paths.skills / f"{i}.json") for i in ids]

        def raw(i: int) -> object:
            with open(paths[i % 200], "rb") as fh:
                return json.loads(fh.read())

        hits0 = store.stats()["disk"].hits
        ours, floor = interleaved(n, lambda i: store.get(ids[i % 200]), raw,
                                  before=lambda i: store.invalidate(ids[i % 200]))
        served = store.stats()["disk"].hits - hits0
        return pair(ours, floor, served_from_disk=f"{served}/{n}", target_ratio=1.5)


def raw_durable_write(folder: str, name: str, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
    os.write(fd, data)
    os.fsync(fd)
    os.close(fd)
    os.replace(tmp, os.path.join(folder, name))
    dfd = os.open(folder, os.O_RDONLY)
    os.fsync(dfd)
    os.close(dfd)


def bench_put(tmp: Path, n: int, url: str | None = None) -> dict[str, object]:
    with workspace(tmp / ("put-redis" if url else "put"), url, "bench-put") as ws:
        store = ws.skills
        current = [store.put(base_skill().evolve(id="p0", version=0))]
        floor_dir = tmp / "rawput"
        floor_dir.mkdir(exist_ok=True)
        data = current[0].to_bytes()
        ours: list[int] = []
        floor: list[int] = []
        for i in range(n):  # interleaved, order flipped each round: disk hiccups hit both alike
            skill = current[0].evolve(code=current[0].code[:-1] + str(i % 10))
            for which in ((0, 1) if i % 2 == 0 else (1, 0)):
                t0 = _ns()
                if which == 0:
                    current[0] = store.put(skill, expected=current[0].version)
                    ours.append(_ns() - t0)
                else:
                    raw_durable_write(str(floor_dir), "p0.json", data)
                    floor.append(_ns() - t0)
        store.flush(5.0)
        return pair(ours, floor, extra_us=round(med_us(ours) - med_us(floor), 1), target_ratio=1.15)


def bench_catalogue(tmp: Path, count: int) -> dict[str, object]:
    root = tmp / "cat"
    with workspace(root) as ws:
        skill = base_skill()
        folder = ws.paths.skills
        for i in range(count):
            s = skill.evolve(id=f"s{i:05d}", name=f"Skill {(i * 7919) % count:05d}", version=1 + i % 9)
            (folder / f"{s.id}.json").write_bytes(s.to_bytes())
    time.sleep(0.15)
    cache = root / ".storeroom" / "skills-catalogue.json"
    result: dict[str, object] = {"skills": count}
    for label in ("no_cache", "cached"):  # first run ever, then a later start with the saved rows
        if label == "no_cache" and cache.exists():
            cache.unlink()
        with open_workspace(root, env={}) as ws:
            t0 = _ns()
            store = ws.skills
            open_ms = (_ns() - t0) / 1e6
            t0 = _ns()
            page = store.list(limit=50)
            first_ms = (_ns() - t0) / 1e6
            assert len(page.items) == 50
            t0 = _ns()
            full = store.list(limit=count, sort="name")  # needs every row: waits for the load
            full_ms = (_ns() - t0) / 1e6
            assert full.total == count and full.complete, full.total
            result[f"{label}_open_store_ms"] = round(open_ms, 1)
            result[f"{label}_first_page_ms"] = round(first_ms, 1)
            result[f"{label}_full_catalogue_ms"] = round(full_ms, 1)
            if label == "cached":
                warm = each(20, lambda i, store=store: store.list(offset=50 * i, limit=50))
                by_name = each(20, lambda i, store=store: store.list(offset=50 * i, limit=50, sort="name"))
                text = each(5, lambda i, store=store: store.list(text=f"skill {i:03d}"))
                verify = each(3, lambda i, store=store: store.list(limit=50, verify=True))
                result["warm_page_ms"] = round(statistics.median(warm) / 1e6, 2)
                result["warm_page_sorted_by_name_ms"] = round(statistics.median(by_name) / 1e6, 2)
                result["warm_text_filter_ms"] = round(statistics.median(text) / 1e6, 2)
                result["verify_every_file_ms"] = round(statistics.median(verify) / 1e6, 1)
    t0 = _ns()
    names = os.listdir(folder)
    listdir_ms = (_ns() - t0) / 1e6
    t0 = _ns()
    for name in names:
        with open(os.path.join(folder, name), "rb") as fh:
            json.loads(fh.read())
    result["floor_listdir_ms"] = round(listdir_ms, 1)
    result["floor_read_and_parse_all_ms"] = floor_ms = round((_ns() - t0) / 1e6, 1)
    result.update(target_first_page_ms=50, target_full_catalogue_ms=200)
    # the first open ever (no saved catalogue): every file read, beside reading them raw
    first = result["no_cache_full_catalogue_ms"]
    result["first_open"] = {"ours_ms": first, "floor_ms": floor_ms, "ratio": round(first / floor_ms, 2),
                            "target_ms": 200}
    return result


def bench_fault(tmp: Path, name: str, url: str, n: int) -> dict[str, object]:
    """Worst single get/put while Redis fails, then the extra cost once the breaker is open."""
    with workspace(tmp / name, url, f"bench-{name}") as ws:
        store = ws.skills
        cur = store.put(base_skill().evolve(id="f0", version=0))
        worst: list[int] = []
        for i in range(6):  # the first calls meet the failure, later ones the open breaker
            store.invalidate("f0")
            t0 = _ns()
            store.get("f0")
            worst.append(_ns() - t0)
            t0 = _ns()
            cur = store.put(cur.evolve(code=f"# {i}"), expected=cur.version)
            worst.append(_ns() - t0)
        time.sleep(0.15)
        store.get("f0")
        state = store.redis_state()
        gets = each(n, lambda i: store.get("f0"), before=lambda i: store.invalidate("f0"))
        with workspace(tmp / (name + "-none"), None, f"bench-{name}-none") as plain:
            plain.skills.put(base_skill().evolve(id="f0", version=0))
            time.sleep(0.15)
            plain.skills.get("f0")
            base = each(n, lambda i: plain.skills.get("f0"), before=lambda i: plain.skills.invalidate("f0"))
        baseline = {"disk": med_us(base)}
        return {"worst_get_or_put_ms": round(max(worst) / 1e6, 1), "breaker": state.breaker,
                "last_error": state.last_error, "get_disk_breaker_open_us": med_us(gets),
                "get_disk_no_redis_us": baseline["disk"],
                "extra_us_breaker_open": round(med_us(gets) - baseline["disk"], 3),
                "target_worst_ms": 150, "target_extra_us": 50}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer iterations and 2k skills")
    args = parser.parse_args()
    n = 2000 if args.quick else 20000
    count = 2000 if args.quick else 10000
    out: dict[str, object] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="storeroom-bench-") as d, RedisServer() as server:
        tmp = Path(d)
        out["get_memory"] = bench_memory(tmp, n)
        out["get_redis"] = bench_redis(tmp, server.url, n // 4)
        out["get_disk"] = bench_disk(tmp, n // 4)
        out["put"] = bench_put(tmp, 100 if args.quick else 300)
        out["put_with_redis"] = bench_put(tmp, 100 if args.quick else 300, server.url)
        out["catalogue"] = bench_catalogue(tmp, count)
        refused = f"redis://127.0.0.1:{free_port()}/0"
        out["redis_refused"] = bench_fault(tmp, "refused", refused, n // 4)
        with RedisServer() as hung:
            hung.hang()
            try:
                out["redis_hung"] = bench_fault(tmp, "hung", hung.url, n // 4)
            finally:
                hung.resume()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()

"""8 threads putting and getting the same and different ids: no torn file, no lost update
without a Conflict."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from skills_fixtures import make_workspace, sample

from backend.skills import Skill, SkillConflict


def _hammer_same_id(store, ident: str, rounds: int, results: list, errors: list) -> None:  # noqa: ANN001
    for _ in range(rounds):
        try:
            cur = store.get(ident)
            counter = int(cur.extra.get("counter", 0))
            store.put(cur.evolve(extra={**cur.extra, "counter": counter + 1}), expected=cur.version)
            results.append(1)
        except SkillConflict:
            results.append(0)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)


def test_same_id_no_lost_update(tmp_path: Path) -> None:
    with make_workspace(tmp_path / "w") as ws:
        store = ws.skills
        store.put(sample("shared", extra={"counter": 0}))
        results: list[int] = []
        errors: list[Exception] = []
        threads = [threading.Thread(target=_hammer_same_id, args=(store, "shared", 25, results, errors))
                   for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        succeeded = sum(results)
        final = json.loads((tmp_path / "w" / "skills" / "shared.json").read_bytes())
        # every successful save is counted exactly once; the others got a Conflict
        assert final["counter"] == succeeded
        assert final["version"] == succeeded + 1
        assert 0 < succeeded <= 200 and len(results) == 200
        audit = ws.skills.audit_entries("shared", limit=1000)
        assert len(audit) == succeeded + 1
        assert not list((tmp_path / "w" / "skills").glob(".*tmp*"))


def test_different_ids_and_readers(tmp_path: Path) -> None:
    with make_workspace(tmp_path / "w") as ws:
        store = ws.skills
        stop = threading.Event()
        torn: list[str] = []

        def writer(n: int) -> None:
            ident = f"w{n}"
            skill = store.put(sample(ident, code="x" * (100 + n)))
            for i in range(30):
                skill = store.put(skill.evolve(code="y" * (100 + i * 37 % 500)), expected=skill.version)

        def reader() -> None:
            folder = tmp_path / "w" / "skills"
            while not stop.is_set():
                for path in folder.glob("w*.json"):
                    try:
                        Skill.from_dict(json.loads(path.read_bytes()))
                    except FileNotFoundError:
                        continue
                    except Exception as exc:  # noqa: BLE001 - a torn file shows up here
                        torn.append(f"{path.name}: {exc}")
                for n in range(6):
                    try:
                        store.get(f"w{n}")
                    except Exception:  # noqa: BLE001,S112 - not created yet
                        continue

        writers = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
        readers = [threading.Thread(target=reader) for _ in range(2)]
        for t in writers + readers:
            t.start()
        for t in writers:
            t.join()
        stop.set()
        for t in readers:
            t.join()
        assert not torn
        for n in range(6):
            got = store.get(f"w{n}")
            assert got.version == 31
            assert got.code == "y" * (100 + 29 * 37 % 500)


COUNTER = r"""
import sys
sys.path.insert(0, sys.argv[2])
from backend import open_workspace
from backend.skills import SkillConflict
ok = 0
with open_workspace(sys.argv[1]) as ws:
    for _ in range(40):
        while True:
            cur = ws.skills.get("shared")
            try:
                ws.skills.put(cur.evolve(extra={**cur.extra, "counter": cur.extra["counter"] + 1}),
                              expected=cur.version)
                ok += 1
                break
            except SkillConflict:
                continue
print(ok)
"""


def test_two_processes_never_lose_an_update(tmp_path: Path) -> None:
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    root = tmp_path / "w"
    with make_workspace(root) as ws:
        ws.skills.put(sample("shared", extra={"counter": 0}))
    procs = [subprocess.Popen([sys.executable, "-c", COUNTER, str(root), str(repo)],
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sum(int(o) for o in outs) == 80
    final = json.loads((root / "skills" / "shared.json").read_bytes())
    assert final["counter"] == 80 and final["version"] == 81

"""One contract suite over every tier set-up: memory only, memory + Redis, and Redis
killed, hung (SIGSTOP), restarted empty or restarted with stale data mid-run.

Whatever Redis does, reads and writes go on, and nothing stale is ever served.
"""

from __future__ import annotations

import json
import os
import time

import pytest
from skills_fixtures import Scenario, sample

from backend.errors import NotFound
from backend.skills import SkillConflict, content_hash


def _external_write(path: os.PathLike[str], data: dict) -> bytes:
    raw = (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()
    with open(path, "wb") as fh:  # in place, like many editors: same inode
        fh.write(raw)
    return raw


def test_put_get_roundtrip_survives_disruption(scenario: Scenario) -> None:
    store = scenario.open().skills
    first = store.put(sample("alpha"))
    assert first.version == 1 and first.created_at and first.updated_at
    path = scenario.root / "skills" / "alpha.json"
    assert path.read_bytes() == first.to_bytes()
    assert path.read_bytes().endswith(b"}\n")
    assert store.get("alpha") == first
    store.flush(2.0)

    scenario.disrupt()

    second = store.put(first.evolve(code="print(2)\n"), expected=first.version)
    assert second.version == 2
    assert store.get("alpha").code == "print(2)\n"
    # a fresh process-like view (empty memory) reads the truth too
    other = scenario.open().skills
    got = other.get_with_tier("alpha")
    assert got.skill == second
    assert got.hash == content_hash(path.read_bytes())
    assert other.get("alpha").extra == {"author": "ann", "inputs": {"url": "str"}}


def test_external_edit_is_never_served_stale(scenario: Scenario) -> None:
    store = scenario.open().skills
    saved = store.put(sample("beta"))
    assert store.get_with_tier("beta").tier == "disk"  # just written: verified against the file
    time.sleep(0.12)  # past the racy window (where there is no change feed, a stat suffices now)
    assert [store.get_with_tier("beta").tier for _ in range(2)][-1] == "memory"
    store.flush(2.0)
    scenario.disrupt()

    path = scenario.root / "skills" / "beta.json"
    data = saved.to_dict()
    data["code"] = data["code"].replace("1", "2")  # same size, edited in place right away
    _external_write(path, data)
    assert store.get("beta").code == data["code"]
    fresh = scenario.open().skills
    assert fresh.get("beta").code == data["code"]
    # and a save from the stale version is a conflict, not an overwrite
    with pytest.raises(SkillConflict) as err:
        store.put(saved.evolve(name="mine"), expected=content_hash(saved.to_bytes()))
    assert err.value.theirs.code == data["code"]
    assert err.value.mine.name == "mine"
    assert json.loads(path.read_bytes())["code"] == data["code"]


def test_stale_redis_copy_after_restart_is_ignored(scenario: Scenario) -> None:
    store = scenario.open().skills
    saved = store.put(sample("gamma"))
    time.sleep(0.12)
    store.get("gamma")
    store.flush(2.0)
    path = scenario.root / "skills" / "gamma.json"
    data = saved.to_dict()
    data["description"] = "changed behind storeroom's back"
    _external_write(path, data)
    scenario.disrupt()  # e.g. Redis restarted with the old value still in its dump
    fresh = scenario.open().skills
    assert fresh.get("gamma").description == "changed behind storeroom's back"
    view = fresh.tier_view("gamma")
    assert view.disk is not None and view.disk.hash == content_hash(path.read_bytes())
    if view.redis is not None:
        fresh.flush(2.0)
        assert not fresh.tier_view("gamma").redis.stale


def test_delete_and_conflicts(scenario: Scenario) -> None:
    store = scenario.open().skills
    saved = store.put(sample("delta"))
    scenario.disrupt()
    with pytest.raises(SkillConflict):
        store.put(sample("delta"))  # create over an existing file
    with pytest.raises(SkillConflict):
        store.delete("delta", expected=saved.version + 5)
    assert store.get("delta") == saved
    store.delete("delta", expected=saved.version)
    with pytest.raises(NotFound):
        store.get("delta")
    with pytest.raises(NotFound):
        scenario.open().skills.get("delta")
    with pytest.raises(NotFound):
        store.delete("delta")
    with pytest.raises(SkillConflict) as err:
        store.put(saved.evolve(name="late"), expected=saved.version)
    assert err.value.theirs is None and "deleted" in err.value.reason


def test_list_page_sort_filter(scenario: Scenario) -> None:
    store = scenario.open().skills
    for i in range(30):
        store.put(sample(f"s{i:02d}", name=f"Name {29 - i:02d}", tags=("even",) if i % 2 == 0 else ("odd",)))
    scenario.disrupt()
    page = store.list(offset=5, limit=10)
    assert page.total == 30 and [s.id for s in page.items] == [f"s{i:02d}" for i in range(5, 15)]
    by_name = store.list(limit=3, sort="name")
    assert [s.id for s in by_name.items] == ["s29", "s28", "s27"]
    desc = store.list(limit=2, sort="id", descending=True)
    assert [s.id for s in desc.items] == ["s29", "s28"]
    assert store.list(tag="even", limit=100).total == 15
    assert [s.id for s in store.list(text="NAME 03").items] == ["s26"]
    (scenario.root / "skills" / "s00.json").unlink()  # removed behind our back
    assert store.list().total == 29


def test_invalid_file_isolated(scenario: Scenario) -> None:
    store = scenario.open().skills
    good = store.put(sample("good"))
    bad = scenario.root / "skills" / "broken.json"
    bad.write_bytes(b'{"id": "broken", "name": ')
    scenario.disrupt()
    assert store.get("good") == good
    assert [f.filename for f in store.invalid()] == ["broken.json"]
    assert store.list().total == 1
    with pytest.raises(SkillConflict):
        store.put(sample("broken"))
    assert bad.read_bytes() == b'{"id": "broken", "name": '
    fixed = store.put(sample("broken"), expected=content_hash(bad.read_bytes()))
    assert fixed.version == 1 and store.invalid() == []

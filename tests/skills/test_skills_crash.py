"""kill -9 a writer at random moments: every file is a complete old or new version, and
no temp file is left behind after the next open."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from skills_fixtures import make_workspace

from backend.skills import Skill, content_hash

REPO = Path(__file__).resolve().parents[2]
WRITER = r"""
import sys, itertools
sys.path.insert(0, sys.argv[2])
from backend import open_workspace
from backend.skills import Skill
ws = open_workspace(sys.argv[1])
store = ws.skills
print("ready", flush=True)
for n in itertools.count():
    ident = f"c{n % 5}"
    try:
        cur = store.get(ident)
    except Exception:
        cur = None
    # size varies so a torn write would show as a truncated or mixed file
    code = f"# n={n}\n" + "x" * (n * 7919 % 20000)
    skill = Skill(id=ident, name=f"crash {ident}", code=code, extra={"n": n, "sig": len(code)})
    store.put(skill, expected=cur.version if cur else None)
"""


def _check_folder(folder: Path) -> int:
    count = 0
    for path in folder.glob("*.json"):
        data = json.loads(path.read_bytes())  # complete JSON, or this raises
        skill = Skill.from_dict(data)
        assert len(skill.code) == skill.extra["sig"], f"{path.name} is torn"
        assert skill.code.startswith(f"# n={skill.extra['n']}\n")
        count += 1
    return count


def _check_audit(ws, folder: Path, ident: str) -> None:  # noqa: ANN001
    """No audit row claims a save the file never got: the newest row is the file's
    version (same bytes) or an older one (each kill after a rename, before its commit,
    may leave one save without a row; never a row without its save)."""
    raw = (folder / f"{ident}.json").read_bytes()
    on_disk = json.loads(raw)["version"]
    entries = ws.skills.audit_entries(ident, limit=1)
    if entries:
        newest = entries[0]
        assert newest.detail["version"] <= on_disk, \
            f"{ident}: version {on_disk} on disk, a row claims {newest.detail['version']}"
        if newest.detail["version"] == on_disk:
            assert newest.after_hash == content_hash(raw)


def test_kill_nine_never_leaves_a_torn_file(tmp_path: Path) -> None:
    root = tmp_path / "w"
    make_workspace(root).close()
    folder = root / "skills"
    rng = random.Random(1234)
    deadline = time.monotonic() + 8
    kills = 0
    leftovers_seen = 0
    while time.monotonic() < deadline:
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(root), str(REPO)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == b"ready", proc.stderr.read().decode() if proc.stderr else ""
        time.sleep(rng.uniform(0.0, 0.15))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        kills += 1
        leftovers_seen += len(list(folder.glob(".*.json.tmp-*")))
        _check_folder(folder)
        with make_workspace(root) as ws:
            ws.skills  # the next open cleans temp files of dead writers  # noqa: B018
            assert not list(folder.glob(".*.json.tmp-*"))
            for ident in ("c0", "c1", "c2", "c3", "c4"):
                if (folder / f"{ident}.json").exists():
                    ws.skills.get(ident)
                    _check_audit(ws, folder, ident)
    assert kills >= 5
    if kills >= 20:  # about half the kills land mid-write: the cleanup was exercised
        assert leftovers_seen > 0
    assert _check_folder(folder) == 5

"""``storeroom workflows ...`` end to end through the CLI entry point."""

from __future__ import annotations

import json

from workflows_fixtures import definition

from backend.safe_yaml import dump_yaml
from tui.cli import main


def _run(capsys, ws, *argv: str) -> tuple[int, str, str]:  # noqa: ANN001
    code = main(["-w", str(ws.root), "workflows", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_store_list_show_diff_lineage_delete(ws, tmp_path, capsys):
    first = tmp_path / "first.yaml"
    first.write_text(dump_yaml(definition()))
    second = tmp_path / "second.yaml"
    d2 = definition(steps=3)
    d2["steps"][2]["skill"] = "not-a-skill"
    second.write_text(dump_yaml(d2))
    assert _run(capsys, ws, "store", "digest", str(first), "-m", "first")[0] == 0
    code, out, err = _run(capsys, ws, "store", "digest", str(second), "-m", "more steps")
    assert code == 0 and "stored digest v2 from v1" in out and "not-a-skill" in err

    code, out, _ = _run(capsys, ws, "list", "--json")
    [row] = json.loads(out)
    assert (row["id"], row["versions"], row["latest"]) == ("digest", 2, 2)

    code, out, _ = _run(capsys, ws, "show", "digest", "--version", "1", "--json")
    shown = json.loads(out)
    assert shown["version"] == 1 and shown["definition"] == definition()
    assert shown["modified_outside_storeroom"] is False

    code, out, _ = _run(capsys, ws, "diff", "digest", "1", "2", "--structural")
    assert "+ step s2 added" in out
    code, out, _ = _run(capsys, ws, "diff", "digest", "1", "2")
    assert out.startswith("--- digest v1\n+++ digest v2")

    code, out, err = _run(capsys, ws, "delete", "digest", "1")
    assert code == 2 and "descendants (v2)" in err
    assert _run(capsys, ws, "delete", "digest", "1", "--force")[0] == 0
    code, out, _ = _run(capsys, ws, "lineage", "digest")
    assert "v1  (deleted)" in out and "└─ v2" in out


def test_bad_file_and_bad_id_fail_cleanly(ws, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsteps: [\n")
    code, _, err = _run(capsys, ws, "store", "w", str(bad), "-m", "m")
    assert code == 2 and "syntax error at line" in err and "Traceback" not in err
    code, _, err = _run(capsys, ws, "show", "../etc")
    assert code == 2 and "invalid workflow id" in err
    code, _, err = _run(capsys, ws, "store", "w", str(tmp_path / "missing.yaml"), "-m", "m")
    assert code == 2 and "cannot read" in err

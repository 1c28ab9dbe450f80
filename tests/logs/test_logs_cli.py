"""``storeroom logs import|query|retention`` and ``storeroom metrics``."""

from __future__ import annotations

import json
from datetime import timedelta

from logs_support import a_run, make_ws, sample_runs

from tui.cli import main


def _line(run):
    return json.dumps({**run, "started_at": run["started_at"].isoformat(),
                       "finished_at": run["finished_at"].isoformat()})


def test_import_reports_bad_lines_and_imports_the_rest(tmp_path, capsys):
    root = tmp_path / "ws"
    make_ws(root, "sqlite").close()
    good = sample_runs(30, seed=3)
    naive = _line(a_run()).replace("+00:00", "")
    lines = [_line(r) for r in good[:10]]
    lines += ["{not json", naive, _line(a_run(status="weird")), "[1, 2]", ""]
    lines += [_line(r) for r in good[10:]] + [_line(good[0])]
    src = tmp_path / "runs.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = main(["-w", str(root), "logs", "import", str(src)])
    out, err = capsys.readouterr()
    assert code == 1
    assert "imported 30 runs, 0 already stored, 5 bad lines" in out
    assert f"{src}:11: not JSON" in err
    assert f"{src}:12: started_at" in err and "has no timezone" in err
    assert f"{src}:13: unknown status 'weird'" in err
    assert f"{src}:14: expected a JSON object, got list" in err
    assert f"{src}:36: run_id {good[0]['run_id']} already appeared earlier" in err
    # Importing again adds nothing and says so.
    assert main(["-w", str(root), "logs", "import", str(src), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["imported"] == 0 and report["already_stored"] == 30 and len(report["bad"]) == 5


def test_query_json_pages_and_filters(tmp_path, capsys):
    root = tmp_path / "ws"
    ws = make_ws(root, "sqlite")
    runs = sample_runs(120, seed=4)
    ws.logs.store_logs(runs)
    ws.close()
    args = ["-w", str(root), "logs", "query", "--status", "failure", "timeout", "--limit", "5", "--json"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert len(first["items"]) == 5 and first["next_cursor"]
    assert all(i["status"] in ("failure", "timeout") for i in first["items"])
    assert first["items"][0]["payload"] is not None
    assert main([*args, "--cursor", first["next_cursor"]]) == 0
    second = json.loads(capsys.readouterr().out)
    assert {i["run_id"] for i in first["items"]}.isdisjoint(i["run_id"] for i in second["items"])
    assert main(["-w", str(root), "logs", "query", "--version", "2"]) == 2
    assert "a version needs a workflow" in capsys.readouterr().err
    assert main(["-w", str(root), "logs", "query", "--since", "2026-01-01T00:00:00"]) == 2
    assert "has no timezone" in capsys.readouterr().err


def test_retention_preview_then_apply(tmp_path, capsys):
    root = tmp_path / "ws"
    ws = make_ws(root, "sqlite")
    ws.logs.store_logs(sample_runs(200, seed=5))
    total = ws.logs.count()
    ws.close()
    args = ["-w", str(root), "logs", "retention", "--max-count", "10", "--json"]
    assert main([*args, "--preview"]) == 0
    preview = json.loads(capsys.readouterr().out)
    assert preview["would_delete"] > 0 and "deleted" not in preview
    assert main(args) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["deleted"] == preview["would_delete"]
    assert (root / "archive").is_dir() and done["archive"].endswith(".jsonl.gz")
    ws = make_ws(root, "sqlite")
    assert ws.logs.count() == total - done["deleted"]
    ws.close()
    assert main(["-w", str(root), "logs", "retention", "--max-age", "soon"]) == 2
    assert "not a duration" in capsys.readouterr().err


def test_metrics_json(tmp_path, capsys):
    root = tmp_path / "ws"
    ws = make_ws(root, "sqlite")
    ws.logs.store_logs([a_run(duration_ms=d) for d in range(100, 1100, 100)])
    ws.close()
    assert main(["-w", str(root), "metrics", "--workflow", "wf-a", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (s,) = data["summaries"]
    assert s["executions"] == 10 and s["mean_duration_ms"] == 550
    assert 480 <= s["p50_ms"] <= 520
    assert main(["-w", str(root), "metrics"]) == 0
    assert "wf-a" in capsys.readouterr().out


def test_timedelta_flags_are_durations():
    from tui.commands.logs import _duration

    assert _duration("30d", "--max-age") == timedelta(days=30)

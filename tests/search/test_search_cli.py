"""`storeroom search` and `storeroom reindex` from the shell."""

from __future__ import annotations

import json

from tui.cli import main


def test_search_json(ws_root, capsys):
    assert main(["-w", str(ws_root), "search", "--json", "--limit", "3", "slack", "channel"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["query"] == "slack channel" and out["semantic"] is True
    first = out["results"][0]
    assert first["id"] == "post-slack-message" and set(first["why"]) <= {"exact", "meaning", "words"}
    assert 0 < first["score"] <= 1 and len(out["results"]) <= 3


def test_search_text_tag_and_reindex(ws_root, capsys):
    assert main(["-w", str(ws_root), "search", "--tag", "backup", "database"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and "backup-postgres" in lines[0]
    (ws_root / "skills" / "broken.json").write_text("{", encoding="utf-8")
    assert main(["-w", str(ws_root), "reindex", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["points"] == 5 and report["invalid"] == 1 and "broken" in report["invalid_files"]
    assert main(["-w", str(ws_root), "reindex", "--full", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 5


def test_search_while_another_process_owns_the_index(ws_root, open_ws, capsys):
    """The TUI owns the index: the shell still gets an answer, by words, and is told so."""
    owner = open_ws()
    assert owner.ws.search.wait_ready(30)
    assert main(["-w", str(ws_root), "search", "slack", "channel"]) == 0
    captured = capsys.readouterr()
    assert "post-slack-message" in captured.out.splitlines()[0]
    assert "LEXICAL FALLBACK" in captured.err and "in use by storeroom process" in captured.err
    assert main(["-w", str(ws_root), "search", "--json", "slack"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["semantic"] is False and out["results"][0]["id"] == "post-slack-message"
    assert set(out["results"][0]["why"]) <= {"exact", "words"}
    # The owner's index is untouched and still answers.
    assert owner.ws.search.status().state == "ready"
    assert owner.ws.search.search("slack channel")[0].id == "post-slack-message"
    assert main(["-w", str(ws_root), "search", "--limit", "0", "x"]) == 2
    # reindex needs the index itself: it still refuses, and says who has it.
    assert main(["-w", str(ws_root), "reindex"]) == 2
    assert "in use by storeroom process" in capsys.readouterr().err

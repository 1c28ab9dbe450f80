"""Retention: preview equals apply, archives hold exactly the deleted rows, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from logs_support import END, sample_runs

from backend.errors import ValidationError
from backend.logs import LogFilter, RetentionPolicy
from backend.logs.retention import read_archive

RUNS = sample_runs(800, seed=21)
BY_ID = {r["run_id"]: r for r in RUNS}
FAILED = {"failure", "timeout"}


def _json(run):
    return {**run, "started_at": run["started_at"].isoformat(),
            "finished_at": run["finished_at"].isoformat()}


def _same_instants(row):
    """Timestamps compared as instants (the archive writes fixed-width ISO text)."""
    from datetime import datetime

    return {**row, "started_at": datetime.fromisoformat(row["started_at"]),
            "finished_at": datetime.fromisoformat(row["finished_at"])}


def _expected_by_age(max_age, keep_failures_for=None):
    cut = END - max_age
    fail_cut = END - max(max_age, keep_failures_for or timedelta(0))
    return {r["run_id"] for r in RUNS
            if r["started_at"] < (fail_cut if r["status"] in FAILED else cut)}


def test_by_age_keeps_failures_longer_and_archives_exactly(ws):
    ws.logs.store_logs(RUNS)
    policy = RetentionPolicy(max_age=timedelta(days=10), keep_failures_for=timedelta(days=20))
    expected = _expected_by_age(policy.max_age, policy.keep_failures_for)
    assert expected and any(BY_ID[i]["status"] in FAILED for i in expected)
    preview = ws.logs.preview_retention(policy, now=END)
    assert preview.total == len(expected)
    assert sum(preview.by_status.values()) == len(expected)
    assert ws.logs.count() == len(RUNS)  # a preview deletes nothing
    seen = []
    result = ws.logs.apply_retention(policy, now=END, batch_size=97,
                                     progress=lambda done, total: seen.append((done, total)))
    assert result.deleted == len(expected) and result.batches >= len(expected) // 97
    assert seen[-1] == (len(expected), len(expected))
    archived = read_archive(result.archive)
    assert sorted(a["run_id"] for a in archived) == sorted(expected)
    for row in archived:
        assert _same_instants(row) == _same_instants(_json(BY_ID[row["run_id"]]))
    assert ws.logs.count() == len(RUNS) - len(expected)
    remaining = {r.run_id for r in ws.logs.query_logs(LogFilter(limit=10000)).items}
    assert not remaining & expected
    entry = ws.audit.query(target_prefix="logs:")[0]
    assert entry.action == "logs.retention" and entry.detail["deleted"] == len(expected)
    # Aggregates are cumulative: retention keeps the history of the metrics.
    assert sum(s.executions for s in ws.metrics.list_summaries()) == len(RUNS)
    again = ws.logs.apply_retention(policy, now=END)
    assert again.deleted == 0 and again.archive is None


def test_by_count_per_workflow_protects_recent_failures(ws):
    ws.logs.store_logs(RUNS)
    policy = RetentionPolicy(max_count=20, keep_failures_for=timedelta(days=5))
    expected = set()
    for wf in {r["workflow_id"] for r in RUNS}:
        mine = sorted((r for r in RUNS if r["workflow_id"] == wf),
                      key=lambda r: (r["started_at"], r["run_id"]), reverse=True)
        for r in mine[20:]:
            if not (r["status"] in FAILED and r["started_at"] >= END - timedelta(days=5)):
                expected.add(r["run_id"])
    assert ws.logs.preview_retention(policy, now=END).total == len(expected)
    result = ws.logs.apply_retention(policy, now=END, batch_size=500)
    assert {a["run_id"] for a in read_archive(result.archive)} == expected
    assert ws.logs.count() == len(RUNS) - len(expected)
    for wf in {r["workflow_id"] for r in RUNS}:
        newest = [r["run_id"] for r in sorted((r for r in RUNS if r["workflow_id"] == wf),
                  key=lambda r: (r["started_at"], r["run_id"]), reverse=True)][:20]
        assert [r.run_id for r in ws.logs.get_recent(wf, limit=20)] == newest


def test_policy_needs_a_rule():
    with pytest.raises(ValidationError, match="max_age or max_count"):
        RetentionPolicy(keep_failures_for=timedelta(days=1))

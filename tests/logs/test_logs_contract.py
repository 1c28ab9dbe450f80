"""The logs/metrics contract, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import math
import uuid
from datetime import timedelta

import pytest
from logs_support import END, a_run, sample_runs

from backend.errors import Duplicate, NotFound, ValidationError
from backend.logs import LogFilter

RUNS = sample_runs(600, seed=11)


def _newest_first(runs):
    return sorted(runs, key=lambda r: (r["started_at"], r["run_id"]), reverse=True)


def _all_pages(logs, flt: LogFilter) -> list[str]:
    ids, cursor = [], None
    while True:
        page = logs.query_logs(LogFilter(**{**flt.__dict__, "cursor": cursor}))
        ids += [r.run_id for r in page.items]
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


def test_store_and_get_round_trip(ws):
    run = a_run(error="boom: ünïcode ✓", status="failure",
                payload={"inputs": {"q": "x"}, "steps": [], "n": 1.5, "ok": True, "z": None})
    assert ws.logs.store_log(run) == run["run_id"]
    got = ws.logs.get_log(run["run_id"].upper())
    assert got.to_json() == {**run, "started_at": run["started_at"].isoformat(),
                             "finished_at": run["finished_at"].isoformat()}
    assert ws.logs.backend == ws.settings.logs.backend


def test_batch_then_filters_match_python(ws):
    assert ws.logs.store_logs(RUNS) == len(RUNS)
    since, until = END - timedelta(days=10), END - timedelta(days=2)
    cases = [
        (LogFilter(), lambda r: True),
        (LogFilter(workflow_id="pr-quality-gate"), lambda r: r["workflow_id"] == "pr-quality-gate"),
        (LogFilter(workflow_id="pr-quality-gate", workflow_version=3),
         lambda r: r["workflow_id"] == "pr-quality-gate" and r["workflow_version"] == 3),
        (LogFilter(statuses=frozenset({"failure", "timeout"})),
         lambda r: r["status"] in ("failure", "timeout")),
        (LogFilter(since=since, until=until), lambda r: since <= r["started_at"] < until),
        (LogFilter(error_text="TIMEOUT"), lambda r: "timeout" in (r["error"] or "").lower()),
    ]
    for flt, keep in cases:
        expected = [r["run_id"] for r in _newest_first(RUNS) if keep(r)]
        assert expected, flt
        assert _all_pages(ws.logs, LogFilter(**{**flt.__dict__, "limit": 37})) == expected, flt
        assert ws.logs.count(flt) == len(expected)


def test_first_page_and_cursor(ws):
    ws.logs.store_logs(RUNS)
    page = ws.logs.query_logs(LogFilter(limit=10, with_payload=False))
    assert len(page.items) == 10 and page.next_cursor
    assert all(r.payload is None for r in page.items)
    nxt = ws.logs.query_logs(LogFilter(limit=10, cursor=page.next_cursor))
    assert nxt.items[0].started_at <= page.items[-1].started_at
    assert not {r.run_id for r in page.items} & {r.run_id for r in nxt.items}
    last = ws.logs.query_logs(LogFilter(limit=len(RUNS)))
    assert last.next_cursor is None
    with pytest.raises(ValidationError, match="cursor"):
        ws.logs.query_logs(LogFilter(cursor="garbage!"))


def test_get_recent_count_delete(ws):
    ws.logs.store_logs(RUNS)
    recent = ws.logs.get_recent("invoice-ingest", limit=5)
    expected = [r["run_id"] for r in _newest_first(RUNS) if r["workflow_id"] == "invoice-ingest"][:5]
    assert [r.run_id for r in recent] == expected
    victim = expected[0]
    ws.logs.delete(victim)
    assert ws.logs.count() == len(RUNS) - 1
    with pytest.raises(NotFound):
        ws.logs.get_log(victim)
    with pytest.raises(NotFound):
        ws.logs.delete(victim)
    assert ws.audit.query(target=f"run:{victim}")[0].action == "logs.delete"


def test_duplicate_rejects_whole_batch(ws):
    first = a_run()
    ws.logs.store_log(first)
    batch = [a_run(), a_run(), dict(first)]
    with pytest.raises(Duplicate) as info:
        ws.logs.store_logs(batch)
    assert str(info.value).startswith(f"run '{first['run_id']}' already exists")
    assert ws.logs.count() == 1
    assert ws.metrics.get_summary("wf-a", 1).executions == 1
    assert ws.logs.store_logs(batch, skip_existing=True) == 2
    assert ws.metrics.get_summary("wf-a", 1).executions == 3


def test_invalid_run_rejects_whole_batch(ws):
    batch = [a_run(), a_run(), a_run(status="exploded")]
    with pytest.raises(ValidationError, match=r"runs\[2\].*unknown status 'exploded'"):
        ws.logs.store_logs(batch)
    assert ws.logs.count() == 0


def test_summaries_match_exact_statistics(ws):
    ws.logs.store_logs(RUNS)
    for wf, ver in {(r["workflow_id"], r["workflow_version"]) for r in RUNS}:
        mine = [r for r in RUNS if r["workflow_id"] == wf and r["workflow_version"] == ver]
        s = ws.metrics.get_summary(wf, ver)
        assert s.executions == len(mine)
        assert s.successes == sum(r["status"] == "success" for r in mine)
        assert s.failures == sum(r["status"] == "failure" for r in mine)
        assert s.total_duration_ms == sum(r["duration_ms"] for r in mine)
        assert s.last_run_at == max(r["finished_at"] for r in mine)
        durations = sorted(r["duration_ms"] for r in mine)
        for q, got in ((0.5, s.p50_ms), (0.95, s.p95_ms)):
            exact = durations[math.ceil(q * len(durations)) - 1]  # nearest rank
            assert abs(got - exact) <= 0.05 * exact + 1, (wf, ver, q)
    merged = ws.metrics.get_summary("pr-quality-gate")
    parts = [s for s in ws.metrics.list_summaries("pr-quality-gate")]
    assert merged.workflow_version is None
    assert merged.executions == sum(p.executions for p in parts) > 0
    with pytest.raises(NotFound):
        ws.metrics.get_summary("no-such-workflow", 1)


def test_record_execution_updates_aggregates(ws):
    for ms in (100, 200, 300, 400):
        ws.metrics.record_execution(a_run(duration_ms=ms))
    s = ws.metrics.get_summary("wf-a", 1)
    assert (s.executions, s.total_duration_ms, s.mean_duration_ms) == (4, 1000, 250)
    assert (s.min_duration_ms, s.max_duration_ms) == (100, 400)
    assert ws.logs.count(LogFilter(workflow_id="wf-a")) == 4
    series = ws.metrics.get_series("wf-a")
    assert sum(p.executions for p in series) == 4


def test_patterns_record_and_detect(ws):
    p = ws.metrics.record_pattern("note", "something odd", {"k": 1}, END, workflow_id="wf-a")
    again = ws.metrics.record_pattern("note", "something odd", {"k": 2}, END, workflow_id="wf-a")
    assert p.id == again.id
    assert [x.evidence for x in ws.metrics.get_patterns("wf-a")] == [{"k": 2}]
    with pytest.raises(ValidationError):
        ws.metrics.record_pattern("note", "naive", {}, END.replace(tzinfo=None))
    runs = []
    for i in range(40):  # v1: 1 failure in 40; v2: every other run fails the same way
        at = END - timedelta(hours=100 - i)
        runs.append(a_run(workflow_id="flaky", workflow_version=1, started_at=at,
                          status="failure" if i == 0 else "success", error="rare" if i == 0 else None))
        bad = i % 2 == 0
        runs.append(a_run(workflow_id="flaky", workflow_version=2, started_at=at,
                          status="failure" if bad else "success",
                          error="KeyError: 'customer_id'" if bad else None))
    ws.logs.store_logs(runs)
    found = ws.metrics.detect_patterns(now=END)
    kinds = {(f.kind, f.workflow_id, f.workflow_version) for f in found}
    assert ("failure-rate-regression", "flaky", 2) in kinds
    assert ("recurring-error", "flaky", None) in kinds
    assert not any(k[1] == "flaky" and k[2] == 1 for k in kinds)
    stored = ws.metrics.get_patterns("flaky")
    assert {x.kind for x in stored} == {"failure-rate-regression", "recurring-error"}
    error = next(x for x in stored if x.kind == "recurring-error")
    assert error.evidence["count"] == 20 and "customer_id" in error.description
    ws.metrics.detect_patterns(now=END)  # re-detection refreshes, never duplicates
    assert len(ws.metrics.get_patterns("flaky")) == 2
    # A detection that no longer holds goes; the hand-made note stays.
    ws.metrics.record_pattern("recurring-error", "old news", {}, END, workflow_id="flaky",
                              fingerprint="recurring-error:flaky:stale")
    ws.metrics.detect_patterns(now=END)
    assert "old news" not in {x.description for x in ws.metrics.get_patterns("flaky")}
    assert len(ws.metrics.get_patterns("flaky")) == 2
    assert ws.metrics.get_patterns("wf-a")[0].kind == "note"


def test_unknown_run_id_and_bad_filters(ws):
    with pytest.raises(NotFound):
        ws.logs.get_log(str(uuid.uuid4()))
    with pytest.raises(ValidationError, match="not a UUID"):
        ws.logs.get_log("../../etc/passwd")
    with pytest.raises(ValidationError, match="unknown status"):
        LogFilter(statuses=frozenset({"weird"}))
    with pytest.raises(ValidationError, match="naive"):
        LogFilter(since=END.replace(tzinfo=None))


def test_daily_and_hourly_series_add_up(ws):
    ws.logs.store_logs(RUNS)
    axis, daily = ws.metrics.get_daily(14)
    assert len(axis) == 14 and axis[-1] == max(r["started_at"] for r in RUNS).date()
    for (wf, ver), points in daily.items():
        in_window = [r for r in RUNS if r["workflow_id"] == wf and r["workflow_version"] == ver
                     and r["started_at"].date() >= axis[0]]
        assert sum(p.executions for p in points) == len(in_window)
        assert sum(p.successes for p in points) == sum(r["status"] == "success" for r in in_window)
    hourly = ws.metrics.get_series("support-ticket-router")
    assert sum(p.executions for p in hourly) == sum(r["workflow_id"] == "support-ticket-router" for r in RUNS)
    assert all(p.hour.minute == 0 and p.hour.utcoffset().total_seconds() == 0 for p in hourly)


# Long batches (thousands of runs): a bad or duplicate run near the end still rejects the
# whole batch.
BIG = sample_runs(5000, seed=23)


def _state(ws):
    return ws.logs.count(), ws.metrics.list_summaries()


def test_a_bad_run_late_in_a_long_batch_writes_nothing(ws):
    ws.logs.store_logs(BIG[:100])
    before = _state(ws)
    batch = [dict(r) for r in BIG[100:]]
    batch[4500]["status"] = "exploded"
    with pytest.raises(ValidationError, match="unknown status") as info:
        ws.logs.store_logs(batch)
    assert "runs[4500]" in str(info.value)
    assert _state(ws) == before


def test_a_duplicate_late_in_a_long_batch_writes_nothing(ws):
    ws.logs.store_logs(BIG[:100])
    before = _state(ws)
    batch = BIG[100:] + [BIG[50]]  # already stored, in the batch's last chunk
    with pytest.raises(Duplicate):
        ws.logs.store_logs(batch)
    assert _state(ws) == before


def test_skip_existing_across_chunks_adds_only_the_new_runs(ws):
    ws.logs.store_logs(BIG[1000:3500])
    assert ws.logs.store_logs(BIG, skip_existing=True) == 2500
    assert ws.logs.count() == 5000
    summaries = ws.metrics.list_summaries()
    assert sum(s.executions for s in summaries) == 5000

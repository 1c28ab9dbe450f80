"""The engine interface and the logic both engines share.

An engine owns the database connection(s) and turns rows into SQL. Subclasses give
``_tx()`` (a context manager yielding a cursor inside one transaction), ``_read()``
and the per-engine conversions; everything else is here, once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from . import sql
from .aggregate import Deltas, deltas, percentile
from .models import LogFilter, Page, Pattern, RunLog, SeriesPoint, Summary, encode_cursor
from .validate import Row, iso


class Engine:
    """Storage primitives for run logs, aggregates and patterns on one database."""

    name = "engine"
    dialect: sql.Dialect

    # -- provided by each engine ------------------------------------------------------
    def _tx(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _read(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _insert_rows(self, cur: Any, rows: Sequence[Row]) -> None:
        raise NotImplementedError

    def _existing_ids(self, cur: Any, ids: Sequence[str]) -> set[str]:
        raise NotImplementedError

    def _delete_ids(self, cur: Any, ids: Sequence[str]) -> int:
        raise NotImplementedError

    def _ts_out(self, value: Any) -> datetime:
        raise NotImplementedError

    def _json_out(self, value: Any) -> Any:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # -- writes -----------------------------------------------------------------------
    def write(self, rows: Sequence[Row], *, skip_existing: bool = False) -> int:
        """Insert rows and their aggregate deltas in one transaction; returns rows added."""
        if not rows:
            return 0
        with self._tx() as cur:
            if skip_existing:
                existing = self._existing_ids(cur, [r.run_id for r in rows])
                if existing:
                    rows = [r for r in rows if r.run_id not in existing]
                if not rows:
                    return 0
            self._insert_rows(cur, rows)
            self._apply(cur, deltas(rows))
        return len(rows)

    def _apply(self, cur: Any, delta: Deltas) -> None:
        d = self.dialect
        ts = self._ts_param
        cur.executemany(sql.upsert_summary_sql(d), [
            (wf, ver, v.executions, v.successes, v.failures, v.timeouts, v.cancelled,
             v.total_duration_ms, v.min_duration_ms, v.max_duration_ms,
             ts(v.first_iso, v.first_at), ts(v.last_iso, v.last_at))
            for (wf, ver), v in delta.versions.items()])
        cur.executemany(sql.upsert_bucket_sql(d), [
            (wf, ver, b, n) for (wf, ver, b), n in delta.buckets.items()])
        cur.executemany(sql.upsert_hour_sql(d), [
            (wf, ver, hour, a[0], a[1], a[2]) for (wf, ver, hour), a in delta.hours.items()])

    def _ts_param(self, iso_text: str, dt: datetime | None) -> Any:
        return iso_text if self.dialect.name == "sqlite" else dt

    def delete(self, run_id: str) -> bool:
        with self._tx() as cur:
            return self._delete_ids(cur, [run_id]) > 0

    def delete_ids(self, ids: Sequence[str]) -> int:
        with self._tx() as cur:
            return self._delete_ids(cur, ids)

    # -- reads ------------------------------------------------------------------------
    def _run(self, r: Sequence[Any]) -> RunLog:
        return RunLog(str(r[0]), r[1], r[2], r[3], self._ts_out(r[4]), self._ts_out(r[5]), r[6],
                      r[7], self._json_out(r[8]) if r[8] is not None else None)

    def get(self, run_id: str) -> RunLog | None:
        cols = ", ".join(sql.RUN_COLUMNS)
        rows = self._read(f"SELECT {cols} FROM run_logs WHERE run_id = "  # noqa: S608
                          f"{self.dialect.ph}{self.dialect.uuid_cast}", [run_id])
        return self._run(rows[0]) if rows else None

    def query(self, flt: LogFilter) -> Page:
        text, params = sql.page_sql(flt, self.dialect)
        rows = self._read(text, params)
        more = len(rows) > flt.limit
        items = [self._run(r) for r in rows[: flt.limit]]
        cursor = None
        if more and items:
            last = items[-1]
            cursor = encode_cursor(iso(last.started_at), last.run_id)
        return Page(items, cursor)

    def count(self, flt: LogFilter | None = None) -> int:
        where, params = sql.filter_where(flt, self.dialect, with_cursor=False) if flt else ("", [])
        return int(self._read(f"SELECT count(*) FROM run_logs{where}", params)[0][0])  # noqa: S608

    def _version_filter(self, workflow_id: str | None,
                        workflow_version: int | None) -> tuple[list[str], list[Any]]:
        """WHERE terms and parameters for an optional workflow and version."""
        ph = self.dialect.ph
        where: list[str] = []
        params: list[Any] = []
        if workflow_id is not None:
            where.append(f"workflow_id = {ph}")
            params.append(workflow_id)
        if workflow_version is not None:
            where.append(f"workflow_version = {ph}")
            params.append(workflow_version)
        return where, params

    def summaries(self, workflow_id: str | None = None,
                  workflow_version: int | None = None, *, merge: bool = False) -> list[Summary]:
        """Summaries per (workflow, version); ``merge`` folds versions into one per workflow."""
        where, params = self._version_filter(workflow_id, workflow_version)
        cond = (" WHERE " + " AND ".join(where)) if where else ""
        rows = self._read(
            "SELECT workflow_id, workflow_version, executions, successes, failures, timeouts, "  # noqa: S608
            "cancelled, total_duration_ms, min_duration_ms, max_duration_ms, first_run_at, "
            f"last_run_at FROM metric_summaries{cond} ORDER BY workflow_id, workflow_version",
            params)
        buckets: dict[tuple[str, int | None], dict[int, int]] = {}
        for wf, ver, b, n in self._read(
                f"SELECT workflow_id, workflow_version, bucket, count FROM metric_buckets{cond}",  # noqa: S608
                params):
            hist = buckets.setdefault((wf, None if merge else ver), {})
            hist[b] = hist.get(b, 0) + int(n)
        merged: dict[tuple[str, int | None], list[Any]] = {}
        for r in rows:
            key = (r[0], None if merge else r[1])
            acc = merged.get(key)
            if acc is None:
                merged[key] = [*r[2:8], r[8], r[9], r[10], r[11]]
                continue
            for i in range(6):
                acc[i] += r[2 + i]
            acc[6] = min(acc[6], r[8])
            acc[7] = max(acc[7], r[9])
            acc[8] = min(acc[8], r[10])
            acc[9] = max(acc[9], r[11])
        out = []
        for (wf, ver), a in merged.items():
            hist = buckets.get((wf, ver), {})
            out.append(Summary(wf, ver, *(int(x) for x in a[:6]), a[6], a[7],
                               percentile(hist, 0.5), percentile(hist, 0.95),
                               self._ts_out(a[8]), self._ts_out(a[9])))
        return out

    def series(self, workflow_id: str | None, workflow_version: int | None = None,
               since: datetime | None = None) -> list[SeriesPoint]:
        d = self.dialect
        where, params = self._version_filter(workflow_id, workflow_version)
        if since is not None:
            where.append(f"hour >= {d.ph}")
            params.append(d.ts(since))
        cond = (" WHERE " + " AND ".join(where)) if where else ""
        rows = self._read("SELECT hour, sum(executions), sum(successes), sum(total_duration_ms) "  # noqa: S608
                          f"FROM metric_hourly{cond} GROUP BY hour ORDER BY hour", params)
        return [SeriesPoint(self._ts_out(h), int(e), int(s), int(t)) for h, e, s, t in rows]

    def hourly(self, since: datetime) -> list[tuple[str, int, datetime, int, int, int]]:
        """Every (workflow, version, hour, executions, successes, total ms) since a time."""
        rows = self._read("SELECT workflow_id, workflow_version, hour, executions, successes, "  # noqa: S608
                          f"total_duration_ms FROM metric_hourly WHERE hour >= {self.dialect.ph} "
                          "ORDER BY hour", [self.dialect.ts(since)])
        return [(r[0], r[1], self._ts_out(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows]

    def latest_hour(self) -> datetime | None:
        rows = self._read("SELECT max(hour) FROM metric_hourly")
        return self._ts_out(rows[0][0]) if rows and rows[0][0] is not None else None

    # -- patterns ---------------------------------------------------------------------
    def upsert_pattern(self, p: Pattern) -> int:
        with self._tx() as cur:
            row = cur.execute(sql.upsert_pattern_sql(self.dialect), (
                p.workflow_id, p.workflow_version, p.kind, p.fingerprint, p.description,
                json.dumps(p.evidence, sort_keys=True), self.dialect.ts(p.detected_at),
            )).fetchone()
        return int(row[0])

    def patterns(self, workflow_id: str | None = None) -> list[Pattern]:
        cond, params = ("", [])
        if workflow_id is not None:
            cond, params = f" WHERE workflow_id = {self.dialect.ph}", [workflow_id]
        rows = self._read("SELECT id, kind, description, evidence, detected_at, workflow_id, "  # noqa: S608
                          f"workflow_version, fingerprint FROM patterns{cond} "
                          "ORDER BY detected_at DESC, id DESC", params)
        return [Pattern(int(r[0]), r[1], r[2], self._json_out(r[3]), self._ts_out(r[4]), r[5],
                        r[6], r[7]) for r in rows]

    def prune_patterns(self, kinds: Sequence[str], keep: Sequence[str]) -> int:
        """Delete patterns of ``kinds`` whose fingerprint is not in ``keep`` (no longer true)."""
        d = self.dialect
        kinds, keep = list(kinds), list(keep)
        sql_text = f"DELETE FROM patterns WHERE kind IN ({d.phs(len(kinds))})"  # noqa: S608
        if keep:
            sql_text += f" AND fingerprint NOT IN ({d.phs(len(keep))})"
        with self._tx() as cur:
            return cur.execute(sql_text, [*kinds, *keep]).rowcount

    def recurring_errors(self, since: datetime, min_count: int) -> list[tuple[str, str, int]]:
        d = self.dialect
        rows = self._read(
            "SELECT workflow_id, error, count(*) AS n FROM run_logs "  # noqa: S608
            f"WHERE started_at >= {d.ph} AND status IN ('failure', 'timeout') "
            f"AND error IS NOT NULL GROUP BY workflow_id, error HAVING count(*) >= {d.ph} "
            "ORDER BY n DESC, workflow_id LIMIT 100", [d.ts(since), min_count])
        return [(r[0], r[1], int(r[2])) for r in rows]

    def latest_started(self) -> datetime | None:
        rows = self._read("SELECT max(started_at) FROM run_logs")
        return self._ts_out(rows[0][0]) if rows and rows[0][0] is not None else None

    # -- retention primitives ---------------------------------------------------------
    def workflows(self) -> list[str]:
        """Every workflow with runs, from the aggregates (a few rows, not an index scan)."""
        return [r[0] for r in self._read(
            "SELECT DISTINCT workflow_id FROM metric_summaries ORDER BY workflow_id")]

    def count_cut(self, workflow_id: str, keep: int) -> tuple[str, str] | None:
        """Sort key of the ``keep``-th newest run of a workflow (older ones are beyond)."""
        d = self.dialect
        rows = self._read(
            f"SELECT started_at, run_id FROM run_logs WHERE workflow_id = {d.ph} "  # noqa: S608
            f"ORDER BY started_at DESC, run_id DESC LIMIT 1 OFFSET {d.ph}", [workflow_id, keep - 1])
        return (iso(self._ts_out(rows[0][0])), str(rows[0][1])) if rows else None

    def retention_stats(self, where: str, params: list[Any]) -> list[tuple[Any, ...]]:
        return self._read(f"SELECT status, count(*), min(started_at), max(started_at) "  # noqa: S608
                          f"FROM run_logs WHERE {where} GROUP BY status", params)

    def _batch_sql(self, where: str, params: list[Any], after: tuple[str, str] | None,
                   limit: int, extra: str = "") -> tuple[str, list[Any]]:
        """SELECT of the next runs matching ``where`` after a sort key, oldest first."""
        d = self.dialect
        if after is not None:
            where += f" AND (started_at, run_id) > ({d.ph}{d.ts_cast}, {d.ph}{d.uuid_cast})"
            params = [*params, *after]
        text = "::text" if d.name == "postgres" else ""
        return (f"SELECT run_id{text}, workflow_id, workflow_version, status, started_at, "  # noqa: S608
                f"finished_at, duration_ms, error, payload{text}{extra} FROM run_logs "
                f"WHERE {where} ORDER BY started_at, run_id LIMIT {d.ph}", [*params, limit])

    def _archive_lines(self, rows: Sequence[Sequence[Any]]) -> tuple[list[str], list[str], tuple[str, str]]:
        """(run ids, archive JSON lines, sort key of the last row); payloads go in as stored."""
        ids, lines = [], []
        names: dict[str, str] = {}  # workflow ids repeat: encode each once
        started = ""
        for rid, wf, ver, status, started, finished, dur, error, payload, *_ in rows:
            started, finished = self._ts_text(started), self._ts_text(finished)
            name = names.get(wf)
            if name is None:
                name = names[wf] = json.dumps(wf, ensure_ascii=False)
            err = "null" if error is None else json.dumps(error, ensure_ascii=False)
            lines.append(f'{{"run_id":"{rid}","workflow_id":{name},'
                         f'"workflow_version":{int(ver)},"status":"{status}",'
                         f'"started_at":"{started}","finished_at":"{finished}",'
                         f'"duration_ms":{int(dur)},"error":{err},"payload":{payload}}}')
            ids.append(str(rid))
        return ids, lines, (started, ids[-1] if ids else "")

    def archive_batch(self, where: str, params: list[Any], after: tuple[str, str] | None,
                      limit: int, archive: Callable[[list[str]], None]) -> tuple[int, tuple[str, str] | None]:
        """Select the next batch, hand its JSON lines to ``archive`` (which must make them
        durable), then delete exactly those runs. Returns (deleted, last sort key), or
        (0, None) when nothing is left."""
        query, args = self._batch_sql(where, params, after, limit)
        rows = self._read(query, args)
        if not rows:
            return 0, None
        ids, lines, last = self._archive_lines(rows)
        archive(lines)
        return self.delete_ids(ids), last

    def _ts_text(self, value: Any) -> str:
        return value if isinstance(value, str) else iso(value)


def utc_now() -> datetime:
    return datetime.now(UTC)


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]

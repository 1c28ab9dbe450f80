"""SQL text shared by both engines, written once with a small dialect switch.

Placeholders, the LEAST/GREATEST spelling, case-insensitive LIKE, casts and the Python
form of timestamps are the only differences between SQLite and PostgreSQL here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .models import FAILED_STATUSES, LogFilter, decode_cursor
from .validate import iso

RUN_COLUMNS = ("run_id", "workflow_id", "workflow_version", "status", "started_at",
               "finished_at", "duration_ms", "error", "payload")
_FAILED = ", ".join(f"'{s}'" for s in sorted(FAILED_STATUSES))


@dataclass(frozen=True)
class Dialect:
    name: str
    ph: str            # parameter placeholder
    least: str
    greatest: str
    like: str
    uuid_cast: str     # appended to a placeholder compared with run_id
    ts_cast: str
    json_cast: str

    def ts(self, value: datetime | str) -> Any:
        """A timestamp parameter: ISO text on SQLite, a datetime (or text + cast) on PG."""
        if isinstance(value, datetime):
            return iso(value) if self.name == "sqlite" else value
        return value

    def phs(self, count: int) -> str:
        return ", ".join([self.ph] * count)


SQLITE = Dialect("sqlite", "?", "min", "max", "LIKE", "", "", "")
POSTGRES = Dialect("postgres", "%s", "LEAST", "GREATEST", "ILIKE", "::uuid", "::timestamptz",
                   "::jsonb")


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filter_where(flt: LogFilter, d: Dialect, *, with_cursor: bool = True) -> tuple[str, list[Any]]:
    """WHERE clause (with leading ' WHERE ', or '') and its parameters for a filter."""
    clauses: list[str] = []
    params: list[Any] = []
    if flt.workflow_id is not None:
        clauses.append(f"workflow_id = {d.ph}")
        params.append(flt.workflow_id)
    if flt.workflow_version is not None:
        clauses.append(f"workflow_version = {d.ph}")
        params.append(int(flt.workflow_version))
    if flt.statuses:
        statuses = sorted(flt.statuses)
        clauses.append(f"status IN ({d.phs(len(statuses))})")
        params += statuses
    if flt.since is not None:
        clauses.append(f"started_at >= {d.ph}")
        params.append(d.ts(flt.since))
    if flt.until is not None:
        clauses.append(f"started_at < {d.ph}")
        params.append(d.ts(flt.until))
    if flt.error_text:
        clauses.append(f"error {d.like} {d.ph} ESCAPE '\\'")
        params.append(f"%{escape_like(flt.error_text)}%")
    if with_cursor and flt.cursor:
        started, run_id = decode_cursor(flt.cursor)
        clauses.append(f"(started_at, run_id) < ({d.ph}{d.ts_cast}, {d.ph}{d.uuid_cast})")
        params += [started, run_id]
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def page_sql(flt: LogFilter, d: Dialect) -> tuple[str, list[Any]]:
    cols = list(RUN_COLUMNS)
    if not flt.with_payload:
        cols[-1] = "NULL AS payload"
    where, params = filter_where(flt, d)
    sql = (f"SELECT {', '.join(cols)} FROM run_logs{where} "  # noqa: S608 - fixed column names
           f"ORDER BY started_at DESC, run_id DESC LIMIT {d.ph}")
    return sql, [*params, int(flt.limit) + 1]


def insert_runs_sql(d: Dialect) -> str:
    return (f"INSERT INTO run_logs ({', '.join(RUN_COLUMNS)}) VALUES "  # noqa: S608
            f"({d.phs(8)}, {d.ph}{d.json_cast})")


def upsert_summary_sql(d: Dialect) -> str:
    t = "metric_summaries"
    adds = ", ".join(f"{c} = {t}.{c} + excluded.{c}" for c in (
        "executions", "successes", "failures", "timeouts", "cancelled", "total_duration_ms"))
    return (
        f"INSERT INTO {t} (workflow_id, workflow_version, executions, successes, failures, "  # noqa: S608
        f"timeouts, cancelled, total_duration_ms, min_duration_ms, max_duration_ms, "
        f"first_run_at, last_run_at) VALUES ({d.phs(12)}) "
        f"ON CONFLICT (workflow_id, workflow_version) DO UPDATE SET {adds}, "
        f"min_duration_ms = {d.least}({t}.min_duration_ms, excluded.min_duration_ms), "
        f"max_duration_ms = {d.greatest}({t}.max_duration_ms, excluded.max_duration_ms), "
        f"first_run_at = {d.least}({t}.first_run_at, excluded.first_run_at), "
        f"last_run_at = {d.greatest}({t}.last_run_at, excluded.last_run_at)"
    )


def upsert_bucket_sql(d: Dialect) -> str:
    return (f"INSERT INTO metric_buckets (workflow_id, workflow_version, bucket, count) "  # noqa: S608
            f"VALUES ({d.phs(4)}) ON CONFLICT (workflow_id, workflow_version, bucket) "
            f"DO UPDATE SET count = metric_buckets.count + excluded.count")


def upsert_hour_sql(d: Dialect) -> str:
    t = "metric_hourly"
    return (f"INSERT INTO {t} (workflow_id, workflow_version, hour, executions, successes, "  # noqa: S608
            f"total_duration_ms) VALUES ({d.ph}, {d.ph}, {d.ph}{d.ts_cast}, {d.phs(3)}) "
            f"ON CONFLICT (workflow_id, workflow_version, hour) DO UPDATE SET "
            f"executions = {t}.executions + excluded.executions, "
            f"successes = {t}.successes + excluded.successes, "
            f"total_duration_ms = {t}.total_duration_ms + excluded.total_duration_ms")


def upsert_pattern_sql(d: Dialect) -> str:
    return (f"INSERT INTO patterns (workflow_id, workflow_version, kind, fingerprint, "  # noqa: S608
            f"description, evidence, detected_at) VALUES "
            f"({d.phs(5)}, {d.ph}{d.json_cast}, {d.ph}) "
            f"ON CONFLICT (fingerprint) DO UPDATE SET description = excluded.description, "
            f"evidence = excluded.evidence, detected_at = excluded.detected_at RETURNING id")


def retention_where(d: Dialect, workflow_id: str, *, age_cut: Any, fail_age_cut: Any,
                    count_cut: tuple[str, str] | None, keep_cut: Any) -> tuple[str, list[Any]]:
    """Predicate of the runs of one workflow a policy removes (see RetentionPolicy)."""
    parts: list[str] = []
    params: list[Any] = []
    if age_cut is not None:
        age = f"(status NOT IN ({_FAILED}) AND started_at < {d.ph})"
        params.append(age_cut)
        if fail_age_cut is not None:
            age = f"({age} OR (status IN ({_FAILED}) AND started_at < {d.ph}))"
            params.append(fail_age_cut)
        parts.append(age)
    if count_cut is not None:
        count = f"((started_at, run_id) < ({d.ph}{d.ts_cast}, {d.ph}{d.uuid_cast})"
        params += list(count_cut)
        if keep_cut is not None:
            count += f" AND NOT (status IN ({_FAILED}) AND started_at >= {d.ph})"
            params.append(keep_cut)
        parts.append(count + ")")
    return f"workflow_id = {d.ph} AND ({' OR '.join(parts)})", [workflow_id, *params]

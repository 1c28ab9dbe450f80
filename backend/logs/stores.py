"""``ws.logs`` and ``ws.metrics``: validation, events and audit over an engine."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..errors import NotFound, ValidationError
from .engine import Engine, utc_now
from .models import (
    LogFilter,
    Page,
    Pattern,
    RetentionPolicy,
    RetentionPreview,
    RetentionResult,
    RunLog,
    SeriesPoint,
    Summary,
)
from .validate import DEFAULT_MAX_PAYLOAD, check_uuid, to_utc, validate_run, validate_runs

if TYPE_CHECKING:
    from ..workspace import Workspace

RunInput = Mapping[str, Any] | RunLog


def open_engine(ws: Workspace) -> Engine:
    """The engine ``logs.backend`` names (sqlite, or postgres at ``postgres.dsn``)."""
    cfg = ws.settings.logs
    if cfg.backend == "postgres":
        from ..errors import ConfigError
        from .pg_engine import PgEngine

        pg = ws.settings.postgres
        if not pg.dsn:
            raise ConfigError("logs.backend is postgres but postgres.dsn is not set",
                              key="postgres.dsn",
                              hint="Set postgres.dsn in storeroom.yaml, or logs.backend: sqlite.")
        return PgEngine(pg.dsn, connect_timeout=pg.connect_timeout,
                        statement_timeout=pg.statement_timeout, pool_size=pg.pool_size)
    from .sqlite_engine import SqliteEngine

    return SqliteEngine(ws.sqlite_path, busy_timeout=cfg.busy_timeout)


class LogStore:
    """Run logs: append-only storage, filtered keyset paging, retention."""

    def __init__(self, engine: Engine, ws: Workspace | None = None,
                 max_payload: int = DEFAULT_MAX_PAYLOAD) -> None:
        self.engine = engine
        self.ws = ws
        self.max_payload = max_payload

    @property
    def backend(self) -> str:
        return self.engine.name

    def store_log(self, run: RunInput) -> str:
        """Validate and store one run (and its aggregates); returns its run_id.

        Raises Duplicate if the id is already stored, ValidationError on bad input.
        """
        row = validate_run(run, max_payload=self.max_payload)
        self.engine.write([row])
        self._emit("run.stored", row.run_id, f"{row.workflow_id} v{row.workflow_version} {row.status}")
        return row.run_id

    def store_logs(self, runs: Iterable[RunInput], *, skip_existing: bool = False) -> int:
        """Store a batch in one transaction with its aggregates; all or nothing.

        Any invalid run rejects the whole batch (ValidationError naming ``runs[i]``).
        ``skip_existing`` ignores runs whose id is already stored (idempotent imports);
        otherwise one is a Duplicate and nothing is written. Returns the runs added.
        """
        runs = runs if isinstance(runs, Sequence) else list(runs)
        added = self.engine.write(validate_runs(runs, self.max_payload), skip_existing=skip_existing)
        if added:
            self._emit("runs.stored", f"{added} runs", f"batch of {len(runs)}")
        return added

    def get_log(self, run_id: str) -> RunLog:
        found = self.engine.get(check_uuid(run_id))
        if found is None:
            raise NotFound("run", str(run_id), hint="List runs with `storeroom logs query`.")
        return found

    def query_logs(self, flt: LogFilter | None = None) -> Page:
        """One page, newest first; pass ``next_cursor`` back in the filter for the next."""
        return self.engine.query(flt or LogFilter())

    def get_recent(self, workflow_id: str, workflow_version: int | None = None,
                   limit: int = 20) -> list[RunLog]:
        return self.engine.query(LogFilter(workflow_id=workflow_id,
                                           workflow_version=workflow_version, limit=limit)).items

    def count(self, flt: LogFilter | None = None) -> int:
        return self.engine.count(flt)

    def delete(self, run_id: str) -> None:
        """Delete one run (aggregates keep counting it: they are cumulative)."""
        run_id = check_uuid(run_id)
        if not self.engine.delete(run_id):
            raise NotFound("run", run_id)
        if self.ws is not None:
            self.ws.audit.append("logs.delete", f"run:{run_id}")
        self._emit("run.deleted", run_id, "")

    def preview_retention(self, policy: RetentionPolicy, now: datetime | None = None) -> RetentionPreview:
        from .retention import preview

        return preview(self.engine, policy, now or utc_now())

    def apply_retention(self, policy: RetentionPolicy, *, now: datetime | None = None,
                        batch_size: int = 10_000,
                        progress: Callable[[int, int], None] | None = None) -> RetentionResult:
        """Archive then delete what ``policy`` removes; audited. See backend.logs.retention."""
        from .retention import apply

        if self.ws is None:
            raise ValidationError("retention needs a workspace (for archive/ and the audit log)")
        result = apply(self.engine, policy, self.ws.paths.archive, now=now or utc_now(),
                       batch_size=batch_size, progress=progress)
        self.ws.audit.append("logs.retention", f"logs:{self.engine.name}", detail={
            "deleted": result.deleted, "archive": result.archive, "policy": policy.to_json()})
        self._emit("logs.retention", f"{result.deleted} runs", result.archive or "nothing to do")
        return result

    def _emit(self, kind: str, subject: str, detail: str) -> None:
        if self.ws is not None:
            self.ws.events.emit(kind, subject, detail)

    def close(self) -> None:
        self.engine.close()


class MetricsStore:
    """Aggregates per workflow version, time series, and detected patterns."""

    def __init__(self, engine: Engine, ws: Workspace | None = None,
                 max_payload: int = DEFAULT_MAX_PAYLOAD) -> None:
        self.engine = engine
        self.ws = ws
        self.max_payload = max_payload

    def record_execution(self, run: RunInput) -> None:
        """Store the run's log and update its aggregates in one transaction."""
        self.engine.write([validate_run(run, max_payload=self.max_payload)])

    def get_summary(self, workflow_id: str, workflow_version: int | None = None) -> Summary:
        """One version's summary, or every version merged when ``workflow_version`` is None."""
        found = self.engine.summaries(workflow_id, workflow_version,
                                      merge=workflow_version is None)
        if not found:
            what = f"{workflow_id} v{workflow_version}" if workflow_version else workflow_id
            raise NotFound("metrics for", what, hint="No run of it has been recorded yet.")
        return found[0]

    def list_summaries(self, workflow_id: str | None = None, *, merge_versions: bool = False) -> list[Summary]:
        return self.engine.summaries(workflow_id, merge=merge_versions)

    def get_series(self, workflow_id: str | None = None, workflow_version: int | None = None,
                   since: datetime | None = None) -> list[SeriesPoint]:
        """Hourly executions, successes and mean duration, oldest first."""
        return self.engine.series(workflow_id, workflow_version,
                                  to_utc(since, "since", "series") if since else None)

    def get_daily(self, days: int = 14) -> tuple[list[date], dict[tuple[str, int], list[SeriesPoint]]]:
        """Per (workflow, version): one point per UTC day for the last ``days`` days of data.

        The window ends at the newest recorded hour (not the clock), so it is stable.
        """
        latest = self.engine.latest_hour()
        if latest is None:
            return [], {}
        first = latest.date() - timedelta(days=days - 1)
        axis = [first + timedelta(days=i) for i in range(days)]
        start = datetime(first.year, first.month, first.day, tzinfo=UTC)
        acc: dict[tuple[str, int], list[list[int]]] = {}
        for wf, ver, hour, execs, succ, total in self.engine.hourly(start):
            cells = acc.setdefault((wf, ver), [[0, 0, 0] for _ in axis])
            cell = cells[(hour.date() - first).days]
            cell[0] += execs
            cell[1] += succ
            cell[2] += total
        out = {key: [SeriesPoint(datetime(d.year, d.month, d.day, tzinfo=UTC), *cell)
                     for d, cell in zip(axis, cells, strict=True)]
               for key, cells in acc.items()}
        return axis, out

    def record_pattern(self, kind: str, description: str, evidence: Mapping[str, Any],
                       detected_at: datetime | None = None, *, workflow_id: str | None = None,
                       workflow_version: int | None = None,
                       fingerprint: str | None = None) -> Pattern:
        """Record (or refresh, same fingerprint) a detected pattern."""
        if not kind or not description:
            raise ValidationError("a pattern needs a kind and a description", where="pattern")
        at = to_utc(detected_at, "detected_at", "pattern") if detected_at else utc_now()
        from .validate import encode_payload

        encode_payload(evidence, "pattern evidence", self.max_payload)
        if "\x00" in kind + description:
            raise ValidationError("pattern text contains a NUL byte", where="pattern")
        fingerprint = fingerprint or hashlib.sha1(
            f"{kind}|{workflow_id}|{workflow_version}|{description}".encode()).hexdigest()
        pattern = Pattern(0, kind, description, dict(evidence), at, workflow_id,
                          workflow_version, fingerprint)
        pid = self.engine.upsert_pattern(pattern)
        return Pattern(pid, kind, description, dict(evidence), at, workflow_id, workflow_version,
                       fingerprint)

    def get_patterns(self, workflow_id: str | None = None) -> list[Pattern]:
        return self.engine.patterns(workflow_id)

    def detect_patterns(self, now: datetime | None = None) -> list[Pattern]:
        """Compute regressions and recurring errors, record them, return what was found.

        Earlier detections of these kinds that no longer hold are removed; patterns
        recorded by hand (other kinds) are kept.
        """
        from .patterns import AUTO_KINDS, detect

        found = [self.record_pattern(**item) for item in detect(self.engine, now)]
        self.engine.prune_patterns(AUTO_KINDS, [p.fingerprint for p in found])
        return found

    def close(self) -> None:
        self.engine.close()

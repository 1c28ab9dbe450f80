"""The migration API for the CLI and the Migrate screen: one :class:`Migrator` per workspace.

Every call is blocking (run it in a worker); long ones take a progress callback and a
``threading.Event`` to cancel between batches. Runs are recorded in the history.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from ..errors import Conflict, StorageError, ValidationError
from .control import Quarantined
from .copy import DEFAULT_BATCH_ROWS, CopyResult, open_target, run_copy
from .endpoints import Endpoint, parse_endpoint
from .history import History, RunRecord, now_iso
from .plan import Plan, make_plan
from .progress import ProgressCallback
from .switch import SwitchResult, check_switchable, switch_to, undo_switch
from .tables import select_tables
from .tally import copy_hashes_source
from .verify import EarlyTargetHashes, SourceHashes, VerifyReport, verify


@dataclass(frozen=True)
class ConnectionTest:
    ok: bool
    target: str
    detail: str
    latency_ms: float | None = None


@dataclass
class RunOutcome:
    record: RunRecord
    copy: CopyResult
    verify: VerifyReport | None

    @property
    def summary(self) -> str:
        text = self.copy.summary
        if self.verify is not None:
            text += "; verified ok" if self.verify.ok else (
                f"; VERIFY FAILED for {', '.join(self.verify.failed_tables)}")
        return text


class Migrator:
    """Plan, run, verify, switch and undo migrations for one workspace."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.history = History(ws.paths.state)

    # -- endpoints ---------------------------------------------------------------------
    def endpoint(self, text: str) -> Endpoint:
        return parse_endpoint(text, base=self.ws.root)

    def current(self) -> Endpoint:
        """Where the workspace's logs live now (the default source)."""
        logs = self.ws.settings.logs
        if logs.backend == "postgres":
            dsn = self.ws.settings.postgres.dsn
            if not dsn:
                raise ValidationError("logs.backend is postgres but postgres.dsn is unset",
                                      hint="Set postgres.dsn in storeroom.yaml.")
            return Endpoint("postgres", dsn)
        return Endpoint("sqlite", str(self.ws.sqlite_path))

    def _pair(self, target: str, source: str | None) -> tuple[Endpoint, Endpoint]:
        dst = self.endpoint(target)
        src = self.endpoint(source) if source else self.current()
        if src.kind == dst.kind == "sqlite" and src.path == dst.path:
            raise ValidationError("source and target are the same file",
                                  hint="Pass a different --to.")
        if src.kind == dst.kind and src.location == dst.location:
            raise ValidationError("source and target are the same", hint="Pass a different --to.")
        return src, dst

    @staticmethod
    def _tables(src: Endpoint, names: list[str] | None) -> Any:
        """An archive holds run logs only; databases move every table by default."""
        return select_tables(names or (["run_logs"] if src.kind == "jsonl" else None))

    def test_connection(self, target: str) -> ConnectionTest:
        dst = self.endpoint(target)
        start = time.perf_counter()
        try:
            store = open_target(dst, timeout=max(0.5, self.ws.settings.postgres.connect_timeout))
            try:
                state = store.state()
                version = (store.conn.execute("SHOW server_version").fetchone()[0]
                           if dst.kind == "postgres" else "SQLite")
            finally:
                store.close()
        except StorageError as exc:
            return ConnectionTest(False, dst.display, str(exc))
        ms = (time.perf_counter() - start) * 1000
        label = f"PostgreSQL {version}" if dst.kind == "postgres" else version
        return ConnectionTest(True, dst.display, f"{label}; {state.detail}", ms)

    # -- the steps ---------------------------------------------------------------------
    def plan(self, target: str, *, source: str | None = None, tables: list[str] | None = None,
             scan: bool = True, progress: ProgressCallback | None = None,
             cancel: threading.Event | None = None) -> Plan:
        src, dst = self._pair(target, source)
        return make_plan(src, dst, self._tables(src, tables), scan=scan, progress=progress,
                         cancel=cancel)

    def run(self, target: str, *, source: str | None = None, tables: list[str] | None = None,
            resume: bool = False, check: bool = True, batch_rows: int = DEFAULT_BATCH_ROWS,
            progress: ProgressCallback | None = None,
            cancel: threading.Event | None = None) -> RunOutcome:
        """Copy (or resume), then verify unless cancelled; the run is recorded."""
        src, dst = self._pair(target, source)
        chosen = self._tables(src, tables)
        record = self.history.start(src.display, dst.display)
        # The copy hashes a SQLite source itself as it reads it (C accelerator built);
        # otherwise worker processes hash it while the copy runs.
        hashes = (SourceHashes(src, chosen) if check and not copy_hashes_source(src, dst)
                  and SourceHashes.worth_it(src, chosen) else None)
        # PostgreSQL hashes each loaded table while the copy builds its indexes.
        early = EarlyTargetHashes(dst) if check and dst.kind == "postgres" else None
        try:
            return self._run(record, src, dst, chosen, resume, check, batch_rows, progress,
                             cancel, hashes, early)
        finally:
            if hashes is not None:
                hashes.close()
            if early is not None:
                early.close()

    def _run(self, record: RunRecord, src: Endpoint, dst: Endpoint, chosen: Any, resume: bool,
             check: bool, batch_rows: int, progress: ProgressCallback | None,
             cancel: threading.Event | None, hashes: SourceHashes | None,
             early: EarlyTargetHashes | None = None) -> RunOutcome:
        prepared = threading.Event()  # set once the target accepted the run

        def tracked(p: Any) -> None:
            prepared.set()
            if progress is not None:
                progress(p)

        try:
            result = run_copy(src, dst, chosen, resume=resume, batch_rows=batch_rows,
                              progress=tracked, cancel=cancel,
                              on_loaded=early.loaded if early is not None else None)
        except BaseException as exc:
            if isinstance(exc, Exception) and not prepared.is_set():
                self.history.discard(record.id)  # refused or unreachable: nothing was written
            else:
                self._failed(record, exc)
            raise
        record = self.history.update(record.id, status=result.status, finished_at=now_iso(),
                                     rows=sum(result.rows.values()),
                                     quarantined=result.quarantined, seconds=result.seconds)
        report = None
        if check and result.status != "cancelled":
            report = self._verify(record, src, dst, chosen, progress, hashes,
                                  result.source_hashes, early)
        # No audit entry here: writing to the source now would make it differ from the
        # copy just verified. The history records the run; the switch is audited.
        return RunOutcome(self._record(record.id), result, report)

    def verify(self, target: str, *, source: str | None = None,
               tables: list[str] | None = None,
               progress: ProgressCallback | None = None) -> VerifyReport:
        src, dst = self._pair(target, source)
        record = self.history.latest_for(dst.display)
        return self._verify(record, src, dst, self._tables(src, tables), progress)

    def _verify(self, record: RunRecord | None, src: Endpoint, dst: Endpoint, tables: Any,
                progress: ProgressCallback | None, hashes: SourceHashes | None = None,
                copied: dict[str, tuple[int, int]] | None = None,
                early: EarlyTargetHashes | None = None) -> VerifyReport:
        report = verify(src, dst, tables, progress=progress, source_hashes=hashes,
                        copied_hashes=copied, early_target=early)
        if record is not None:
            self.history.update(record.id, verified=report.ok,
                                verify_detail=[f"{t.table}: {t.verdict}" for t in report.tables])
        return report

    def quarantine(self, target: str) -> list[Quarantined]:
        store = open_target(self.endpoint(target))
        try:
            return store.quarantined()
        finally:
            store.close()

    def accept_quarantine(self, target: str) -> RunRecord:
        record = self.history.latest_for(self.endpoint(target).display)
        if record is None:
            raise Conflict("no migration to accept", hint="Run a migration first.")
        return self.history.update(record.id, accepted_quarantine=True)

    def switch(self, target: str, *, accept_quarantine: bool = False) -> SwitchResult:
        dst = self.endpoint(target)
        record = self.history.latest_for(dst.display)
        check_switchable(record, dst, accept_quarantine)
        assert record is not None
        if accept_quarantine and record.quarantined:
            record = self.history.update(record.id, accepted_quarantine=True)
        self._audit("migrate.switch", dst, {"run": record.id, "quarantined": record.quarantined})
        return switch_to(self.ws, dst, record, self.history)

    def undo(self) -> SwitchResult:
        result = undo_switch(self.ws, self.history)
        return result

    def _failed(self, record: RunRecord, exc: BaseException) -> None:
        interrupted = isinstance(exc, KeyboardInterrupt)
        self.history.update(record.id, status="interrupted" if interrupted else "failed",
                            finished_at=now_iso(),
                            error="interrupted; resume to continue" if interrupted
                            else str(exc)[:500])

    def runs(self) -> list[RunRecord]:
        return self.history.runs()

    def _record(self, run_id: int) -> RunRecord:
        return next(r for r in self.history.runs() if r.id == run_id)

    def _audit(self, action: str, dst: Endpoint, detail: dict[str, Any]) -> None:
        try:
            self.ws.audit.append(action, f"migration:{dst.display}", detail=detail)
        except StorageError:
            pass  # the audit database may be the one just archived; the history has it


__all__ = ["Migrator", "ConnectionTest", "RunOutcome"]

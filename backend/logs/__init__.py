"""Execution logs and metrics on SQLite or PostgreSQL.

``open_log_store(ws)`` gives ``ws.logs`` (:class:`LogStore`) and
``open_metrics_store(ws)`` gives ``ws.metrics`` (:class:`MetricsStore`); the engine is
``logs.backend`` in storeroom.yaml. Table specs for both engines are in
:mod:`backend.logs.schema`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import (
    FAILED_STATUSES,
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
from .schema import STATUSES
from .stores import LogStore, MetricsStore, open_engine

if TYPE_CHECKING:
    from ..workspace import Workspace


def open_log_store(ws: Workspace) -> LogStore:
    """The run-log repository of ``ws`` (engine chosen by ``logs.backend``)."""
    return LogStore(open_engine(ws), ws)


def open_metrics_store(ws: Workspace) -> MetricsStore:
    """The metrics repository of ``ws`` (same engine as the logs)."""
    return MetricsStore(open_engine(ws), ws)


__all__ = [
    "FAILED_STATUSES", "STATUSES", "LogFilter", "LogStore", "MetricsStore", "Page", "Pattern",
    "RetentionPolicy", "RetentionPreview", "RetentionResult", "RunLog", "SeriesPoint", "Summary",
    "open_log_store", "open_metrics_store",
]

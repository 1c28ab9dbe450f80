"""Health checks: every backend reports within 300 ms, whatever the server does."""

from __future__ import annotations

import time

import pytest

from backend import open_workspace
from backend.health import Status, overall


def open_with(tmp_workspace, **env: str):  # noqa: ANN001, ANN201
    return open_workspace(tmp_workspace.root, env=env)


def by_name(checks):  # noqa: ANN001, ANN201
    return {c.name: c for c in checks}


def test_all_healthy_with_real_servers(tmp_workspace, redis_url, postgres_dsn) -> None:  # noqa: ANN001
    with open_with(tmp_workspace, STOREROOM_REDIS_URL=redis_url,
                   STOREROOM_POSTGRES_DSN=postgres_dsn) as ws:
        checks = by_name(ws.health())
    assert checks["redis"].status is Status.OK, checks["redis"].detail
    assert checks["postgres"].status is Status.OK, checks["postgres"].detail
    assert "PostgreSQL" in checks["postgres"].detail
    assert checks["skill files"].status is Status.OK


@pytest.mark.parametrize("fault", ["stop", "hang"])
def test_redis_fault_is_degraded_within_300ms(tmp_workspace, redis_server, redis_url,  # noqa: ANN001
                                              fault: str) -> None:
    with open_with(tmp_workspace, STOREROOM_REDIS_URL=redis_url) as ws:
        ws.health()  # warm imports so the timing below is the check itself
        getattr(redis_server, fault)()
        try:
            start = time.perf_counter()
            checks = by_name(ws.health())
            elapsed = time.perf_counter() - start
        finally:
            redis_server.ensure_ready()
    assert checks["redis"].status is Status.DEGRADED
    assert "memory and disk" in checks["redis"].detail
    assert elapsed < 0.3, elapsed
    # Redis is optional: the workspace as a whole is degraded, not down.
    assert overall(list(checks.values())) is Status.DEGRADED


@pytest.mark.parametrize("fault", ["stop", "hang"])
def test_postgres_fault_is_down_within_300ms(tmp_workspace, postgres_server, postgres_dsn,  # noqa: ANN001
                                             fault: str) -> None:
    with open_with(tmp_workspace, STOREROOM_POSTGRES_DSN=postgres_dsn,
                   STOREROOM_LOGS_BACKEND="postgres") as ws:
        ws.health()
        getattr(postgres_server, fault)()
        try:
            start = time.perf_counter()
            checks = by_name(ws.health())
            elapsed = time.perf_counter() - start
        finally:
            postgres_server.ensure_ready()
    assert checks["postgres"].status is Status.DOWN
    assert elapsed < 0.3, elapsed
    assert overall(list(checks.values())) is Status.DOWN


def test_unresolvable_and_refusing_hosts_are_quick(tmp_workspace) -> None:  # noqa: ANN001
    with open_with(tmp_workspace, STOREROOM_REDIS_URL="redis://127.0.0.1:1/0",
                   STOREROOM_POSTGRES_DSN="postgresql://u:pw@127.0.0.1:1/db") as ws:
        start = time.perf_counter()
        checks = by_name(ws.health())
        elapsed = time.perf_counter() - start
    assert checks["redis"].status is Status.DEGRADED
    assert checks["postgres"].status is Status.DOWN
    assert ":pw@" not in checks["postgres"].detail
    assert "postgresql://u:***@127.0.0.1:1/db" in checks["postgres"].detail
    assert elapsed < 0.3


def test_missing_skills_folder_is_down(tmp_workspace) -> None:  # noqa: ANN001
    (tmp_workspace.root / "skills").rmdir()
    checks = by_name(tmp_workspace.health())
    assert checks["skill files"].status is Status.DOWN
    assert "storeroom init" in checks["skill files"].detail


def test_a_probe_that_misses_the_budget_gets_its_silent_status() -> None:
    from backend.health import HealthProbe, run_checks

    def slow() -> tuple[Status, str, dict[str, object]]:
        time.sleep(0.5)
        return Status.OK, "too late", {}

    start = time.perf_counter()
    db, cache = run_checks([
        HealthProbe("db", slow),
        HealthProbe("cache", slow, required=False, when_silent=Status.DEGRADED,
                    silent_note="; serving from memory and disk"),
    ], budget=0.1)
    assert time.perf_counter() - start < 0.3
    assert db.status is Status.DOWN and db.latency_ms is None
    assert cache.status is Status.DEGRADED and "memory and disk" in cache.detail


@pytest.mark.parametrize(("seconds", "text"), [
    (0.2, "under a second"), (1, "1 s"), (12.4, "12 s"), (59.6, "1 min"), (250, "4 min 10 s"),
    (3600, "1 h"), (7500, "2 h 5 min"),
])
def test_human_seconds(seconds: float, text: str) -> None:
    from backend.humanize import human_seconds

    assert human_seconds(seconds) == text

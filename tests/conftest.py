"""Shared pytest configuration and fixtures for storeroom's tests.

Sections (add new fixtures to the matching one, or a new section at the end):

* **CI policy** – with ``CI=true`` in the environment a skipped test is a failure, so
  a machine that silently lacks redis-server or PostgreSQL cannot pass CI.
* **Markers** – tests using the server fixtures get the ``redis`` / ``postgres``
  markers automatically (``pytest -m "not postgres"``).
* **Throwaway servers** – ``redis_server`` / ``postgres_server`` (session: one per
  pytest-xdist worker) and the self-healing per-test ``redis_url`` / ``postgres_dsn``.
  The machine's own Redis (6379) and PostgreSQL (5432) are never used.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Generator, Iterator

import pytest
from services import PostgresServer, RedisServer, ServerUnavailable

# --------------------------------------------------------------------------- CI policy


def _skips_forbidden() -> bool:
    """True on CI (``CI=true``), where every skip counts as a failure."""
    return os.environ.get("CI", "").strip().lower() == "true"


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _fail_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    report.longrepr = (
        f"skipped under CI=true, which forbids skips: {_skip_reason(report)}\n"
        "Install what the reason names in .ci/run (or the CI image) so the test runs."
    )
    report.outcome = "failed"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Under ``CI=true`` turn a skipped test (any phase) into a failure with its reason."""
    report: pytest.TestReport = yield
    if _skips_forbidden() and report.skipped and not hasattr(report, "wasxfail"):
        _fail_skip(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """Under ``CI=true`` a module skipped at collection (``importorskip``...) fails too."""
    report: pytest.CollectReport = yield
    if _skips_forbidden() and report.skipped:
        _fail_skip(report)
    return report


# --------------------------------------------------------------------------- markers

_SERVER_MARKERS = {
    "redis": {"redis_server", "redis_url"},
    "postgres": {"postgres_server", "postgres_dsn"},
}


def pytest_configure(config: pytest.Config) -> None:
    """Register the server markers (pyproject.toml does too; this keeps conftest standalone)."""
    known = {line.split(":", 1)[0].strip() for line in config.getini("markers")}
    for marker in _SERVER_MARKERS.keys() - known:
        config.addinivalue_line("markers", f"{marker}: uses the throwaway {marker} server")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests by the throwaway servers they use, for ``-m`` selection."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for marker, fixtures in _SERVER_MARKERS.items():
            if used & fixtures:
                item.add_marker(marker)


# --------------------------------------------------------------------------- throwaway servers


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A throwaway redis-server for the whole session (per xdist worker).

    Skips (a failure under ``CI=true``) when redis-server is not installed.  Tests may
    stop, kill, hang or restart it; ``redis_url`` heals it before the next test.
    """
    try:
        server = RedisServer()
    except ServerUnavailable as exc:
        pytest.skip(str(exc))
    with server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """URL of the session's Redis, running, responsive and empty (FLUSHALL) for this test."""
    redis_server.ensure_ready()
    redis_server.flush_all()
    yield redis_server.url
    redis_server.ensure_ready()  # leave a usable server behind even if the test broke it


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL cluster for the whole session (per xdist worker).

    initdb costs about half a second, hence session scope.  Skips (a failure under
    ``CI=true``) when initdb/pg_ctl are not installed.  Tests may stop, kill, hang or
    restart it; ``postgres_dsn`` heals it before the next test.
    """
    try:
        server = PostgresServer()
    except ServerUnavailable as exc:
        pytest.skip(str(exc))
    with server:
        yield server


def _database_name(test_name: str) -> str:
    """A unique, valid (<= 63 bytes) database name derived from the test's name."""
    slug = re.sub(r"[^a-z0-9]+", "_", test_name.lower()).strip("_")[:40]
    return f"t_{slug}_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def postgres_dsn(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """DSN of a fresh database for this test, dropped afterwards.

    The session's server is resumed or restarted first if an earlier test left it
    hung or stopped, and again before the drop if this test did.
    """
    postgres_server.ensure_ready()
    name = _database_name(request.node.name)
    dsn = postgres_server.create_database(name)
    yield dsn
    postgres_server.ensure_ready()
    postgres_server.drop_database(name)


# --------------------------------------------------------------------------- workspaces


@pytest.fixture
def tmp_workspace(tmp_path: os.PathLike[str]) -> Iterator:
    """A fresh, initialised workspace (no servers configured), closed after the test."""
    from backend import init_workspace, open_workspace

    root = init_workspace(os.path.join(tmp_path, "ws"))
    with open_workspace(root, env={}) as ws:
        yield ws

"""The workspace: one folder holding a storeroom's config, files and databases.

``open_workspace(path)`` returns a :class:`Workspace`, the object every concern hangs
its API on (``ws.skills``, ``ws.workflows``, ``ws.logs``, ``ws.metrics``,
``ws.health()``). Concerns are built lazily on first use, so opening a workspace is
cheap and never touches a server.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .audit import AuditLog
from .config import load_settings
from .config.settings import Settings
from .db.sqlite import connect
from .errors import NotFound, StorageError
from .events import EventBus
from .health import HealthCheck, HealthProbe, Status, run_checks
from .humanize import human_bytes
from .paths import WorkspacePaths, resolve_workspace
from .redact import mask_url
from .templates import GITIGNORE, config_template

if TYPE_CHECKING:
    from .logs import LogStore, MetricsStore
    from .skills import SkillStore
    from .workflows import WorkflowStore

log = logging.getLogger(__name__)
T = TypeVar("T")


def _built_once(factory: Callable[[Workspace], T]) -> T:
    """Like ``cached_property``, but safe when two threads ask first at the same time.

    (``cached_property`` lost its lock in Python 3.12; building a concern twice would
    open two index owners or two stores.) The value lives in the instance ``__dict__``
    under the factory's name, so ``ws.__dict__.get(name)`` tells whether it was built.
    """
    name = factory.__name__
    lock = threading.Lock()

    def get(self: Workspace) -> T:
        try:
            return self.__dict__[name]
        except KeyError:
            pass
        with lock:
            if name not in self.__dict__:
                self.__dict__[name] = factory(self)
            return self.__dict__[name]

    return property(get, doc=factory.__doc__)  # type: ignore[return-value]


class Workspace:
    """An opened workspace. Use as a context manager, or call :meth:`close`."""

    def __init__(self, root: Path, settings: Settings | None = None) -> None:
        self.paths = WorkspacePaths(root)
        self.settings = settings if settings is not None else load_settings(self.paths.config)
        self.events = EventBus()
        self._closers: list[Any] = []
        self._lock = threading.RLock()
        self._closed = False

    # -- identity -----------------------------------------------------------------
    @property
    def root(self) -> Path:
        return self.paths.root

    @property
    def name(self) -> str:
        return self.settings.workspace.name or self.root.name

    @cached_property
    def id(self) -> str:
        """Stable id used in the Redis key prefix: configured, or derived from the path."""
        if self.settings.workspace.id:
            return self.settings.workspace.id
        return hashlib.sha256(str(self.root).encode()).hexdigest()[:12]

    @property
    def redis_prefix(self) -> str:
        """Every Redis key storeroom touches starts with this (``storeroom:<id>:``)."""
        return f"{self.settings.redis.key_prefix}:{self.id}:"

    @property
    def sqlite_path(self) -> Path:
        return self.paths.sqlite(self.settings.logs.sqlite_path)

    # -- shared resources ---------------------------------------------------------
    @_built_once
    def audit(self) -> AuditLog:
        """The audit log in storeroom.db; it owns its connection and closes it safely."""
        conn = connect(self.sqlite_path, busy_timeout=self.settings.logs.busy_timeout)
        return self._track(AuditLog(conn))

    # -- concerns (built on first use) --------------------------------------------
    @_built_once
    def skills(self) -> SkillStore:
        from .skills import open_skill_store

        return self._track(open_skill_store(self))

    @_built_once
    def workflows(self) -> WorkflowStore:
        from .workflows import open_workflow_store

        return self._track(open_workflow_store(self))

    @_built_once
    def logs(self) -> LogStore:
        from .logs import open_log_store

        return self._track(open_log_store(self))

    @_built_once
    def metrics(self) -> MetricsStore:
        from .logs import open_metrics_store

        return self._track(open_metrics_store(self))

    @_built_once
    def search(self) -> Any:
        """The live skill index (``backend.search.SkillIndex``); starts in the background."""
        from .search import open_index

        return self._track(open_index(self))

    def _track(self, resource: Any) -> Any:
        with self._lock:
            self._closers.append(resource)
        return resource

    # -- health -------------------------------------------------------------------
    def health_probes(self) -> list[HealthProbe]:
        """The checks ``health()`` runs: files, SQLite, and each configured server."""
        probes = [
            HealthProbe("skill files", self._check_skill_files),
            HealthProbe("sqlite", self._check_sqlite),
        ]
        if self.settings.redis.url:
            probes.append(HealthProbe("redis", self._check_redis, required=False,
                                      when_silent=Status.DEGRADED,
                                      silent_note="; serving from memory and disk"))
        probes.append(HealthProbe("skill index", self._check_index, required=False))
        if self.settings.postgres.dsn:
            probes.append(HealthProbe("postgres", self._check_postgres,
                                      required=self.settings.logs.backend == "postgres"))
        return probes

    def health(self, budget: float = 0.3) -> list[HealthCheck]:
        """Check every backend concurrently; each answers within ``budget`` seconds."""
        return run_checks(self.health_probes(), budget=budget)

    def _check_skill_files(self) -> tuple[Status, str, dict[str, object]]:
        folder = self.paths.skills
        if not folder.is_dir():
            return Status.DOWN, f"{folder} is missing (run `storeroom init`)", {}
        count = size = 0
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.endswith(".json") and entry.is_file():
                    count += 1
                    size += entry.stat().st_size
        if not os.access(folder, os.W_OK):
            return Status.DEGRADED, f"{count} skills, folder is read-only", {"count": count, "bytes": size}
        return Status.OK, f"{count} skills, {human_bytes(size)}", {"count": count, "bytes": size}

    def _check_sqlite(self) -> tuple[Status, str, dict[str, object]]:
        path = self.sqlite_path
        if not path.exists():
            return Status.OK, f"{path.name} not created yet (made on first write)", {"bytes": 0}
        conn = connect(path, busy_timeout=0.2, readonly=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        finally:
            conn.close()
        size = path.stat().st_size
        wal = path.with_name(path.name + "-wal")
        size += wal.stat().st_size if wal.exists() else 0
        return Status.OK, f"{path.name}, {human_bytes(size)}, journal {mode}", {"bytes": size}

    def _check_redis(self) -> tuple[Status, str, dict[str, object]]:
        from .redis_client import make_redis

        cfg = self.settings.redis
        client = make_redis(cfg.url or "", connect_timeout=min(cfg.connect_timeout, 0.25),
                            read_timeout=min(cfg.read_timeout, 0.25), max_connections=1)
        try:
            t0 = time.perf_counter()
            client.ping()
            rtt = (time.perf_counter() - t0) * 1000
            info = client.info("memory")
            used = info.get("used_memory_human", "?")
        except Exception as exc:  # noqa: BLE001 - redis raises many connection error types
            # Redis is an optional cache: without it we run from memory and disk.
            return Status.DEGRADED, f"{mask_url(cfg.url)} unreachable ({_short(exc)}); serving from memory and disk", {}
        finally:
            client.close()
        return Status.OK, f"{mask_url(cfg.url)}, ping {rtt:.1f} ms, {used} used", {"ping_ms": rtt}

    def _check_postgres(self) -> tuple[Status, str, dict[str, object]]:
        from .pg import connect as pg_connect

        cfg = self.settings.postgres
        conn = pg_connect(cfg.dsn or "", timeout=min(cfg.connect_timeout, 0.25),
                          statement_timeout=0.2, autocommit=True)
        try:
            version = conn.execute("SHOW server_version").fetchone()[0]
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        finally:
            conn.close()
        return Status.OK, f"{mask_url(cfg.dsn)}, PostgreSQL {version}, {human_bytes(size)}", {"bytes": size}

    def _check_index(self) -> tuple[Status, str, dict[str, object]]:
        try:
            from .search import index_health
        except ImportError:
            return Status.DEGRADED, "semantic search is not part of this build yet", {}
        return index_health(self)

    # -- lifecycle ----------------------------------------------------------------
    def close(self) -> None:
        """Close every concern that was opened (newest first); safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            closers, self._closers = self._closers[::-1], []
        for resource in closers:
            try:
                resource.close()
            except Exception:  # noqa: BLE001 - closing must go on for the others
                log.exception("closing %r failed", resource)

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


def init_workspace(path: str | os.PathLike[str]) -> Path:
    """Create the workspace layout at ``path``; existing files are never overwritten."""
    paths = WorkspacePaths(Path(path).expanduser().resolve())
    for folder in (paths.root, paths.skills, paths.workflows, paths.archive, paths.state,
                   paths.log_dir):
        folder.mkdir(parents=True, exist_ok=True)
    if not paths.config.exists():
        paths.config.write_text(config_template(), encoding="utf-8")
    gitignore = paths.root / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(GITIGNORE, encoding="utf-8")
    return paths.root


def open_workspace(path: str | os.PathLike[str] | None = None, *, create: bool = False,
                   env: dict[str, str] | None = None) -> Workspace:
    """Open the workspace at ``path`` (resolved like the CLI's ``--workspace`` if None).

    Raises :class:`NotFound` if the folder is not a workspace and ``create`` is False,
    and :class:`~backend.errors.ConfigError` if storeroom.yaml is invalid.
    """
    root = resolve_workspace(path, env=env)
    paths = WorkspacePaths(root)
    if create:
        init_workspace(root)
    elif not paths.config.is_file() and not paths.skills.is_dir():
        raise NotFound("workspace", str(root),
                       hint=f"Create it with `storeroom init {root}`, or pass --workspace DIR.")
    settings = load_settings(paths.config, env=env)
    return Workspace(root, settings)


__all__ = ["Workspace", "init_workspace", "open_workspace", "StorageError"]

"""The one settings model: every key of storeroom.yaml, its type, default and meaning.

Every field is optional. ``doc`` metadata is the documentation shown by
``storeroom config show --docs`` and in the README; keep it to one sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


def setting(default: Any, doc: str, **rules: Any) -> Any:
    """A dataclass field with its one-line documentation (and validation rules) attached."""
    return field(default=default, metadata={"doc": doc, **rules})


def section(cls: type, doc: str) -> Any:
    """A nested settings section, defaulting to all of its own defaults."""
    return field(default_factory=cls, metadata={"doc": doc})


class Duration(float):
    """Seconds, written in YAML as ``250ms``, ``30s``, ``5m``, ``12h``, ``7d`` or a number."""


class Url(str):
    """A server URL or DSN; the allowed schemes are given per field."""


class ByteSize(int):
    """A size in bytes, written as ``1048576``, ``512KiB``, ``1MiB``, ``2GB``..."""


@dataclass(frozen=True)
class WorkspaceSettings:
    id: str | None = setting(None, "Stable id of this workspace (Redis key prefix); default: derived from its path.")
    name: str | None = setting(None, "Display name in the TUI header; default: the folder name.")


@dataclass(frozen=True)
class SkillSettings:
    max_file_bytes: ByteSize = setting(ByteSize(1024 * 1024), "Largest skill file accepted; bigger files are listed as invalid.")
    memory_max_entries: int = setting(4096, "Memory tier capacity in skills (LRU).", min=0)
    memory_max_bytes: ByteSize = setting(ByteSize(64 * 1024 * 1024), "Memory tier capacity in bytes (LRU).")


@dataclass(frozen=True)
class RedisSettings:
    url: Url | None = setting(None, "Redis server for the cache tier; unset: no Redis, memory and disk only.",
                              schemes=("redis", "rediss", "unix"))
    ttl: Duration = setting(Duration(7 * 86400), "Expiry of cached skills in Redis.")
    connect_timeout: Duration = setting(Duration(0.1), "TCP connect timeout; keep it small so a dead Redis costs little.")
    read_timeout: Duration = setting(Duration(0.1), "Socket read timeout for every Redis command.")
    key_prefix: str = setting("storeroom", "First part of every key; keys are <prefix>:<workspace-id>:...")


@dataclass(frozen=True)
class PostgresSettings:
    dsn: Url | None = setting(None, "PostgreSQL server for logs and metrics; unset: none configured.",
                              schemes=("postgresql", "postgres"))
    connect_timeout: Duration = setting(Duration(0.25), "Time allowed to reach the server and get an answer.")
    statement_timeout: Duration = setting(Duration(30), "Server-side limit for one statement.")
    pool_size: int = setting(4, "Connections kept in the pool.", min=1)


@dataclass(frozen=True)
class QdrantSettings:
    url: Url | None = setting(None, "Qdrant server for the skill index; unset: the embedded engine under .storeroom/index/.",
                              schemes=("http", "https", "memory", "path"))
    collection: str = setting("skills", "Collection name for skill vectors.")
    timeout: Duration = setting(Duration(2), "Request timeout against a Qdrant server.")


@dataclass(frozen=True)
class IndexSettings:
    embedder: Literal["minilm", "lexical"] = setting("minilm", "Semantic model (all-MiniLM-L6-v2) or the lexical BM25 fallback.")
    watch: bool = setting(True, "Re-index live when files in skills/ change.")
    debounce: Duration = setting(Duration(0.01), "How long a burst of file changes is coalesced.")


@dataclass(frozen=True)
class RetentionSettings:
    max_age: Duration | None = setting(None, "Delete runs older than this (archived first); unset: keep forever.")
    max_count: int | None = setting(None, "Keep at most this many runs per workflow; unset: no limit.", min=1)
    keep_failures_for: Duration | None = setting(None, "Failed runs are kept at least this long.")


@dataclass(frozen=True)
class LogsSettings:
    backend: Literal["sqlite", "postgres"] = setting("sqlite", "Where logs and metrics live.")
    sqlite_path: str = setting("storeroom.db", "SQLite database file, relative to the workspace.")
    busy_timeout: Duration = setting(Duration(5), "How long SQLite waits on a lock held by another process.")
    retention: RetentionSettings = section(RetentionSettings, "Retention rules (applied on demand or from the Logs screen).")


@dataclass(frozen=True)
class UiSettings:
    refresh_interval: Duration = setting(Duration(5), "How often the Dashboard refreshes health.")
    theme: str = setting("textual-dark", "Textual theme name.")


@dataclass(frozen=True)
class LoggingSettings:
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = setting("INFO", "Level of the workspace log file.")


@dataclass(frozen=True)
class Settings:
    """Everything storeroom.yaml can say; the defaults need no server at all."""

    workspace: WorkspaceSettings = section(WorkspaceSettings, "About this workspace.")
    skills: SkillSettings = section(SkillSettings, "Skill files and the memory tier.")
    redis: RedisSettings = section(RedisSettings, "The optional Redis cache tier.")
    postgres: PostgresSettings = section(PostgresSettings, "The optional PostgreSQL server.")
    qdrant: QdrantSettings = section(QdrantSettings, "The skill index.")
    index: IndexSettings = section(IndexSettings, "Semantic search and the folder watcher.")
    logs: LogsSettings = section(LogsSettings, "Execution logs and metrics.")
    ui: UiSettings = section(UiSettings, "The terminal UI.")
    logging: LoggingSettings = section(LoggingSettings, "storeroom's own log file.")


# Environment variables that override one key each, after the file is read.
ENV_OVERRIDES: dict[str, tuple[str, ...]] = {
    "STOREROOM_REDIS_URL": ("redis", "url"),
    "STOREROOM_POSTGRES_DSN": ("postgres", "dsn"),
    "STOREROOM_QDRANT_URL": ("qdrant", "url"),
    "STOREROOM_LOGS_BACKEND": ("logs", "backend"),
}

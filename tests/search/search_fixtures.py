"""Fixtures for the skill-search tests: workspaces, skill files, polling with deadlines."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.config.settings import IndexSettings, QdrantSettings, Settings
from backend.events import Event
from backend.skills import Skill
from backend.workspace import Workspace, init_workspace

SKILLS = [
    ("inspect-sql-schema", "Inspect SQL schema",
     "Lists the tables, columns, indexes and foreign keys of a PostgreSQL or SQLite database.", ["sql", "database"]),
    ("resize-image", "Resize image",
     "Scales a picture to a maximum width and height keeping its aspect ratio.", ["images"]),
    ("post-slack-message", "Post Slack message",
     "Posts a formatted message to a Slack channel through an incoming webhook.", ["chat", "notifications"]),
    ("check-tls-expiry", "Check TLS certificate expiry",
     "Reads a host's X.509 certificate and reports how many days remain before it expires.", ["web", "security"]),
    ("backup-postgres", "Back up PostgreSQL",
     "Dumps a PostgreSQL database with pg_dump and uploads the archive to object storage.", ["database", "backup"]),
]


def skill_bytes(ident: str, name: str, description: str = "", tags: list[str] | None = None) -> bytes:
    """Canonical file bytes, as the skills store writes them."""
    return Skill(id=ident, name=name, description=description, tags=tuple(tags or ()), version=1).to_bytes()


def write_atomic(folder: Path, ident: str, data: bytes) -> Path:
    """Write a temp file and rename it over the target (what the skills store does)."""
    tmp = folder / f".{ident}.json.tmp-{os.getpid()}-test"
    tmp.write_bytes(data)
    os.replace(tmp, folder / f"{ident}.json")
    return folder / f"{ident}.json"


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.01)


def make_settings(embedder: str = "lexical", url: str | None = None, watch: bool = True) -> Settings:
    return dataclasses.replace(Settings(), index=IndexSettings(embedder=embedder, watch=watch),
                               qdrant=QdrantSettings(url=url))


@pytest.fixture
def ws_root(tmp_path: Path) -> Path:
    """A fresh workspace folder with the sample skills written."""
    root = init_workspace(tmp_path / "ws")
    for ident, name, desc, tags in SKILLS:
        (root / "skills" / f"{ident}.json").write_bytes(skill_bytes(ident, name, desc, tags))
    return root


class Opened:
    """A workspace plus a record of its events (for asserting notices)."""

    def __init__(self, root: Path, settings: Settings) -> None:
        self.ws = Workspace(root, settings)
        self.events: list[Event] = []
        self.ws.events.subscribe(self.events.append)

    def kinds(self, kind: str) -> list[Event]:
        return [e for e in list(self.events) if e.kind == kind]

    def top(self, query: str, **kw: Any) -> str | None:
        hits = self.ws.search.search(query, **kw)
        return hits[0].id if hits else None

    def ids(self, query: str, **kw: Any) -> list[str]:
        return [h.id for h in self.ws.search.search(query, **kw)]


@pytest.fixture
def open_ws(ws_root: Path) -> Iterator[Callable[..., Opened]]:
    """Open workspaces on ``ws_root`` (closed at the end): ``open_ws(embedder=..., url=...)``."""
    opened: list[Opened] = []

    def make(embedder: str = "lexical", url: str | None = None, watch: bool = True,
             root: Path | None = None) -> Opened:
        item = Opened(root or ws_root, make_settings(embedder, url, watch))
        opened.append(item)
        return item

    yield make
    for item in opened:
        item.ws.close()

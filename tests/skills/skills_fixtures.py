"""Fixtures for the skills tests: workspaces with and without Redis, and tier scenarios.

``scenario`` is parametrised over the tier set-ups of the contract suite; each test
calls ``scenario.disrupt()`` mid-run, which does what the set-up's name says.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from services import RedisServer

from backend import open_workspace
from backend.skills import Skill
from backend.workspace import Workspace


def make_workspace(root: Path, redis_url: str | None = None, **skills: object) -> Workspace:
    """A workspace at ``root`` (its own Redis prefix), optionally with Redis."""
    root.mkdir(parents=True, exist_ok=True)
    lines = ["workspace:", f"  id: t{uuid.uuid4().hex[:10]}"]
    if redis_url:
        lines += ["redis:", f"  url: {redis_url}"]
    if skills:
        lines += ["skills:"] + [f"  {k}: {v}" for k, v in skills.items()]
    config = root / "storeroom.yaml"
    if not config.exists():
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return open_workspace(root, create=True, env={})


def sample(ident: str = "fetch-url", **changes: object) -> Skill:
    base = Skill(id=ident, name=f"Skill {ident}", description="does a thing", tags=("web", "http"),
                 code="def run():\n    return 1\n", extra={"author": "ann", "inputs": {"url": "str"}})
    return base.evolve(**changes) if changes else base


@dataclass
class Scenario:
    name: str
    root: Path
    server: RedisServer | None
    url: str | None
    workspaces: list[Workspace] = field(default_factory=list)
    disrupt_fn: Callable[[Scenario], None] = lambda s: None

    def open(self) -> Workspace:
        """A (new) workspace object on the same folder: fresh memory tier."""
        ws = make_workspace(self.root, self.url)
        self.workspaces.append(ws)
        return ws

    def disrupt(self) -> None:
        self.disrupt_fn(self)

    def close(self) -> None:
        for ws in self.workspaces:
            ws.close()


def _flush_all(s: Scenario) -> None:
    for ws in s.workspaces:
        ws.skills.flush(2.0)


DISRUPTIONS: dict[str, Callable[[Scenario], None]] = {
    "memory-only": lambda s: None,
    "memory+redis": lambda s: None,
    "redis-killed": lambda s: s.server.kill(),  # type: ignore[union-attr]
    "redis-hung": lambda s: s.server.hang(),  # type: ignore[union-attr]
    "redis-restarted-empty": lambda s: (_flush_all(s), s.server.restart(keep_data=False)),  # type: ignore[union-attr]
    "redis-restarted-stale": lambda s: (_flush_all(s), s.server.restart(keep_data=True)),  # type: ignore[union-attr]
}


@pytest.fixture(params=list(DISRUPTIONS))
def scenario(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Scenario]:
    name = request.param
    server = url = None
    if name != "memory-only":
        url = request.getfixturevalue("redis_url")
        server = request.getfixturevalue("redis_server")
    s = Scenario(name, tmp_path / "ws", server, url, disrupt_fn=DISRUPTIONS[name])
    yield s
    if server is not None and server.is_hung:
        server.resume()
    s.close()


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    """A memory+disk workspace (no Redis)."""
    w = make_workspace(tmp_path / "ws")
    yield w
    w.close()


@pytest.fixture
def rws(tmp_path: Path, redis_url: str) -> Iterator[Workspace]:
    """A workspace with the throwaway Redis."""
    w = make_workspace(tmp_path / "rws", redis_url)
    yield w
    w.close()

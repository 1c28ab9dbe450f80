"""Where a workspace lives and where each of its parts goes."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

CONFIG_NAME = "storeroom.yaml"
WORKSPACE_ENV = "STOREROOM_WORKSPACE"


@dataclass(frozen=True)
class WorkspacePaths:
    """Every path of one workspace, derived from its root."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def skills(self) -> Path:
        return self.root / "skills"

    @property
    def workflows(self) -> Path:
        return self.root / "workflows"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def state(self) -> Path:
        """Derived state only (index, caches, logs): safe to delete."""
        return self.root / ".storeroom"

    @property
    def index(self) -> Path:
        return self.state / "index"

    @property
    def log_dir(self) -> Path:
        return self.state / "logs"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "storeroom.log"

    def sqlite(self, relative: str = "storeroom.db") -> Path:
        path = Path(relative).expanduser()
        return path if path.is_absolute() else self.root / path


def default_data_dir() -> Path:
    """The platform's per-user data folder (used when nothing else names a workspace)."""
    from platformdirs import user_data_path

    return user_data_path("storeroom", appauthor=False)


def resolve_workspace(explicit: str | os.PathLike[str] | None = None,
                      env: Mapping[str, str] | None = None,
                      cwd: Path | None = None) -> Path:
    """``--workspace`` > ``$STOREROOM_WORKSPACE`` > cwd with storeroom.yaml > the data dir."""
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit).expanduser().resolve()
    if env.get(WORKSPACE_ENV):
        return Path(env[WORKSPACE_ENV]).expanduser().resolve()
    here = (cwd or Path.cwd()).resolve()
    if (here / CONFIG_NAME).is_file():
        return here
    return default_data_dir().resolve()

"""storeroom's headless backend: storage logic with no Textual import anywhere.

>>> from backend import open_workspace
>>> with open_workspace("demo-workspace") as ws:
...     ws.health()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .workspace import Workspace, init_workspace, open_workspace

__all__ = ["Workspace", "init_workspace", "open_workspace", "__version__"]


def __getattr__(name: str) -> Any:
    # Lazy, so `storeroom --version` and the TUI's first paint stay cheap.
    if name in ("Workspace", "init_workspace", "open_workspace"):
        from . import workspace

        return getattr(workspace, name)
    raise AttributeError(f"module 'backend' has no attribute {name!r}")

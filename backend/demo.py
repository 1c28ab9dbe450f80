"""Build the demo workspace from ``sample-data/`` (skills, workflows, generated runs).

The workspace is built in a sibling temp folder and renamed into place at the end, so
an interrupted build never leaves a half demo behind; an existing one is reused.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from .paths import WorkspacePaths
from .safe_yaml import load_yaml
from .workspace import Workspace, init_workspace, open_workspace

SAMPLE_DATA = Path(__file__).resolve().parent.parent / "sample-data"
Progress = Callable[[str], None]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("storeroom_sample_runs",
                                                  SAMPLE_DATA / "generate_runs.py")
    if spec is None or spec.loader is None:  # pragma: no cover - sample-data missing
        raise FileNotFoundError(SAMPLE_DATA / "generate_runs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sample_workflows() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(workflow id, versions) from sample-data/workflows/*.yaml."""
    for path in sorted((SAMPLE_DATA / "workflows").glob("*.yaml")):
        doc = load_yaml(path.read_bytes(), where=str(path))
        yield doc["id"], doc["versions"]


def build_demo(root: Path, *, runs: int = 5000, progress: Progress = lambda _: None) -> str:
    """Create the demo workspace at ``root`` unless it exists; returns a one-line report."""
    if WorkspacePaths(root).config.exists():
        return f"reusing the demo workspace at {root}"
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.building-", dir=root.parent))
    try:
        started = time.perf_counter()
        init_workspace(staging)
        with open_workspace(staging) as ws:
            counts = populate(ws, runs=runs, progress=progress)
        staging.rename(root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    took = time.perf_counter() - started
    return (f"demo workspace ready at {root}: {counts['skills']} skills, "
            f"{counts['workflows']} workflows ({counts['versions']} versions), "
            f"{counts['runs']} runs in {took:.1f} s")


def populate(ws: Workspace, *, runs: int, progress: Progress) -> dict[str, int]:
    """Load sample skills and workflows into ``ws`` and generate ``runs`` execution runs."""
    progress("importing skills…")
    report = ws.skills.import_folder(SAMPLE_DATA / "skills")
    counts = {"skills": report.imported}
    progress("storing workflow versions…")
    workflows = versions = 0
    for workflow_id, history in sample_workflows():
        workflows += 1
        for version in history:
            ws.workflows.store(workflow_id, version["definition"], parent=version.get("parent"),
                               message=version.get("message", ""),
                               author=version.get("author"))
            versions += 1
    counts.update(workflows=workflows, versions=versions)
    progress(f"generating {runs} runs…")
    generator = _generator()
    batch: list[dict[str, Any]] = []
    for run in generator.generate_runs(runs):
        batch.append(run)
        if len(batch) == 5000:
            ws.logs.store_logs(batch)
            batch.clear()
    if batch:
        ws.logs.store_logs(batch)
    counts["runs"] = runs
    return counts

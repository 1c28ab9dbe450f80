"""TUI test helpers: a deterministic App over a workspace built from sample-data."""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from backend import init_workspace, open_workspace
from backend.health import HealthCheck
from screens.dashboard import DashboardScreen
from tui.app import StoreroomApp

SAMPLE_SKILLS = Path(__file__).resolve().parents[2] / "sample-data" / "skills"


class StableDashboard(DashboardScreen):
    """The Dashboard with run-to-run noise (latencies, ports, clock) made constant."""

    # A loaded machine must not turn a local check into "no answer within 300 ms"; a
    # stopped Redis is refused at once either way.
    health_budget = 5.0

    def format_latency(self, check: HealthCheck) -> str:
        return "— ms" if check.latency_ms is None else "n ms"

    def format_detail(self, check: HealthCheck) -> str:
        detail = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", check.detail)
        detail = re.sub(r"ping [\d.]+ ms", "ping n ms", detail)
        detail = re.sub(r"[\d.]+[KMG]?B? used", "n used", detail)
        return detail

    def now(self) -> datetime:
        return datetime(2026, 11, 22, 9, 30, 0)


def stable_app(ws) -> StoreroomApp:  # noqa: ANN001
    """A StoreroomApp whose dashboard and header do not change between runs."""

    class StableApp(StoreroomApp):
        MODES = {**StoreroomApp.MODES, "dashboard": StableDashboard}

        def on_mount(self) -> None:
            self.sub_title = ws.name

        def start_background_services(self) -> None:
            pass  # the index's state line says "last event 3s ago": not snapshot material

    return StableApp(ws)


@pytest.fixture
def demo_root(tmp_path: Path) -> Path:
    """A workspace named 'demo' holding the sample skills as plain files."""
    root = init_workspace(tmp_path / "demo")
    # Lexical index: the model is exercised in tests/search; here it would only add seconds.
    (root / "storeroom.yaml").write_text(
        "workspace:\n  name: demo\nui:\n  refresh_interval: 1h\nindex:\n  embedder: lexical\n")
    for src in sorted(SAMPLE_SKILLS.glob("*.json")):
        shutil.copyfile(src, root / "skills" / src.name)
    return root


def open_demo(root: Path, **env: str):  # noqa: ANN201
    return open_workspace(root, env=env)

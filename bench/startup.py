"""Startup speed: `storeroom --version`, `--help`, and the TUI's first paint.

Prints JSON: best and median of N runs for each, beside floors measured in the same
run (a bare interpreter; a minimal Textual app reaching its first paint). The first
paint is the App's ``Ready`` event (first screen composed and drawn), headless, on the
demo workspace (built first if missing).

    .venv/bin/python bench/startup.py [--runs 15] [--workspace demo-workspace]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

FIRST_PAINT = """
import sys, time
from backend import open_workspace
from tui.app import StoreroomApp
class Bench(StoreroomApp):
    def on_ready(self):
        print("READY", flush=True)
        self.exit()
with open_workspace(sys.argv[1]) as ws:
    Bench(ws).run(headless=True, size=(140, 42))
"""

MINIMAL_APP = """
from textual.app import App
from textual.widgets import Static, Header, Footer
class Minimal(App):
    def compose(self):
        yield Header(); yield Static("hello"); yield Footer()
    def on_ready(self):
        print("READY", flush=True)
        self.exit()
Minimal().run(headless=True, size=(140, 42))
"""


def timed(cmd: list[str], expect: str | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    if expect:
        for line in proc.stdout:  # type: ignore[union-attr]
            if expect in line:
                elapsed = time.perf_counter() - start
                break
        else:
            raise SystemExit(f"{cmd} ended without {expect!r}: {proc.stderr.read()}")  # type: ignore[union-attr]
        proc.wait()
        return elapsed
    proc.communicate()
    if proc.returncode:
        raise SystemExit(f"{cmd} failed")
    return time.perf_counter() - start


def measure(cmd: list[str], runs: int, expect: str | None = None) -> dict[str, float]:
    timed(cmd, expect)  # warm the page cache once
    samples = [timed(cmd, expect) for _ in range(runs)]
    return {"best_s": round(min(samples), 4), "median_s": round(statistics.median(samples), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--workspace", default=str(ROOT / "demo-workspace"))
    args = parser.parse_args()
    ws = Path(args.workspace)
    if not (ws / "storeroom.yaml").exists():
        subprocess.run([PY, "-m", "tui.cli", "demo", str(ws), "--no-ui"], check=True, cwd=ROOT)
    storeroom = [PY, "-m", "tui.cli"]
    result = {
        "runs": args.runs,
        "floor_python": measure([PY, "-c", "pass"], args.runs),
        "version": measure([*storeroom, "--version"], args.runs),
        "help": measure([*storeroom, "--help"], args.runs),
        "floor_minimal_textual_first_paint": measure([PY, "-c", MINIMAL_APP], args.runs, "READY"),
        "tui_first_paint": measure([PY, "-c", FIRST_PAINT, str(ws)], args.runs, "READY"),
        "target_first_paint_s": 0.5,
        "peer_harlequin_first_paint_s": 0.75,
    }
    paint = result["tui_first_paint"]["median_s"]
    result["first_paint_vs_minimal_textual"] = round(
        paint / result["floor_minimal_textual_first_paint"]["median_s"], 2)
    result["meets_target"] = paint <= 0.5
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

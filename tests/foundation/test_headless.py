"""The backend is a headless library: importing any of it never loads Textual."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_every_backend_module_imports_without_textual() -> None:
    result = run_python("""
        import importlib, pkgutil, sys
        import backend
        names = [m.name for m in pkgutil.walk_packages(backend.__path__, "backend.")]
        for name in names:
            importlib.import_module(name)
        loaded = sorted(k for k in sys.modules if k == "textual" or k.startswith("textual."))
        print(len(names), loaded)
        assert not loaded, loaded
    """)
    assert result.returncode == 0, result.stderr
    count = int(result.stdout.split()[0])
    assert count >= 10  # the walk really found the backend's modules


def test_version_and_help_do_not_import_textual() -> None:
    for flag in ("--version", "--help"):
        result = run_python(f"""
            import sys
            from tui.cli import main
            try:
                main([{flag!r}])
            except SystemExit as exit:
                assert exit.code in (0, None), exit.code
            bad = [k for k in sys.modules if k.split(".")[0] in ("textual", "redis", "psycopg", "qdrant_client", "numpy")]
            assert not bad, bad
        """)
        assert result.returncode == 0, result.stderr

"""storeroom.yaml edits: comments kept in block style; flow style falls back without losing keys."""

from __future__ import annotations

from pathlib import Path

from backend.migrate.yamledit import edit_config
from backend.safe_yaml import load_yaml


def test_block_style_keeps_comments_and_other_keys(tmp_path: Path) -> None:
    path = tmp_path / "storeroom.yaml"
    path.write_text("# top\nlogs:\n  backend: sqlite   # where logs live\n  busy_timeout: 5s\n"
                    "redis:\n  url: redis://localhost:6390\n")
    path.chmod(0o600)
    edit_config(path, {("logs", "backend"): "postgres", ("postgres", "dsn"): "postgresql://u:p@h/db"})
    text = path.read_text()
    assert "# top" in text and "backend: postgres   # where logs live" in text
    assert load_yaml(text) == {"logs": {"backend": "postgres", "busy_timeout": "5s"},
                               "redis": {"url": "redis://localhost:6390"},
                               "postgres": {"dsn": "postgresql://u:p@h/db"}}
    assert path.stat().st_mode & 0o777 == 0o600  # the mode survives the atomic replace


def test_flow_style_falls_back_to_load_and_dump(tmp_path: Path) -> None:
    path = tmp_path / "storeroom.yaml"
    path.write_text("logs: {backend: sqlite, busy_timeout: 5s}\nui: {theme: nord}\n")
    edit_config(path, {("logs", "backend"): "postgres"})
    assert load_yaml(path.read_text()) == {"logs": {"backend": "postgres", "busy_timeout": "5s"},
                                           "ui": {"theme": "nord"}}

"""The headless CLI: init, locate, config, doctor — exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def storeroom(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], cwd=cwd, env={**base, **(env or {}),
                          "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60)


def test_version() -> None:
    result = storeroom("--version")
    assert result.returncode == 0 and result.stdout.startswith("storeroom ")


def test_init_then_locate_and_doctor(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert storeroom("init", str(ws)).returncode == 0
    assert (ws / "storeroom.yaml").is_file() and (ws / "skills").is_dir() and (ws / "workflows").is_dir()
    located = json.loads(storeroom("-w", str(ws), "locate", "--json").stdout)
    assert located["config"] == str(ws / "storeroom.yaml")
    assert located["log_file"].startswith(str(ws))
    doctor = storeroom("-w", str(ws), "doctor", "--json")
    report = json.loads(doctor.stdout)
    names = {c["name"]: c for c in report["checks"]}
    assert names["skill files"]["status"] == "ok"
    assert names["sqlite"]["status"] == "ok"
    assert "redis" not in names and "postgres" not in names  # not configured
    assert doctor.returncode == 0


def test_init_template_is_valid_and_all_commented(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    storeroom("init", str(ws))
    result = storeroom("-w", str(ws), "config", "validate")
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_workspace_from_env_and_from_cwd(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    storeroom("init", str(ws))
    by_env = json.loads(storeroom("locate", "--json", env={"STOREROOM_WORKSPACE": str(ws)}).stdout)
    assert by_env["workspace"] == str(ws)
    by_cwd = json.loads(storeroom("locate", "--json", cwd=ws).stdout)
    assert by_cwd["workspace"] == str(ws)
    elsewhere = json.loads(storeroom("locate", "--json", cwd=tmp_path,
                                     env={"XDG_DATA_HOME": str(tmp_path / "data")}).stdout)
    assert elsewhere["workspace"] == str(tmp_path / "data" / "storeroom")


def test_config_validate_reports_bad_config_with_exit_2(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    storeroom("init", str(ws))
    (ws / "storeroom.yaml").write_text("logs:\n  backend: oracle\n")
    result = storeroom("-w", str(ws), "config", "validate")
    assert result.returncode == 2
    assert "logs.backend" in result.stderr and "sqlite, postgres" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_show_masks_passwords(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    storeroom("init", str(ws))
    result = storeroom("-w", str(ws), "config", "show", "--json",
                       env={"STOREROOM_POSTGRES_DSN": "postgresql://app:topsecret@db:5432/x"})
    shown = json.loads(result.stdout)
    assert shown["postgres"]["dsn"] == "postgresql://app:***@db:5432/x"
    assert "topsecret" not in result.stdout


def test_not_a_workspace_is_a_clear_error(tmp_path: Path) -> None:
    result = storeroom("-w", str(tmp_path / "nowhere"), "doctor")
    assert result.returncode == 2
    assert "storeroom init" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("fault", ["refused", "hung"])
def test_doctor_reports_a_broken_required_postgres_and_exits_1(
        tmp_path: Path, postgres_server, fault: str) -> None:  # noqa: ANN001
    ws = tmp_path / "ws"
    storeroom("init", str(ws))
    (ws / "storeroom.yaml").write_text(f"logs:\n  backend: postgres\npostgres:\n  dsn: {postgres_server.dsn}\n")
    if fault == "refused":
        postgres_server.stop()
    else:
        postgres_server.hang()
    try:
        result = storeroom("-w", str(ws), "doctor", "--json")
    finally:
        postgres_server.ensure_ready()
    report = json.loads(result.stdout)
    pg = next(c for c in report["checks"] if c["name"] == "postgres")
    assert pg["status"] == "down" and pg["required"] is True
    assert result.returncode == 1

"""storeroom.yaml: interpolation, typed values, unknown keys, YAML bombs, unsafe tags."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from backend.config import load_settings, settings_as_dict, settings_yaml
from backend.config.interpolate import interpolate_string
from backend.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "storeroom.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_gives_all_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "storeroom.yaml", env={})
    assert settings.redis.url is None
    assert settings.redis.ttl == 7 * 86400
    assert settings.logs.backend == "sqlite"
    assert settings.skills.max_file_bytes == 1024 * 1024


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("${A}", {"A": "x"}, "x"),
        ("${A:-d}", {}, "d"),
        ("${A:-d}", {"A": ""}, "d"),  # :- also covers empty
        ("${A-d}", {"A": ""}, ""),  # - only covers unset
        ("${A-d}", {}, "d"),
        ("pre-${A}-mid-${B:-b}-post", {"A": "a"}, "pre-a-mid-b-post"),
        ("${A}${A}", {"A": "z"}, "zz"),
        ("$$HOME and ${A}", {"A": "1"}, "$HOME and 1"),
        ("cost: $5", {}, "cost: $5"),
        ("${A:-}", {}, ""),
        ("${A:-a:b/c}", {}, "a:b/c"),
    ],
)
def test_interpolation_cases(text: str, env: dict[str, str], expected: str) -> None:
    assert interpolate_string(text, env, key="k", file="f") == expected


@pytest.mark.parametrize("text", ["${A", "${}", "${1A}", "${A:-x"])
def test_malformed_references_are_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="malformed"):
        interpolate_string(text, {"A": "1"}, key="redis.url", file="f")


def test_unset_variable_names_key_and_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "redis:\n  url: redis://${REDIS_HOST}:6379/0\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path, env={})
    message = str(err.value)
    assert str(path) in message and "redis.url" in message and "REDIS_HOST" in message


def test_interpolation_inside_nested_values_and_typed_after(tmp_path: Path) -> None:
    path = write(tmp_path, "skills:\n  memory_max_entries: ${N:-12}\nindex:\n  watch: ${W:-off}\n"
                           "redis:\n  ttl: ${TTL:-2h}\n")
    settings = load_settings(path, env={})
    assert settings.skills.memory_max_entries == 12
    assert settings.index.watch is False
    assert settings.redis.ttl == 7200


@pytest.mark.parametrize(
    ("text", "key", "allowed"),
    [
        ("redis:\n  ttl: soon\n", "redis.ttl", "duration"),
        ("redis:\n  ttl: -5\n", "redis.ttl", "duration"),
        ("skills:\n  memory_max_entries: many\n", "skills.memory_max_entries", "integer"),
        ("skills:\n  memory_max_entries: true\n", "skills.memory_max_entries", "integer"),
        ("index:\n  watch: maybe\n", "index.watch", "true or false"),
        ("logs:\n  backend: mysql\n", "logs.backend", "sqlite, postgres"),
        ("postgres:\n  dsn: mysql://h/db\n", "postgres.dsn", "postgresql://"),
        ("redis:\n  url: redis://:99999999\n", "redis.url", "redis://"),
        ("redis: 5\n", "redis", "key: value"),
        ("skills:\n  max_file_bytes: lots\n", "skills.max_file_bytes", "MiB"),
        ("postgres:\n  pool_size: 0\n", "postgres.pool_size", ">= 1"),
    ],
)
def test_bad_values_name_file_key_value_and_allowed(tmp_path: Path, text: str, key: str,
                                                    allowed: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_settings(path, env={})
    message = str(err.value)
    assert str(path) in message
    assert key in message
    assert allowed in message


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    path = write(tmp_path, "redis:\n  urll: redis://localhost\n")
    with pytest.raises(ConfigError, match=r"redis\.urll: unknown key; did you mean 'url'\?"):
        load_settings(path, env={})


def test_unknown_top_level_section(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown key"):
        load_settings(write(tmp_path, "mysql:\n  host: x\n"), env={})


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    path = write(tmp_path, "\n".join(lines) + "\n")
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="alias bomb"):
        load_settings(path, env={})
    assert time.perf_counter() - start < 1.0  # 9**10 nodes if expanded


@pytest.mark.parametrize(
    "text",
    [
        "x: !!python/object/apply:os.system ['echo hacked']\n",
        "x: !!python/name:os.system\n",
        "x: !custom 1\n",
    ],
)
def test_unsafe_tags_are_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match="tag"):
        load_settings(write(tmp_path, text), env={})


def test_syntax_error_gives_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="line 2"):
        load_settings(write(tmp_path, "redis:\n\turl: x\n"), env={})


def test_non_mapping_top_level(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_settings(write(tmp_path, "- a\n- b\n"), env={})


def test_non_utf8_config(tmp_path: Path) -> None:
    path = tmp_path / "storeroom.yaml"
    path.write_bytes(b"workspace:\n  name: caf\xe9\n")
    with pytest.raises(ConfigError, match="UTF-8"):
        load_settings(path, env={})


def test_env_overrides_win_over_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "redis:\n  url: redis://file-host:6379/0\n")
    env = {"STOREROOM_REDIS_URL": "redis://env-host:6380/1",
           "STOREROOM_POSTGRES_DSN": "postgresql://u:pw@db:5432/x",
           "STOREROOM_QDRANT_URL": "http://qdrant:6333"}
    settings = load_settings(path, env=env)
    assert settings.redis.url == "redis://env-host:6380/1"
    assert settings.postgres.dsn == "postgresql://u:pw@db:5432/x"
    assert settings.qdrant.url == "http://qdrant:6333"


def test_bad_env_override_is_reported_with_its_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="postgres.dsn"):
        load_settings(write(tmp_path, ""), env={"STOREROOM_POSTGRES_DSN": "nonsense"})


def test_show_masks_passwords(tmp_path: Path) -> None:
    path = write(tmp_path, "redis:\n  url: redis://user:${PW}@h:6379/0\n"
                           "postgres:\n  dsn: postgresql://app:s3cret@db/x?password=other\n")
    settings = load_settings(path, env={"PW": "hunter22"})
    shown = settings_yaml(settings)
    assert "hunter22" not in shown and "s3cret" not in shown and "other" not in shown
    assert "redis://user:***@h:6379/0" in shown
    assert settings_as_dict(settings, masked=False)["redis"]["url"].endswith("hunter22@h:6379/0")


def test_error_values_do_not_leak_passwords(tmp_path: Path) -> None:
    path = write(tmp_path, "postgres:\n  dsn: mysql://app:s3cret@db/x\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path, env={})
    assert "s3cret" not in str(err.value)

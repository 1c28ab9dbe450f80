"""Files written by ``storeroom init``: a documented config and a .gitignore."""

from __future__ import annotations

import json

from .config.loader import documented_keys

GITIGNORE = """\
# storeroom: derived state (index, caches, logs) is rebuilt from the files.
.storeroom/
storeroom.db-wal
storeroom.db-shm
"""


def config_template() -> str:
    """storeroom.yaml with every key commented out at its default, with its meaning.

    Values may use ${VAR} and ${VAR:-default}; STOREROOM_REDIS_URL,
    STOREROOM_POSTGRES_DSN and STOREROOM_QDRANT_URL override the server URLs.
    """
    lines = [
        "# storeroom workspace configuration. Every key is optional; the defaults",
        "# need no server at all. Values may use ${VAR} or ${VAR:-default}.",
        "# Check it with `storeroom config validate`; see it with `storeroom config show`.",
    ]
    opened: list[str] = []
    for key, doc, default in documented_keys():
        parts = key.split(".")
        for depth, name in enumerate(parts[:-1]):
            if opened[: depth + 1] != parts[: depth + 1]:
                opened = parts[: depth + 1]
                lines += [""] if depth == 0 else []
                lines.append(f"# {'  ' * depth}{name}:")
        indent = "  " * (len(parts) - 1)
        shown = "" if default is None else json.dumps(default) if isinstance(default, bool) else default
        if isinstance(shown, str) and shown and not shown.replace(".", "").isalnum():
            shown = json.dumps(shown)
        lines.append(f"# {indent}{parts[-1]}: {shown}".rstrip() + f"   # {doc}")
    return "\n".join(lines) + "\n"

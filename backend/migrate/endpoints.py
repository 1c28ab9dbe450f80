"""Where a migration reads from and writes to: parse ``--to``/``--from`` strings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import ValidationError
from ..redact import mask_url


@dataclass(frozen=True)
class Endpoint:
    """A PostgreSQL DSN, a SQLite file or a JSON-lines archive (source only)."""

    kind: str  # "postgres" | "sqlite" | "jsonl"
    location: str  # DSN or absolute path

    @property
    def display(self) -> str:
        """Safe to show and to store: the DSN password is masked."""
        return mask_url(self.location) if self.kind == "postgres" else self.location

    @property
    def path(self) -> Path:
        return Path(self.location)


def parse_endpoint(text: str, *, base: Path | None = None) -> Endpoint:
    """``postgresql://...`` / ``postgres://...``, ``sqlite:///path``, a ``.db`` path, or a
    ``.jsonl`` / ``.jsonl.gz`` archive (relative paths are taken from ``base``)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError("no target given", hint="Pass --to postgresql://user@host/db or --to FILE.db.")
    if text.startswith(("postgresql://", "postgres://")) or "dbname=" in text:
        return Endpoint("postgres", text)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite://"):]
    path = Path(text).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    if path.name.endswith((".jsonl", ".jsonl.gz")):
        return Endpoint("jsonl", str(path))
    if path.suffix in (".db", ".sqlite", ".sqlite3"):
        return Endpoint("sqlite", str(path))
    raise ValidationError(f"cannot tell what {mask_url(text)!r} is",
                          hint="Use postgresql://..., sqlite:///path.db, FILE.db or FILE.jsonl.gz.")

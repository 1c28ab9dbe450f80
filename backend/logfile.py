"""storeroom's own log file (never the terminal the TUI owns) and crash reports."""

from __future__ import annotations

import logging
import os
import traceback
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path

from .redact import redact_text

_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


class RedactingFormatter(logging.Formatter):
    """Masks URL passwords in every record, whatever a library put in it."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


def setup_logging(log_file: Path, level: str = "INFO") -> Path:
    """Send the root logger to ``log_file`` (rotated at 5 MiB); returns the path."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_storeroom", False):
            root.removeHandler(handler)
            handler.close()
    handler = RotatingFileHandler(log_file, maxBytes=5 * 1024 * 1024, backupCount=3,
                                  encoding="utf-8")
    handler.setFormatter(RedactingFormatter(_FORMAT))
    handler._storeroom = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return log_file


def write_crash_file(log_dir: Path, exc: BaseException) -> Path:
    """Write a redacted traceback next to the log file; returns its path."""
    log_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = log_dir / f"crash-{stamp}-{os.getpid()}.txt"
    secrets = [v for k, v in os.environ.items()
               if any(w in k.upper() for w in ("PASSWORD", "SECRET", "TOKEN", "DSN", "_URL"))]
    text = "".join(traceback.format_exception(exc))
    path.write_text(redact_text(text, secrets), encoding="utf-8")
    return path

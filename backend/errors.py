"""Typed errors for every storage concern.

Each error's message says what happened *and* what to do next, so the CLI can print
it as is and the TUI can show it in a notification without a traceback.
"""

from __future__ import annotations

from typing import Any

from .redact import redact_text


class StorageError(Exception):
    """Base of every error storeroom raises on purpose.

    ``hint`` is the "what to do next" part; ``str(err)`` joins it to the message.
    """

    default_hint = "See the log file (`storeroom locate`) for details."

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint if hint is not None else self.default_hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if not self.hint:
            return self.message
        return f"{self.message} — {self.hint}"


class BackendUnavailable(StorageError):
    """A server or store could not be reached (refused, timed out, hung)."""

    default_hint = "Check that the server is running and its URL in storeroom.yaml (`storeroom doctor`)."

    def __init__(self, backend: str, message: str, *, hint: str | None = None) -> None:
        self.backend = backend
        super().__init__(f"{backend} unavailable: {message}", hint=hint)


class NotFound(StorageError):
    """The thing asked for does not exist."""

    default_hint = "Check the id; list what exists with `storeroom` or the TUI."

    def __init__(self, kind: str, ident: str, *, hint: str | None = None) -> None:
        self.kind = kind
        self.ident = ident
        super().__init__(f"{kind} {ident!r} not found", hint=hint)


class Duplicate(StorageError):
    """Something with that identity already exists."""

    default_hint = "Pick another id, or edit the existing one."

    def __init__(self, kind: str, ident: str, *, hint: str | None = None) -> None:
        self.kind = kind
        self.ident = ident
        super().__init__(f"{kind} {ident!r} already exists", hint=hint)


class ValidationError(StorageError):
    """Input that does not meet the rules; nothing was written.

    ``where`` locates the problem (a key path, a line number, a file).
    """

    default_hint = "Fix the value and try again; nothing was written."

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None,
                 line: int | None = None) -> None:
        self.where = where
        self.line = line
        text = f"{where}: {message}" if where else message
        super().__init__(text, hint=hint)


class Conflict(StorageError):
    """A write raced another change; both sides are carried so the user can choose."""

    default_hint = "Reload to see the other change, then keep yours, take theirs or merge."

    def __init__(self, message: str, *, mine: Any = None, theirs: Any = None,
                 hint: str | None = None) -> None:
        self.mine = mine
        self.theirs = theirs
        super().__init__(message, hint=hint)


class ConfigError(StorageError):
    """storeroom.yaml (or an environment override) is invalid.

    The message names the file, the key path, the bad value and what is allowed.
    """

    default_hint = "Fix storeroom.yaml, then run `storeroom config validate`."

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None,
                 value: Any = None, allowed: str | None = None, hint: str | None = None) -> None:
        self.file = file
        self.key = key
        self.value = value
        self.allowed = allowed
        parts = []
        if file:
            parts.append(str(file))
        if key:
            parts.append(key)
        prefix = ": ".join(parts)
        text = f"{prefix}: {message}" if prefix else message
        if value is not None:
            shown = redact_text(value) if isinstance(value, str) else value
            text += f" (got {shown!r})"
        if allowed:
            text += f"; allowed: {allowed}"
        super().__init__(text, hint=hint)


__all__ = [
    "StorageError",
    "BackendUnavailable",
    "NotFound",
    "Duplicate",
    "ValidationError",
    "Conflict",
    "ConfigError",
]

"""What the index knows about itself: the catalogue of indexed skills and its status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..events import Event


@dataclass(frozen=True)
class IndexStatus:
    """What the Dashboard and ``doctor`` show about the index."""

    state: str  # starting | building | ready | unavailable | error | closed
    engine: str
    model: str  # "all-MiniLM-L6-v2 (384-d)" or "lexical (BM25)"
    semantic: bool
    points: int
    pending: int
    invalid: int
    progress: tuple[int, int] | None
    last_event: Event | None
    message: str


class Known(dict[str, dict[str, Any]]):
    """Indexed skills (id -> payload) with a lower-cased name map: exact hits in O(1)."""

    def __init__(self, payloads: list[dict[str, Any]] | None = None) -> None:
        super().__init__()
        self.names: dict[str, set[str]] = {}
        for payload in payloads or ():
            self[payload["skill_id"]] = payload

    def __setitem__(self, ident: str, payload: dict[str, Any]) -> None:
        if ident in self:
            self._forget_name(ident)
        super().__setitem__(ident, payload)
        self.names.setdefault(str(payload.get("name", "")).lower(), set()).add(ident)

    def pop(self, ident: str, *default: Any) -> Any:  # type: ignore[override]
        if ident in self:
            self._forget_name(ident)
        return super().pop(ident, *default)

    def clear(self) -> None:
        super().clear()
        self.names.clear()

    def _forget_name(self, ident: str) -> None:
        name = str(self[ident].get("name", "")).lower()
        ids = self.names.get(name)
        if ids is not None:
            ids.discard(ident)
            if not ids:
                del self.names[name]

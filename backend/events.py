"""A small in-process event bus: backend changes -> UI activity feeds.

Publishers never wait on subscribers: a subscriber that raises is logged and skipped.
Subscribers are called on the publisher's thread; the TUI forwards events to widgets
with ``call_from_thread``.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Something that happened: ``kind`` like ``skill.saved``, ``subject`` like an id."""

    kind: str
    subject: str
    detail: str = ""
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    data: dict[str, Any] | None = None


Subscriber = Callable[[Event], None]


class EventBus:
    """Thread-safe publish/subscribe with a bounded history for late joiners."""

    def __init__(self, history: int = 200) -> None:
        self._subscribers: list[Subscriber] = []
        self._history: deque[Event] = deque(maxlen=history)
        self._lock = threading.Lock()

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Register ``callback``; returns a function that unsubscribes it."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, event: Event) -> None:
        with self._lock:
            self._history.append(event)
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:  # noqa: BLE001 - a broken subscriber must not break a save
                log.exception("event subscriber failed for %s", event.kind)

    def emit(self, kind: str, subject: str, detail: str = "", **data: Any) -> Event:
        """Build and publish an event in one call."""
        event = Event(kind, subject, detail, data=data or None)
        self.publish(event)
        return event

    def recent(self, limit: int = 50) -> list[Event]:
        """Newest first."""
        with self._lock:
            return list(self._history)[-limit:][::-1]

"""A circuit breaker: after a failure, stop calling for a while (0.5 s doubling to 30 s),
then let one probe through (half-open); a success closes it again."""

from __future__ import annotations

import threading
import time
from typing import Literal

from ..redact import redact_text

State = Literal["closed", "open", "half-open"]


class CircuitBreaker:
    def __init__(self, initial: float = 0.5, maximum: float = 30.0) -> None:
        self.initial = initial
        self.maximum = maximum
        self._state: State = "closed"
        self._backoff = initial
        self._reopen_at = 0.0
        self._probing = False
        self._lock = threading.Lock()
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self.opened = 0  # times it opened (for stats)

    @property
    def state(self) -> State:
        if self._state == "open" and time.monotonic() >= self._reopen_at:
            return "half-open"
        return self._state

    def retry_in(self) -> float | None:
        if self._state != "open":
            return None
        return max(0.0, self._reopen_at - time.monotonic())

    def allow(self) -> bool:
        """True if a call may go ahead now (always when closed; one probe when due)."""
        if self._state == "closed":
            return True
        with self._lock:
            if self._state == "closed":
                return True
            if self._probing or time.monotonic() < self._reopen_at:
                return False
            self._probing = True
            self._state = "half-open"
            return True

    def success(self) -> None:
        if self._state == "closed":
            return
        with self._lock:
            self._state = "closed"
            self._backoff = self.initial
            self._probing = False

    def failure(self, error: BaseException | str) -> None:
        """Record a failed call: open (again), doubling the wait after a failed probe."""
        with self._lock:
            text = redact_text(str(error).strip()) or type(error).__name__
            self.last_error = text.splitlines()[0][:200]
            self.last_error_at = time.time()
            if self._state == "open":
                return  # a call that started before the breaker opened; keep the schedule
            if self._state == "closed":
                self._backoff = self.initial
            else:  # the half-open probe failed
                self._backoff = min(self.maximum, self._backoff * 2)
            self._state = "open"
            self._reopen_at = time.monotonic() + self._backoff
            self._probing = False
            self.opened += 1

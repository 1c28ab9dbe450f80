"""Run backend calls off the UI thread and route their failures to notifications.

Every screen does I/O through :func:`run_backend`: the call runs in a thread worker;
its result comes back on the UI thread through ``done``; a ``StorageError`` becomes a
notification that says what to do next; anything unexpected is logged with its
traceback (to the log file, never the screen) and reported briefly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from textual.dom import DOMNode
from textual.worker import Worker

from backend.errors import StorageError

T = TypeVar("T")
log = logging.getLogger(__name__)


def describe_error(exc: BaseException) -> str:
    """One line for a notification: typed errors as they are, others with a pointer."""
    if isinstance(exc, StorageError):
        return str(exc)
    return f"Unexpected {type(exc).__name__}: {exc} — details are in the log file (`storeroom locate`)."


def run_backend(node: DOMNode, call: Callable[[], T], *, done: Callable[[T], Any] | None = None,
                failed: Callable[[BaseException], Any] | None = None, name: str = "backend",
                group: str = "default", exclusive: bool = False, notify: bool = True) -> Worker[None]:
    """Run ``call()`` in a thread worker; ``done(result)`` / ``failed(exc)`` run on the UI thread."""
    app = node.app

    def back_on_ui(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        try:
            app.call_from_thread(fn, *args, **kwargs)
        except RuntimeError:
            pass  # the app is shutting down: nobody is left to tell

    def work() -> None:
        try:
            result = call()
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message, not a crash
            if not isinstance(exc, StorageError):
                log.exception("worker %s failed", name)
            if notify:
                back_on_ui(app.notify, describe_error(exc), title=name.replace("-", " ").capitalize(),
                           severity="error", timeout=8)
            if failed is not None:
                back_on_ui(failed, exc)
            return
        if done is not None:
            back_on_ui(done, result)

    return node.run_worker(work, name=name, group=group, thread=True, exclusive=exclusive,
                           exit_on_error=False)

"""Skill-specific errors (children of the typed errors in backend.errors)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import Conflict

if TYPE_CHECKING:
    from .model import Skill


class SkillConflict(Conflict):
    """A save or delete raced another change to the same file.

    ``mine`` is the Skill being saved (None for a delete), ``theirs`` the Skill now on
    disk (None if deleted or invalid); ``theirs_raw`` its bytes, ``theirs_hash`` its
    hash (pass it as ``expected`` to keep mine), ``reason`` a short explanation.
    """

    def __init__(self, ident: str, reason: str, *, mine: Skill | None, theirs: Skill | None,
                 theirs_hash: str | None, theirs_raw: bytes | None) -> None:
        self.ident = ident
        self.reason = reason
        self.theirs_hash = theirs_hash
        self.theirs_raw = theirs_raw
        super().__init__(f"skill {ident!r}: {reason}", mine=mine, theirs=theirs)

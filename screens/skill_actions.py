"""The Skills screen's actions: edit, new, duplicate, delete, open in $EDITOR."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from typing import Any

from textual.widgets import DataTable

from backend.errors import Conflict
from backend.skills import InvalidSkill, Skill
from tui.workers import describe_error, run_backend

from .skill_editor import EditResult, SkillEditorScreen
from .skill_widgets import ConfirmScreen

NEW_SKILL = {
    "id": "new-skill",
    "name": "New skill",
    "description": "What it does and when an agent should use it.",
    "tags": [],
    "code": "def run(**inputs):\n    ...\n",
}


class SkillActions:
    """Mixed into the Skills screen; expects ``selected_id``, ``load_page`` and ``notify``."""

    selected_id: str | None
    invalid_files: dict[str, Any]

    # -- edit / new / duplicate -----------------------------------------------------
    def action_edit(self) -> None:
        invalid = self._focused_invalid()
        if invalid is not None:
            self._edit_invalid(invalid)
            return
        skill_id = self._require_selection("edit")
        if skill_id is None:
            return
        ws = self.app.ws
        run_backend(self, lambda: ws.skills.get_with_tier(skill_id), done=self._open_editor_on,
                    name="load-skill")

    def _open_editor_on(self, served: Any) -> None:
        skill = served.skill
        # The editor starts from the file's hash: any change on disk meanwhile is a conflict.
        self._push_editor(skill.to_text(), skill_id=skill.id, expected=served.hash,
                          heading=f"Editing {skill.id} — version {skill.version}")

    def _edit_invalid(self, filename: str) -> None:
        """Repair an invalid file in the editor: its raw text, saved over exactly its hash."""
        ws = self.app.ws
        ident = filename.removesuffix(".json")

        def failed(exc: BaseException) -> None:
            if isinstance(exc, InvalidSkill) and exc.raw is not None:
                try:
                    text = exc.raw.decode("utf-8")
                except UnicodeDecodeError:
                    text = None
                if text is not None:
                    self._push_editor(text, skill_id=ident, expected=exc.hash,
                                      heading=f"Repairing {filename} — {exc.reason}")
                    return
            self.notify(f"{filename} cannot be opened here ({describe_error(exc)}); "
                        "fix it with o ($EDITOR).", title="Invalid file", severity="warning")

        run_backend(self, lambda: ws.skills.get(ident), done=lambda _: self.action_refresh(),
                    failed=failed, notify=False, name="load-invalid-skill")

    def action_new(self) -> None:
        text = json.dumps(NEW_SKILL, indent=2) + "\n"
        self._push_editor(text, skill_id=None, expected=None,
                          heading="New skill — set a unique id, then ctrl+s")

    def action_duplicate(self) -> None:
        skill_id = self._require_selection("duplicate")
        if skill_id is None:
            return
        ws = self.app.ws
        run_backend(self, lambda: ws.skills.get(skill_id), done=self._duplicate_of,
                    name="load-skill")

    def _duplicate_of(self, skill: Any) -> None:
        data = json.loads(skill.to_text())
        for key in ("version", "created_at", "updated_at"):
            data.pop(key, None)
        data["id"] = f"{skill.id}-copy"[:128]
        data["name"] = f"{skill.name} (copy)"
        self._push_editor(json.dumps(data, indent=2, ensure_ascii=False) + "\n", skill_id=None,
                          expected=None,
                          heading=f"Duplicate of {skill.id} — pick a new id, then ctrl+s")

    def _push_editor(self, text: str, *, skill_id: str | None, expected: Any, heading: str) -> None:
        screen = SkillEditorScreen(text, skill_id=skill_id, expected=expected,
                                   validate=Skill.from_dict,
                                   heading=heading)
        self.app.push_screen(screen, self._editor_closed)

    def _editor_closed(self, result: EditResult | None) -> None:
        if result is not None and result.saved is not None:
            self.selected_id = result.saved.id
        self.load_page()

    # -- delete ---------------------------------------------------------------------
    def action_delete(self) -> None:
        filename = self._focused_invalid()
        if filename is not None:
            self._confirm_delete_invalid(filename)
            return
        skill_id = self._require_selection("delete")
        if skill_id is None:
            return
        ws = self.app.ws
        run_backend(self, lambda: ws.skills.get_with_tier(skill_id), done=self._confirm_delete,
                    name="load-skill")

    def _confirm_delete(self, served: Any) -> None:
        skill = served.skill
        body = (f"Delete skill {skill.id!r} ({skill.name}, version {skill.version})?\n"
                f"Its file skills/{skill.id}.json is removed and the caches are cleared. "
                "The audit log keeps its hash.")

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(skill, served.hash)

        self.app.push_screen(ConfirmScreen("Delete skill", body, confirm_label="Delete"), answered)

    def _confirm_delete_invalid(self, filename: str) -> None:
        """An invalid file can be removed too, but only exactly as it was listed."""
        item = self.invalid_files.get(filename)
        if item is None or item.hash is None:
            self.notify(f"{filename} cannot be read, so it is not deleted from here; remove it "
                        "from the skills/ folder by hand.", severity="warning", timeout=8)
            return
        body = (f"Delete the invalid file {filename}?\nReason it is invalid: {item.reason}\n"
                "Its content is lost (the audit log keeps its hash).")

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            ws = self.app.ws

            def failed(exc: BaseException) -> None:
                self.notify(describe_error(exc), title="Not deleted", severity="error")
                self.action_refresh()

            def done(_: Any) -> None:
                self.notify(f"Deleted {filename}.", title="Invalid file deleted")
                self.action_refresh()

            run_backend(self, lambda: ws.skills.delete(item.id, expected=item.hash), done=done,
                        failed=failed, notify=False, name="delete-invalid-skill")

        self.app.push_screen(ConfirmScreen("Delete invalid file", body, confirm_label="Delete"),
                             answered)

    def _delete(self, skill: Any, expected: str) -> None:
        ws = self.app.ws

        def failed(exc: BaseException) -> None:
            if isinstance(exc, Conflict):
                self.notify(f"{skill.id} changed since you looked; not deleted. Look again and "
                            "retry.", title="Conflict", severity="warning", timeout=8)
                self.load_page()
            else:
                self.notify(describe_error(exc), title="Not deleted", severity="error")

        def done(_: Any) -> None:
            self.notify(f"Deleted {skill.id}.", title="Skill deleted")
            self.selected_id = None
            self.load_page()

        run_backend(self, lambda: ws.skills.delete(skill.id, expected=expected),
                    done=done, failed=failed, notify=False, name="delete-skill")

    # -- $EDITOR ----------------------------------------------------------------------
    def action_open_external(self) -> None:
        path = self._external_target()
        if path is None:
            return
        command = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not command:
            self.notify("Set $EDITOR (for example `export EDITOR=nano`) and restart storeroom "
                        "to edit in your own editor; or press e to edit here.",
                        title="No $EDITOR", severity="warning", timeout=8)
            return
        try:
            with self.app.suspend():
                # The user's own editor, on the file itself; the app is suspended meanwhile.
                code = subprocess.call([*shlex.split(command), str(path)])  # noqa: S603
        except Exception as exc:  # noqa: BLE001 - no terminal to hand over, editor missing...
            self.notify(f"Could not run {command!r}: {exc}", title="$EDITOR", severity="error")
            return
        if code != 0:
            self.notify(f"{command} exited with status {code}.", severity="warning")
        self.action_refresh()  # re-read: the file may have changed (or become invalid)

    def _focused_invalid(self) -> str | None:
        """The file name selected in the invalid-files list, if that list has focus."""
        invalid = self.query_one("#skills-invalid", DataTable)
        if invalid.has_focus and invalid.row_count:
            return str(invalid.coordinate_to_cell_key(invalid.cursor_coordinate).row_key.value)
        return None

    def _external_target(self) -> Any:
        filename = self._focused_invalid()
        if filename is not None:
            return self.app.ws.paths.skills / filename
        skill_id = self._require_selection("open")
        if skill_id is None:
            return None
        return self.app.ws.paths.skills / f"{skill_id}.json"

    def _require_selection(self, verb: str) -> str | None:
        if self.selected_id is None:
            self.notify(f"Select a skill to {verb} first.", timeout=3)
        return self.selected_id

"""Every category of bad input is refused with a clear error, and nothing is written."""

from __future__ import annotations

import pytest
from workflows_fixtures import definition

from backend.errors import ValidationError

GOOD = ("name: Digest\ndescription: d\nsteps:\n"
        "  - id: a\n    skill: fetch-url\n    inputs: {url: x}\n    next: b\n"
        "  - id: b\n    skill: summarize-text\n    next: null\n")

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True))

BAD = {
    "syntax": ("name: x\nsteps: [\n", "syntax error at line"),
    "bomb": (BOMB, "alias bomb"),
    "unsafe tag": ("name: !!python/object/apply:os.system ['echo hi']\nsteps: []\n", "unsafe"),
    "oversize": ("name: x\n" + "# padding\n" * 40_000, "limit"),
    "non-UTF-8": (b"name: caf\xe9\nsteps: []\n", "UTF-8"),
    "not a mapping": ("- just\n- a list\n", "must be a mapping"),
    "name type": ("name: [1, 2]\nsteps: []\n", "`name` is required"),
    "steps type": ("name: x\nsteps: {a: 1}\n", "`steps` is required"),
    "step not mapping": ("name: x\nsteps:\n  - just-a-string\n", "must be a mapping"),
    "inputs type": ("name: x\nsteps:\n  - id: a\n    skill: s\n    inputs: [1]\n", "inputs must be a mapping"),
    "duplicate id": ("name: x\nsteps:\n  - {id: a, skill: s}\n  - {id: a, skill: s}\n", "used twice"),
    "dangling next": ("name: x\nsteps:\n  - id: a\n    skill: s\n    next: zzz\n", "'zzz'"),
    "next type": ("name: x\nsteps:\n  - id: a\n    skill: s\n    next: 3\n", "next must be"),
    "skill type": ("name: x\nsteps:\n  - id: a\n    skill: 42\n", "skill must be"),
    "non-string key": ("name: x\n1: y\nsteps:\n  - {id: a, skill: s}\n", "must be a string"),
    "binary value": ("name: x\nblob: !!binary aGk=\nsteps:\n  - {id: a, skill: s}\n", "not allowed"),
    "empty": ("", "empty"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_definition_refused_and_nothing_written(ws, case):
    text, expected = BAD[case]
    with pytest.raises(ValidationError, match=expected) as info:
        ws.workflows.store("bad", text)
    assert "—" in str(info.value)  # every error says what to do next
    assert not any((ws.paths.workflows / "bad").glob("v*.yaml"))


def test_schema_errors_carry_line_numbers(ws):
    text = "name: x\nsteps:\n  - id: a\n    skill: s\n    next: nowhere\n"
    with pytest.raises(ValidationError) as info:
        ws.workflows.validate(text)
    assert info.value.line == 5
    assert "line 5" in str(info.value)
    with pytest.raises(ValidationError) as info:
        ws.workflows.validate("name: x\nsteps:\n  - {id: a, skill: s}\n  - {id: a, skill: s}\n")
    assert info.value.line == 4


def test_good_text_validates_with_warnings_only_for_missing_skills(ws):
    definition_, warnings = ws.workflows.validate(GOOD)
    assert definition_["steps"][1]["id"] == "b" and warnings == []
    _, warnings = ws.workflows.validate(GOOD.replace("summarize-text", "ghost-skill"))
    assert warnings == ["skill 'ghost-skill' (step b) does not exist in skills/"]


def test_a_whole_version_file_can_be_stored_as_a_new_version(ws):
    v1 = ws.workflows.store("w", definition())
    v2 = ws.workflows.store("w", v1.text.replace("      n: 0\n", "      n: 5\n"), message="edit")
    assert (v2.version, v2.parent, v2.definition["steps"][0]["inputs"]["n"]) == (2, 1, 5)


def test_bad_message_type_refused(ws):
    with pytest.raises(ValidationError):
        ws.workflows.store("w", definition(), message=3)  # type: ignore[arg-type]

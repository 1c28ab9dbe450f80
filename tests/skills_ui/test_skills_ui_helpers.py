"""The Skills/Cache screens' pure helpers: validation with lines, diff, merge, formatting."""

from __future__ import annotations

import json

from backend.skills import Skill
from screens.skill_editor import check_skill_text, line_of_key
from screens.skill_widgets import diff_text, human_ttl, merge_with_markers, unified_diff
from screens.skills import parse_filter

GOOD = {"id": "web-fetch", "name": "Fetch", "tags": ["http"], "code": "x = 1\n"}


def test_valid_text_gives_a_skill() -> None:
    skill, problem = check_skill_text(json.dumps(GOOD, indent=2), Skill.from_dict)
    assert problem is None and skill.id == "web-fetch" and skill.tags == ("http",)


def test_json_syntax_error_points_at_its_line_and_column() -> None:
    text = '{\n  "id": "web-fetch",\n  "name": "Fetch"\n  "tags": []\n}\n'
    _, problem = check_skill_text(text, Skill.from_dict)
    assert problem is not None and problem.line == 4 and problem.column == 3
    assert "invalid JSON" in problem.describe() and problem.describe().startswith("line 4")


def test_schema_error_points_at_the_line_of_the_key() -> None:
    data = dict(GOOD, tags=["ok", 5])
    text = json.dumps(data, indent=2, sort_keys=True)
    _, problem = check_skill_text(text, Skill.from_dict)
    assert problem is not None
    assert "tags[1]" in problem.message
    assert text.splitlines()[problem.line - 1].strip().startswith('"tags"')


def test_bad_id_and_missing_name_are_problems() -> None:
    _, problem = check_skill_text(json.dumps(dict(GOOD, id="../etc"), indent=2), Skill.from_dict)
    assert problem is not None and problem.line == 2  # "id" is the first key
    data = {k: v for k, v in GOOD.items() if k != "name"}
    _, problem = check_skill_text(json.dumps(data), Skill.from_dict)
    assert problem is not None and "name" in problem.message
    _, problem = check_skill_text("[1, 2]", Skill.from_dict)
    assert problem is not None and "object" in problem.message


def test_line_of_key_prefers_the_top_level_key() -> None:
    text = '{\n  "extra": {\n    "name": "inner"\n  },\n  "name": "outer"\n}'
    assert line_of_key(text, "name") == 5
    assert line_of_key(text, "tags") is None


def test_unified_diff_colours_additions_and_removals() -> None:
    lines = unified_diff("a\nb\nc\n", "a\nB\nc\n")
    assert "-b" in lines and "+B" in lines
    text = diff_text(lines)
    styles = {str(span.style) for span in text.spans}
    assert "green" in styles and "red" in styles
    assert "no difference" in diff_text([]).plain


def test_merge_marks_each_differing_block_mine_first() -> None:
    merged, blocks = merge_with_markers("a\nmine1\nb\nmine2\n", "a\ntheirs1\nb\ntheirs2\n")
    assert blocks == 2
    assert merged.splitlines() == [
        "a", "<<<<<<< mine", "mine1", "=======", "theirs1", ">>>>>>> theirs",
        "b", "<<<<<<< mine", "mine2", "=======", "theirs2", ">>>>>>> theirs"]
    same, none = merge_with_markers("x\n", "x\n")
    assert (same, none) == ("x\n", 0)


def test_ttl_reads_like_a_person_would_say_it() -> None:
    assert human_ttl(-1) == "no expiry" and human_ttl(-2) == "gone"
    assert human_ttl(7 * 86400) == human_ttl(7 * 86400 - 1) == "7d"
    assert human_ttl(90 * 60) == "1h 30m" and human_ttl(42) == "42s"


def test_filter_parses_tag_and_text() -> None:
    assert parse_filter("tag:rag chunk text") == ("rag", "chunk text")
    assert parse_filter("  ") == (None, None)
    assert parse_filter("tag:") == (None, "tag:")

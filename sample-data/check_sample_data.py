"""Sanity-check the demo content in this folder.

    python sample-data/check_sample_data.py

Checks that every skill file is canonical JSON with the expected fields, that skill code
parses, that workflow files are well formed (ids, parents, step chains), that steps only
reference existing skills (except the one version marked as a missing-skill demo) and
that generate_runs.py produces consistent records. Exits 1 on the first batch of problems.
"""

import ast
import importlib.util
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}")
TS_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
SKILL_FIELDS = {"id", "name", "description", "tags", "code", "version", "created_at", "updated_at"}
OPTIONAL_FIELDS = {"inputs", "author"}


def check_skills(problems: list[str]) -> set[str]:
    ids: set[str] = set()
    descriptions: dict[str, str] = {}
    for path in sorted((HERE / "skills").glob("*.json")):
        where = f"skills/{path.name}"
        text = path.read_text(encoding="utf-8")
        try:
            skill = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: invalid JSON: {exc}")
            continue
        if text != json.dumps(skill, indent=2, sort_keys=True, ensure_ascii=False) + "\n":
            problems.append(f"{where}: not in canonical form (indent=2, sort_keys)")
        missing = SKILL_FIELDS - skill.keys()
        extra = skill.keys() - SKILL_FIELDS - OPTIONAL_FIELDS
        if missing:
            problems.append(f"{where}: missing fields {sorted(missing)}")
            continue
        if extra:
            problems.append(f"{where}: unexpected fields {sorted(extra)}")
        sid = skill["id"]
        if not ID_RE.fullmatch(sid) or sid != path.stem:
            problems.append(f"{where}: bad id {sid!r}")
        ids.add(sid)
        tags = skill["tags"]
        if not (2 <= len(tags) <= 5) or any(t != t.lower() or not t for t in tags):
            problems.append(f"{where}: tags must be 2-5 lowercase strings: {tags}")
        if not isinstance(skill["version"], int) or not 1 <= skill["version"] <= 6:
            problems.append(f"{where}: version must be an int 1..6")
        created, updated = skill["created_at"], skill["updated_at"]
        if not (TS_RE.fullmatch(created) and TS_RE.fullmatch(updated)) or updated < created:
            problems.append(f"{where}: bad timestamps {created} / {updated}")
        try:
            ast.parse(skill["code"])
        except SyntaxError as exc:
            problems.append(f"{where}: code does not parse: {exc}")
        lines = len(skill["code"].strip().splitlines())
        if not 10 <= lines <= 40:
            problems.append(f"{where}: code has {lines} lines (want 10-40)")
        description = skill["description"].strip()
        if description in descriptions:
            problems.append(f"{where}: same description as {descriptions[description]}")
        descriptions[description] = sid
    if len(ids) < 48:
        problems.append(f"only {len(ids)} skills (want at least 48)")
    return ids


def check_workflows(problems: list[str], skill_ids: set[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    missing_refs: list[str] = []
    branches = 0
    for path in sorted((HERE / "workflows").glob("*.yaml")):
        where = f"workflows/{path.name}"
        text = path.read_text(encoding="utf-8")
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            problems.append(f"{where}: invalid YAML: {exc}")
            continue
        wid = doc.get("id")
        if not isinstance(wid, str) or not ID_RE.fullmatch(wid) or wid != path.stem:
            problems.append(f"{where}: bad id {wid!r}")
        versions = doc.get("versions") or []
        counts[str(wid)] = len(versions)
        if not 3 <= len(versions) <= 6:
            problems.append(f"{where}: {len(versions)} versions (want 3-6)")
        previous_steps = None
        for number, version in enumerate(versions, start=1):
            at = f"{where} v{number}"
            for key in ("message", "author", "definition"):
                if not version.get(key):
                    problems.append(f"{at}: missing {key}")
            parent = version.get("parent")
            if number == 1 and parent is not None:
                problems.append(f"{at}: first version must have parent null")
            if number > 1:
                if not isinstance(parent, int) or not 1 <= parent < number:
                    problems.append(
                        f"{at}: parent {parent!r} must be a 1-based index below {number}"
                    )
                elif parent != number - 1:
                    branches += 1
            definition = version.get("definition") or {}
            if not definition.get("name") or not definition.get("description"):
                problems.append(f"{at}: definition needs name and description")
            steps = definition.get("steps") or []
            step_ids = [s.get("id") for s in steps]
            if len(set(step_ids)) != len(step_ids) or not all(step_ids):
                problems.append(f"{at}: step ids must be unique and non-empty")
            for step in steps:
                nxt = step.get("next")
                if nxt is not None and nxt not in step_ids:
                    problems.append(f"{at}: step {step.get('id')} -> unknown next {nxt!r}")
                if step.get("skill") not in skill_ids:
                    missing_refs.append(
                        f"{at}: step {step.get('id')} uses unknown skill {step.get('skill')!r}"
                    )
                    line = next(
                        (
                            i
                            for i, t in enumerate(text.splitlines())
                            if f"skill: {step.get('skill')}" in t
                        ),
                        None,
                    )
                    context = text.splitlines()[max(0, (line or 0) - 4) : (line or 0)]
                    if line is None or not any(t.strip().startswith("#") for t in context):
                        problems.append(
                            f"{at}: unknown skill {step.get('skill')!r} is not marked with a comment"
                        )
            if steps == previous_steps:
                problems.append(f"{at}: steps identical to the previous version")
            previous_steps = steps
    if len(missing_refs) > 1:
        problems.extend(missing_refs)
    if len(counts) < 9:
        problems.append(f"only {len(counts)} workflows (want at least 9)")
    if branches < 2:
        problems.append(f"only {branches} branching versions (want at least 2)")
    for ref in missing_refs:
        print(f"note (intended): {ref}")
    return counts


def check_runs(problems: list[str], counts: dict[str, int]) -> None:
    spec = importlib.util.spec_from_file_location("generate_runs", HERE / "generate_runs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    end = datetime(2026, 11, 20, 10, tzinfo=UTC)
    runs = list(module.generate_runs(3000, end=end, seed=11))
    if len(runs) != 3000:
        problems.append(f"generate_runs yielded {len(runs)} runs, not 3000")
    if runs != list(module.generate_runs(3000, end=end, seed=11)):
        problems.append("generate_runs is not deterministic for a fixed seed and end")
    statuses = {"success", "failure", "timeout", "cancelled"}
    for run in runs:
        rid = run["run_id"]
        if (
            run["workflow_id"] not in counts
            or not 1 <= run["workflow_version"] <= counts[run["workflow_id"]]
        ):
            problems.append(f"run {rid}: unknown workflow/version")
        if run["status"] not in statuses:
            problems.append(f"run {rid}: bad status {run['status']!r}")
        start, finish = run["started_at"], run["finished_at"]
        if start.tzinfo is None or not end - timedelta(days=30) <= start <= finish <= end:
            problems.append(f"run {rid}: timestamps out of range")
        if abs((finish - start) / timedelta(milliseconds=1) - run["duration_ms"]) > 1:
            problems.append(f"run {rid}: duration_ms does not match timestamps")
        steps = run["payload"]["steps"]
        if run["status"] == "success":
            if run["error"] is not None or any(s["status"] != "success" for s in steps):
                problems.append(f"run {rid}: success run with an error or a failed step")
        elif not run["error"] or steps[-1]["status"] != run["status"]:
            problems.append(
                f"run {rid}: {run['status']} run must end with a {run['status']} step and an error"
            )
        if len(problems) > 20:
            return
    json.dumps(runs[:10], default=str)


def main() -> int:
    problems: list[str] = []
    skill_ids = check_skills(problems)
    counts = check_workflows(problems, skill_ids)
    if counts:
        check_runs(problems, counts)
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print(f"{len(skill_ids)} skills, {len(counts)} workflows ({sum(counts.values())} versions)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

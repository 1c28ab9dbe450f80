"""Search quality on a labelled set: recall@1, recall@5 and MRR, model vs lexical fallback.

    .venv/bin/python bench/search_quality.py [--data bench/data/search_quality.json]

Writes the set's skills into a throwaway workspace, indexes them with each embedder
(all-MiniLM-L6-v2, then the BM25 fallback) and asks every query. Prints JSON. A query
"shares no word" with its target when no BM25 term (stemmed, stop words dropped) of the
query occurs in the target's indexed text.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.config.settings import IndexSettings, Settings  # noqa: E402
from backend.search import open_index  # noqa: E402
from backend.search.docs import SkillDoc  # noqa: E402
from backend.search.embedders import SparseEncoder  # noqa: E402
from backend.skills import Skill  # noqa: E402
from backend.workspace import Workspace, init_workspace  # noqa: E402


def write_skills(folder: Path, skills: list[dict[str, Any]]) -> None:
    """One canonical file per skill (as the skills store writes them)."""
    folder.mkdir(parents=True, exist_ok=True)
    for item in skills:
        skill = Skill(id=item["id"], name=item["name"], description=item.get("description", ""),
                      tags=tuple(item.get("tags", ())), code=item.get("code", ""), version=1)
        (folder / f"{skill.id}.json").write_bytes(skill.to_bytes())


def shares_no_word(sparse: SparseEncoder, query: str, skill: dict[str, Any]) -> bool:
    doc = SkillDoc(skill["id"], skill["name"], skill["description"], tuple(skill.get("tags", ())),
                   "", 0, 0, 0, 0)
    return not set(sparse.query(query)[0]) & set(sparse.document(doc.sparse_text())[0])


def evaluate(root: Path, embedder: str, queries: list[dict[str, str]]) -> dict[str, Any]:
    settings = dataclasses.replace(Settings(), index=IndexSettings(embedder=embedder, watch=False))
    with Workspace(root, settings) as ws:
        index = open_index(ws, watch=False, background=False)
        ws._track(index)
        if index.state != "ready":
            raise SystemExit(f"index not ready: {index.message}")
        ranks, misses = [], []
        for item in queries:
            ids = [hit.id for hit in index.search(item["q"], limit=10)]
            rank = ids.index(item["target"]) + 1 if item["target"] in ids else None
            ranks.append(rank)
            if rank != 1:
                misses.append({"q": item["q"], "target": item["target"], "rank": rank, "top": ids[:3]})
        status = index.status()
    n = len(ranks)
    return {
        "model": status.model,
        "recall@1": round(sum(r == 1 for r in ranks) / n, 3),
        "recall@5": round(sum(r is not None and r <= 5 for r in ranks) / n, 3),
        "mrr@10": round(sum(1 / r for r in ranks if r) / n, 3),
        "misses": misses,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(ROOT / "bench" / "data" / "search_quality.json"),
                        help="a labelled set: skills (or skills_dir) and queries with their target")
    args = parser.parse_args()
    data = json.loads(Path(args.data).read_text(encoding="utf-8"))
    if "skills_dir" in data:  # a set over an existing folder of skill files
        folder = ROOT / data["skills_dir"]
        data["skills"] = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    skills, queries = data["skills"], data["queries"]
    by_id = {s["id"]: s for s in skills}
    sparse = SparseEncoder()
    no_word = [q for q in queries if shares_no_word(sparse, q["q"], by_id[q["target"]])]
    result: dict[str, Any] = {"skills": len(skills), "queries": len(queries),
                              "queries_sharing_no_word": len(no_word)}
    with tempfile.TemporaryDirectory(prefix="storeroom-quality-") as tmp:
        root = init_workspace(Path(tmp) / "ws")
        write_skills(root / "skills", skills)
        result["model"] = evaluate(root, "minilm", queries)
        result["lexical"] = evaluate(root, "lexical", queries)
        no_word_set = {q["q"] for q in no_word}
        for mode in ("model", "lexical"):
            missed = {m["q"] for m in result[mode]["misses"] if m["rank"] != 1}
            result[mode]["recall@1_no_shared_word"] = round(
                sum(q not in missed for q in no_word_set) / max(len(no_word_set), 1), 3)
    result["floors"] = {"model_recall@1": 0.9, "model_recall@5": 0.98}
    result["pass"] = result["model"]["recall@1"] >= 0.9 and result["model"]["recall@5"] >= 0.98
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Hybrid ranking: exact id/name matches first, then meaning and words fused by RRF.

Reciprocal rank fusion adds ``weight / (K + rank)`` per list a skill appears in. Meaning
leads: paraphrased queries often share no word with their target and BM25 then ranks
noise, so the words list (weight 0.2, small K) reorders only near-ties and lifts rare
exact terms the model does not know into view. With the lexical fallback the words list
is the only list. (Tuned on bench/data/search_quality.json: a larger K or weight lets
BM25 noise displace the right answer from rank 1.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .engines import Hit

K = 3
DENSE_WEIGHT = 1.0
SPARSE_WEIGHT = 0.2
# Below this cosine similarity, the model is not claiming the skill means the query.
MEANING_FLOOR = 0.3


@dataclass(frozen=True)
class SearchHit:
    """One result: the skill, its fused score (0..1) and why it matched."""

    id: str
    name: str
    description: str
    tags: tuple[str, ...]
    score: float
    why: tuple[str, ...]  # any of "exact", "meaning", "words"
    similarity: float | None = None  # cosine similarity of the query and the skill (meaning)
    words: float | None = None  # BM25 score (words shared)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "score": round(self.score, 4), "why": list(self.why),
                "similarity": None if self.similarity is None else round(self.similarity, 4),
                "words": None if self.words is None else round(self.words, 4),
                "tags": list(self.tags), "description": self.description}


def fuse(exact: list[dict[str, Any]], dense: list[Hit], sparse: list[Hit], limit: int) -> list[SearchHit]:
    """Merge the three candidate lists into at most ``limit`` hits, best first."""
    best = (DENSE_WEIGHT if dense else 0.0) + (SPARSE_WEIGHT if sparse else 0.0)
    scores: dict[str, float] = {}
    payloads: dict[str, dict[str, Any]] = {}
    similarity = {h.skill_id: h.score for h in dense}
    words = {h.skill_id: h.score for h in sparse}
    for weight, hits in ((DENSE_WEIGHT, dense), (SPARSE_WEIGHT, sparse)):
        for rank, hit in enumerate(hits, 1):
            scores[hit.skill_id] = scores.get(hit.skill_id, 0.0) + weight / (K + rank)
            payloads.setdefault(hit.skill_id, hit.payload)
    norm = best / (K + 1) if best else 1.0
    ranked = sorted(scores, key=lambda ident: (-scores[ident], ident))
    out: list[SearchHit] = []
    seen: set[str] = set()
    for payload in sorted(exact, key=lambda p: p["skill_id"]):
        ident = payload["skill_id"]
        seen.add(ident)
        out.append(_hit(payload, 1.0, ("exact", *_reasons(ident, similarity, words)),
                        similarity.get(ident), words.get(ident)))
    for ident in ranked:
        if len(out) >= limit:
            break
        if ident in seen:
            continue
        reasons = _reasons(ident, similarity, words) or ("meaning",)
        out.append(_hit(payloads[ident], min(scores[ident] / norm, 1.0), reasons,
                        similarity.get(ident), words.get(ident)))
    return out[:limit]


def _reasons(ident: str, similarity: dict[str, float], words: dict[str, float]) -> tuple[str, ...]:
    reasons = []
    if similarity.get(ident, 0.0) >= MEANING_FLOOR:
        reasons.append("meaning")
    if words.get(ident, 0.0) > 0.0:
        reasons.append("words")
    return tuple(reasons)


def _hit(payload: dict[str, Any], score: float, why: tuple[str, ...], sim: float | None,
         words: float | None) -> SearchHit:
    return SearchHit(payload["skill_id"], str(payload.get("name", "")), str(payload.get("description", "")),
                     tuple(payload.get("tags", ())), score, why, sim, words)

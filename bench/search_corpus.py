"""Synthetic but varied skills for bench/search.py: 10k plausible agent tools.

Each skill combines an action, an object, a system and a purpose drawn from word lists,
with several sentence shapes, so descriptions differ in words, length and order.
Deterministic for a given seed.
"""

from __future__ import annotations

import random
from pathlib import Path

ACTIONS = ["Fetches", "Parses", "Validates", "Summarises", "Exports", "Imports", "Archives", "Compresses",
           "Deduplicates", "Monitors", "Schedules", "Translates", "Classifies", "Redacts", "Indexes",
           "Backs up", "Restores", "Migrates", "Renders", "Uploads", "Downloads", "Reconciles", "Audits",
           "Normalises", "Scans", "Tags", "Ranks", "Forecasts", "Merges", "Splits", "Encrypts", "Signs"]
OBJECTS = ["invoices", "log files", "customer emails", "product photos", "database tables", "calendar events",
           "support tickets", "sensor readings", "payment records", "pull requests", "container images",
           "DNS records", "TLS certificates", "spreadsheets", "PDF reports", "audio recordings",
           "chat transcripts", "web pages", "API responses", "metrics series", "user accounts",
           "shipping labels", "survey answers", "source files", "backup archives", "feature flags",
           "search queries", "contracts", "vector embeddings", "cron jobs", "error reports", "news articles"]
SYSTEMS = ["PostgreSQL", "S3", "Slack", "GitHub", "Kubernetes", "Redis", "Stripe", "Salesforce", "Jira",
           "Google Drive", "SFTP", "Kafka", "Elasticsearch", "SQLite", "Zendesk", "Shopify", "Twilio",
           "BigQuery", "Notion", "Dropbox", "Prometheus", "Grafana", "Docker", "MongoDB"]
PURPOSES = ["so finance can close the month", "before a release goes out", "to keep storage costs down",
            "for the weekly management report", "to catch problems before customers do",
            "so auditors can trace every change", "to feed the recommendation model",
            "when an on-call engineer asks for it", "to meet the retention policy",
            "so the support team answers faster", "for compliance with privacy rules",
            "to speed up nightly batch jobs", "so dashboards stay current", "to warn about outages early"]
DETAILS = ["Retries with backoff on timeouts.", "Skips records it has already seen.",
           "Writes a short summary at the end.", "Works in batches of a few hundred items.",
           "Keeps the original files untouched.", "Reports progress while it runs.",
           "Stops on the first validation error.", "Runs read-only unless told otherwise.", ""]
SHAPES = [
    "{action} {object} from {system} {purpose}. {detail}",
    "{action} {object} stored in {system}; {detail_lower} Useful {purpose}.",
    "Use it {purpose}: {action_lower} {object} in {system}. {detail}",
    "{action} and checks {object} coming from {system}. {detail}",
]
TAGS = ["data", "ops", "finance", "security", "web", "ml", "docs", "support", "devops", "storage",
        "reporting", "compliance", "media", "sales", "text", "cloud"]


def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-").replace("--", "-")


def generate(n: int, seed: int = 7) -> list[dict[str, object]]:
    """``n`` skill dicts with unique ids."""
    rng = random.Random(seed)
    out: list[dict[str, object]] = []
    for i in range(n):
        action, obj, system = rng.choice(ACTIONS), rng.choice(OBJECTS), rng.choice(SYSTEMS)
        detail = rng.choice(DETAILS)
        text = rng.choice(SHAPES).format(
            action=action, action_lower=action.lower(), object=obj, system=system,
            purpose=rng.choice(PURPOSES), detail=detail, detail_lower=detail.lower())
        name = f"{action} {obj} in {system}"
        out.append({"id": f"{slug(action)}-{slug(obj)}-{slug(system)}-{i:05d}", "name": name[:200],
                    "description": " ".join(text.split()), "tags": rng.sample(TAGS, k=rng.randint(1, 3))})
    return out


def write(folder: Path, skills: list[dict[str, object]]) -> None:
    """Write canonical skill files (as the skills store does)."""
    from backend.skills import Skill

    folder.mkdir(parents=True, exist_ok=True)
    for item in skills:
        skill = Skill(id=str(item["id"]), name=str(item["name"]), description=str(item["description"]),
                      tags=tuple(item["tags"]), version=1)  # type: ignore[arg-type]
        (folder / f"{skill.id}.json").write_bytes(skill.to_bytes())

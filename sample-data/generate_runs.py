"""Generate realistic execution-run records for the storeroom demo workspace.

Import it by path (this folder is not a package)::

    spec = importlib.util.spec_from_file_location("generate_runs", "sample-data/generate_runs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for run in module.generate_runs(1000):
        ...

or run it as a script::

    python sample-data/generate_runs.py 5000 --out runs.jsonl --seed 7

Each record is a dict with ``run_id``, ``workflow_id``, ``workflow_version``, ``status``,
``started_at``/``finished_at`` (aware UTC datetimes), ``duration_ms``, ``error`` and
``payload`` (``inputs``, ``steps``, ``outputs``). Step lists follow the workflow
definitions in ``workflows/*.yaml`` next to this file, so a run of
``nightly-report`` v5 really goes through ``fetch-metrics -> ... -> notify``.

The data is deterministic for a given seed and ``end``. Runs come out ordered by
``started_at`` (a run that would still be going at ``end`` is moved earlier so that it
finishes by then, which may put it slightly out of order).

Built-in storylines, visible in the run history:

* ``nightly-report`` v3 references the missing skill ``render-chart-png`` and fails
  almost always until v4 replaces it.
* ``pr-quality-gate`` v3 runs tests under ``pytest -n auto`` and flakes (~30 % failures).
* ``customer-import`` v3 requires ``customer_id``; the EU export lacks it (~30 % KeyError).
* ``web-research-digest`` v2 added LLM summaries and times out more often.
* ``docs-index-refresh`` v3 (bigger chunks, bigger model) is slower and sometimes runs
  out of memory.

Workflows that are not described below (e.g. passed in via ``workflows=``) get
generic steps, latencies and errors, and one of their versions is a regressed one.
"""

import argparse
import functools
import json
import math
import os
import random
import sys
import uuid
import zlib
from bisect import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKFLOWS_DIR = HERE / "workflows"

STATUSES = ("success", "failure", "timeout", "cancelled")

R = random.Random  # short alias for the lambdas below
Gen = Callable[[random.Random, dict[str, str]], str]  # (rng, previews so far by skill)


# --------------------------------------------------------------------------- profiles


@dataclass(frozen=True)
class Profile:
    """How one workflow behaves in production."""

    weight: float  # share of all runs
    schedule: str  # "nightly", "business", "always" or "weekly"
    hour: int = 2  # for nightly/weekly schedules (UTC)
    sigma: float = 0.45  # spread of the per-step log-normal latency
    failure: float = 0.07
    timeout: float = 0.035
    cancelled: float = 0.02
    step_ms: dict[str, int] = field(default_factory=dict)  # step id -> median ms override


PROFILES: dict[str, Profile] = {
    "nightly-report": Profile(
        weight=0.6,
        schedule="nightly",
        hour=2,
        sigma=0.35,
        failure=0.06,
        timeout=0.04,
        cancelled=0.005,
        step_ms={"fetch-metrics": 21_000},
    ),
    "pr-quality-gate": Profile(
        weight=16,
        schedule="business",
        sigma=0.4,
        failure=0.08,
        timeout=0.035,
        cancelled=0.04,
        step_ms={"tests": 95_000},
    ),
    "web-research-digest": Profile(
        weight=0.7,
        schedule="nightly",
        hour=6,
        sigma=0.5,
        failure=0.07,
        timeout=0.05,
        cancelled=0.01,
        step_ms={"fetch": 24_000, "extract": 1_900},
    ),
    "customer-import": Profile(
        weight=2,
        schedule="business",
        sigma=0.55,
        failure=0.07,
        timeout=0.03,
        cancelled=0.02,
    ),
    "k8s-incident-triage": Profile(
        weight=3,
        schedule="always",
        sigma=0.5,
        failure=0.11,
        timeout=0.06,
        cancelled=0.015,
    ),
    "invoice-ingest": Profile(
        weight=11,
        schedule="business",
        sigma=0.4,
        failure=0.085,
        timeout=0.035,
        cancelled=0.01,
    ),
    "meeting-scheduler": Profile(
        weight=9,
        schedule="business",
        sigma=0.35,
        failure=0.05,
        timeout=0.02,
        cancelled=0.04,
    ),
    "docs-index-refresh": Profile(
        weight=4,
        schedule="always",
        sigma=0.6,
        failure=0.06,
        timeout=0.05,
        cancelled=0.01,
    ),
    "site-link-audit": Profile(
        weight=0.5,
        schedule="weekly",
        hour=4,
        sigma=0.3,
        failure=0.06,
        timeout=0.07,
        cancelled=0.01,
        step_ms={"check": 140_000},
    ),
    "support-ticket-router": Profile(
        weight=30,
        schedule="business",
        sigma=0.35,
        failure=0.075,
        timeout=0.04,
        cancelled=0.012,
    ),
    "release-build": Profile(
        weight=2.5,
        schedule="business",
        sigma=0.3,
        failure=0.10,
        timeout=0.045,
        cancelled=0.03,
    ),
}
DEFAULT_PROFILE = Profile(weight=3, schedule="always", failure=0.08, timeout=0.04)


@dataclass(frozen=True)
class Regression:
    """A version that behaves noticeably worse than its siblings."""

    failure: float
    timeout: float | None = None  # None: the workflow's usual rate
    cancelled: float | None = None
    step: str | None = None  # the step that breaks (None: any step)
    share: float = 0.9  # fraction of the failures that happen at `step` with `errors`
    errors: tuple[str, ...] = ()
    slowdown: float = 1.0


REGRESSIONS: dict[tuple[str, int], Regression] = {
    ("nightly-report", 3): Regression(
        failure=1.0,
        timeout=0.0,
        cancelled=0.0,
        step="chart",
        share=1.0,
        errors=("SkillNotFoundError: skill 'render-chart-png' is not registered",),
    ),
    ("pr-quality-gate", 3): Regression(
        failure=0.30,
        step="tests",
        errors=(
            "sqlite3.OperationalError: database is locked",
            "AssertionError: tests/test_ledger.py::test_balance_after_refund - assert 0 == 3",
            "FixtureError: fixture 'shared_db' torn down by another xdist worker (gw3)",
            "PytestFailure: 4 failed, 1287 passed, 12 skipped with -n auto (worker gw2 crashed)",
        ),
    ),
    ("customer-import", 3): Regression(
        failure=0.31,
        step="dedupe",
        errors=("KeyError: 'customer_id'",),
    ),
    ("web-research-digest", 2): Regression(
        failure=0.08,
        timeout=0.14,
        step="summarise",
        errors=("HTTPError 429 from api.openai.com: Rate limit reached for gpt-4o-mini",),
    ),
    ("docs-index-refresh", 3): Regression(
        failure=0.18,
        step="embed",
        slowdown=1.8,
        errors=(
            "RuntimeError: DefaultCPUAllocator: not enough memory: you tried to allocate 805306368 bytes",
            "qdrant_client.http.exceptions.UnexpectedResponse: 400 (Bad Request) Wrong input: "
            "Vector dimension error: expected dim: 384, got 512",
        ),
    ),
}

# --------------------------------------------------------------------------- skills

# Typical median latency of one step of each skill, in ms.
SKILL_MS: dict[str, int] = {
    "run-readonly-sql": 3_500,
    "aggregate-metrics": 1_400,
    "render-markdown-report": 120,
    "post-slack-message": 380,
    "upload-to-s3": 2_100,
    "presign-s3-url": 160,
    "render-chart-png": 900,
    "git-diff-summary": 420,
    "format-python-code": 2_300,
    "lint-python": 3_100,
    "run-pytest": 110_000,
    "github-pr-comment": 850,
    "github-create-issue": 1_100,
    "parse-rss-feed": 2_600,
    "check-robots-txt": 1_800,
    "fetch-url": 1_300,
    "extract-article-text": 260,
    "summarize-text": 180,
    "llm-summarize": 11_000,
    "draft-email": 90,
    "send-email-smtp": 1_600,
    "csv-to-json": 2_800,
    "validate-json-schema": 1_900,
    "dedupe-records": 1_200,
    "parse-dates": 650,
    "validate-email-addresses": 14_000,
    "write-jsonl-file": 900,
    "json-to-csv": 700,
    "kubernetes-pod-health": 1_700,
    "tail-kubernetes-logs": 6_500,
    "redact-pii": 240,
    "page-oncall": 450,
    "extract-pdf-text": 2_400,
    "extract-entities": 60,
    "find-free-slots": 25,
    "convert-timezone": 15,
    "create-calendar-event": 35,
    "list-directory-tree": 800,
    "hash-files": 5_200,
    "chunk-text": 1_100,
    "embed-texts": 38_000,
    "upsert-vector-index": 4_800,
    "vector-search": 350,
    "parse-sitemap": 4_200,
    "check-url-status": 90_000,
    "check-tls-expiry": 600,
    "detect-language": 12,
    "translate-text": 900,
    "classify-support-ticket": 8,
    "git-recent-commits": 300,
    "docker-build-image": 160_000,
}
DEFAULT_SKILL_MS = 1_500

# How likely a step of this skill is to be the one that fails (default 1.0).
FRAGILITY: dict[str, float] = {
    "fetch-url": 3.0,
    "llm-summarize": 2.5,
    "translate-text": 2.0,
    "post-slack-message": 1.5,
    "run-pytest": 4.0,
    "docker-build-image": 3.0,
    "upload-to-s3": 1.5,
    "send-email-smtp": 2.0,
    "extract-pdf-text": 3.0,
    "embed-texts": 2.0,
    "upsert-vector-index": 1.5,
    "kubernetes-pod-health": 1.5,
    "tail-kubernetes-logs": 2.5,
    "check-url-status": 1.5,
    "csv-to-json": 2.0,
    "validate-json-schema": 1.5,
    "parse-rss-feed": 1.5,
    "render-markdown-report": 0.3,
    "draft-email": 0.3,
    "detect-language": 0.2,
    "classify-support-ticket": 0.2,
    "convert-timezone": 0.3,
    "extract-entities": 0.3,
}

SKILL_ERRORS: dict[str, tuple[str, ...]] = {
    "run-readonly-sql": (
        "sqlite3.OperationalError: database is locked",
        "sqlite3.OperationalError: unable to open database file",
    ),
    "aggregate-metrics": ("statistics.StatisticsError: must have at least one data point",),
    "render-markdown-report": ("KeyError: 'endpoint'",),
    "post-slack-message": (
        "HTTPError 429 from hooks.slack.com: rate_limited",
        "HTTPError 404 from hooks.slack.com: no_service",
        "URLError: [Errno -3] Temporary failure in name resolution",
    ),
    "upload-to-s3": (
        "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the "
        "PutObject operation: Access Denied",
        "botocore.exceptions.EndpointConnectionError: Could not connect to the endpoint URL: "
        '"https://s3.eu-central-1.amazonaws.com/"',
    ),
    "presign-s3-url": (
        "botocore.exceptions.ClientError: An error occurred (404) when calling the HeadObject "
        "operation: Not Found",
    ),
    "git-diff-summary": (
        "CalledProcessError: git diff returned 128: fatal: bad revision 'origin/main...HEAD'",
    ),
    "format-python-code": (
        "CalledProcessError: ruff format returned 2: error: Failed to parse src/billing/api.py:88:5",
    ),
    "lint-python": ("JSONDecodeError: Expecting value: line 1 column 1 (char 0)",),
    "run-pytest": (
        "PytestFailure: 2 failed, 1291 passed, 12 skipped",
        "AssertionError: tests/test_invoices.py::test_vat_rounding - assert Decimal('19.01') == Decimal('19.00')",
        "PytestFailure: 1 failed, 1292 passed - tests/test_api.py::test_pagination_cursor",
        "ImportError: cannot import name 'parse_amount' from 'billing.money'",
    ),
    "github-pr-comment": (
        "HTTPError 403 from api.github.com: API rate limit exceeded for installation",
        "HTTPError 502 from api.github.com",
    ),
    "github-create-issue": ("HTTPError 422 from api.github.com: Validation Failed (labels)",),
    "parse-rss-feed": (
        "ParseError: not well-formed (invalid token): line 1, column 0",
        "HTTPError 503 from feeds.feedburner.com",
    ),
    "check-robots-txt": ("URLError: [Errno 111] Connection refused",),
    "fetch-url": (
        "HTTPError 503 from api.example.com",
        "HTTPError 403 from medium.com",
        "URLError: <urlopen error [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed>",
        "ConnectionResetError: [Errno 104] Connection reset by peer",
    ),
    "extract-article-text": (
        "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xe9 in position 4113",
    ),
    "summarize-text": ("ValueError: max() arg is an empty sequence",),
    "llm-summarize": (
        "HTTPError 429 from api.openai.com: Rate limit reached for gpt-4o-mini",
        "HTTPError 500 from api.openai.com",
        "KeyError: 'choices'",
    ),
    "draft-email": ("FileNotFoundError: [Errno 2] No such file or directory: '/tmp/invite.ics'",),
    "send-email-smtp": (
        "SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted')",
        "SMTPRecipientsRefused: {'j.doe@acme.example': (550, b'5.1.1 User unknown')}",
    ),
    "csv-to-json": (
        "csv.Error: Could not determine delimiter",
        "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 0",
    ),
    "validate-json-schema": ("TypeError: expected string or bytes-like object, got 'NoneType'",),
    "dedupe-records": ("KeyError: 'email'",),
    "parse-dates": ("ValueError: month must be in 1..12",),
    "validate-email-addresses": (
        "TimeoutExpired: Command '['dig', '+short', 'MX', 'acme-holdings.example']' timed out "
        "after 10 seconds",
    ),
    "write-jsonl-file": ("OSError: [Errno 28] No space left on device",),
    "json-to-csv": ("PermissionError: [Errno 13] Permission denied: '/tmp/broken-links.csv'",),
    "kubernetes-pod-health": (
        "CalledProcessError: kubectl returned 1: error: You must be logged in to the server "
        "(Unauthorized)",
    ),
    "tail-kubernetes-logs": (
        "CalledProcessError: kubectl returned 1: Error from server (BadRequest): previous "
        'terminated container "api" in pod "payments-api-7c9f6d8b5-x2kqp" not found',
        "TimeoutExpired: Command 'kubectl logs' timed out after 60 seconds",
    ),
    "page-oncall": ("HTTPError 400 from events.pagerduty.com: Event object is invalid",),
    "extract-pdf-text": (
        "PdfReadError: EOF marker not found",
        "FileNotDecryptedError: File has not been decrypted",
        "PdfReadError: Invalid Elementary Object starting with b'%' @0",
    ),
    "find-free-slots": ("IndexError: list index out of range",),
    "convert-timezone": ("ZoneInfoNotFoundError: 'No time zone found with key US/Pacific-New'",),
    "create-calendar-event": ("ValueError: Invalid isoformat string: ''",),
    "list-directory-tree": ("PermissionError: [Errno 13] Permission denied: '/srv/docs/.private'",),
    "hash-files": (
        "FileNotFoundError: [Errno 2] No such file or directory: '/srv/docs/runbooks/~$draft.md'",
    ),
    "embed-texts": ("OSError: We couldn't connect to 'https://huggingface.co' to load this model",),
    "upsert-vector-index": (
        "ResponseHandlingException: [Errno 111] Connection refused (localhost:6333)",
    ),
    "parse-sitemap": ("HTTPError 404 from www.acme.example",),
    "check-url-status": ("RuntimeError: can't start new thread",),
    "check-tls-expiry": (
        "SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
        "certificate has expired",
        "gaierror: [Errno -2] Name or service not known",
    ),
    "translate-text": (
        "HTTPError 456 from api-free.deepl.com: Quota exceeded",
        "HTTPError 503 from api.deepl.com",
    ),
    "git-recent-commits": (
        "CalledProcessError: git log returned 128: fatal: not a git repository",
    ),
    "docker-build-image": (
        'CalledProcessError: docker build returned 1: failed to solve: process "/bin/sh -c pip '
        'install -r requirements.txt" did not complete successfully: exit code: 1',
        "CalledProcessError: docker build returned 1: failed to do request: Head "
        '"https://registry.acme.example/v2/base/python/manifests/3.11-slim": dial tcp: i/o timeout',
    ),
    "render-chart-png": ("SkillNotFoundError: skill 'render-chart-png' is not registered",),
}
GENERIC_ERRORS = (
    "HTTPError 503 from api.example.com",
    "ConnectionResetError: [Errno 104] Connection reset by peer",
    "RuntimeError: worker lost (exit code 137, OOMKilled)",
    "ValueError: invalid literal for int() with base 10: ''",
    "KeyError: 'id'",
)
CANCEL_REASONS = (
    "CancelledError: cancelled by {user}",
    "CancelledError: superseded by a newer run of {workflow}",
    "CancelledError: worker shutdown (SIGTERM) during step {step}",
)
USERS = ("alice", "bmartin", "chen.w", "dpatel", "eva", "fkowalski")


def _hex(r: R, n: int) -> str:
    return f"{r.getrandbits(4 * n):0{n}x}"


def _count(r: R, c: dict[str, str], skill: str, high: int) -> int:
    """The leading number of an earlier step's preview (keeps counts consistent)."""
    head = c.get(skill, "").split(" ", 1)[0].replace(",", "")
    return int(head) if head.isdigit() else r.randint(0, high)


def _unhealthy(c: dict[str, str]) -> int:
    """Unhealthy pod count from a kubernetes-pod-health preview ("12 healthy, 3 unhealthy ...")."""
    parts = c.get("kubernetes-pod-health", "").split(", ")
    return int(parts[1].split()[0]) if len(parts) > 1 else 0


def _should_page(r: R, c: dict[str, str]) -> bool:
    """Mirror the workflows' only_if conditions for page-oncall."""
    if "kubernetes-pod-health" in c:
        return _unhealthy(c) > 2
    if "classify-support-ticket" in c:
        return c["classify-support-ticket"] == "outage/high"
    return r.random() < 0.25


PREVIEWS: dict[str, Gen] = {
    "run-readonly-sql": lambda r, c: f"{r.randint(18_000, 190_000):,} rows x 3 columns",
    "aggregate-metrics": lambda r, c: (
        f"{r.randint(24, 61)} endpoints, p90 max {r.randint(380, 2900)} ms"
    ),
    "render-markdown-report": lambda r, c: f"{r.randint(40, 160)} lines of Markdown",
    "post-slack-message": lambda r, c: f"ok ({r.randint(120, 2900)} chars)",
    "upload-to-s3": lambda r, c: f"uploaded {r.randint(4, 9000)} KB, etag {_hex(r, 8)}",
    "presign-s3-url": lambda r, c: "presigned URL valid 168h",
    "git-diff-summary": lambda r, c: (
        f"{r.randint(1, 38)} files, +{r.randint(2, 900)} -{r.randint(0, 400)}"
    ),
    "format-python-code": lambda r, c: f"{r.randint(0, 6)} of {r.randint(6, 30)} files reformatted",
    "lint-python": lambda r, c: r.choice(
        ["clean", f"{r.randint(1, 14)} findings ({r.randint(0, 5)} fixable)"]
    ),
    "run-pytest": lambda r, c: (
        f"{r.randint(1240, 1320)} passed, {r.randint(0, 14)} skipped in {r.uniform(60, 240):.1f}s"
    ),
    "github-pr-comment": lambda r, c: (
        f"{r.choice(['created', 'updated'])} comment {r.randint(10**9, 3 * 10**9)}"
    ),
    "github-create-issue": lambda r, c: r.choice(
        ["skipped (main is green)", f"opened #{r.randint(2100, 2600)}"]
    ),
    "parse-rss-feed": lambda r, c: f"{r.randint(0, 34)} new entries from 12 feeds",
    "check-robots-txt": lambda r, c: f"{r.randint(10, 4800)} allowed, {r.randint(0, 40)} blocked",
    "fetch-url": lambda r, c: f"{r.randint(3, 34)} pages, {r.randint(90, 4200)} KB",
    "extract-article-text": lambda r, c: (
        f"{r.randint(3, 34)} articles, avg {r.randint(600, 2400)} words"
    ),
    "summarize-text": lambda r, c: f"{r.randint(3, 8)} sentences, {r.randint(60, 180)} words",
    "llm-summarize": lambda r, c: f"{r.randint(40, 200)} words ({r.randint(900, 14000)} tokens in)",
    "draft-email": lambda r, c: (
        f"draft saved ({r.randint(3, 60)} KB, {r.randint(1, 9)} recipients)"
    ),
    "send-email-smtp": lambda r, c: f"sent to {r.randint(1, 40)} recipients",
    "csv-to-json": lambda r, c: f"{r.randint(400, 52_000):,} records, {r.randint(9, 27)} columns",
    "validate-json-schema": lambda r, c: (
        f"{r.randint(400, 52_000):,} valid, {r.randint(0, 240)} invalid"
    ),
    "dedupe-records": lambda r, c: f"{r.randint(0, 900)} duplicates removed",
    "parse-dates": lambda r, c: f"{r.randint(400, 52_000):,} parsed, {r.randint(0, 30)} failed",
    "validate-email-addresses": lambda r, c: (
        f"{r.randint(400, 50_000):,} valid, {r.randint(0, 300)} invalid"
    ),
    "write-jsonl-file": lambda r, c: f"appended {r.randint(1, 50_000):,} records",
    "json-to-csv": lambda r, c: f"{r.randint(0, 4000)} rows x {r.randint(5, 14)} columns",
    "kubernetes-pod-health": lambda r, c: (
        f"{r.randint(4, 40)} healthy, {r.randint(1, 6)} unhealthy "
        f"({r.choice(['CrashLoopBackOff', 'ImagePullBackOff', 'NotReady', 'OOMKilled'])})"
    ),
    "tail-kubernetes-logs": lambda r, c: (
        f"{r.randint(12, 4000)} lines from {_unhealthy(c) or r.randint(1, 6)} pods"
    ),
    "redact-pii": lambda r, c: f"{r.randint(0, 60)} redactions",
    "page-oncall": lambda r, c: (
        f"triggered, dedup_key {_hex(r, 8)}" if _should_page(r, c) else "skipped (condition false)"
    ),
    "extract-pdf-text": lambda r, c: f"{r.randint(1, 12)} pages, {r.randint(900, 40_000):,} chars",
    "extract-entities": lambda r, c: (
        f"{r.randint(1, 9)} amounts, {r.randint(0, 2)} IBAN, {r.randint(1, 3)} refs"
    ),
    "find-free-slots": lambda r, c: (
        f"{r.randint(1, 6)} slots, first {r.randint(9, 15):02d}:{r.choice(['00', '30'])}"
    ),
    "convert-timezone": lambda r, c: (
        f"{r.randint(2, 30)} timestamps -> {r.choice(['Europe/Berlin', 'America/New_York', 'Asia/Singapore'])}"
    ),
    "create-calendar-event": lambda r, c: f"invite.ics (1 event, {r.randint(2, 9)} attendees)",
    "list-directory-tree": lambda r, c: f"{r.randint(300, 2400)} entries",
    "hash-files": lambda r, c: f"{r.randint(900, 2400)} files hashed, {r.randint(0, 60)} changed",
    "chunk-text": lambda r, c: f"{r.randint(0, 1800)} chunks",
    "embed-texts": lambda r, c: f"{_count(r, c, 'chunk-text', 1800)} vectors x 384",
    "upsert-vector-index": lambda r, c: f"upserted {_count(r, c, 'chunk-text', 1800)} points",
    "vector-search": lambda r, c: f"top score {r.uniform(0.42, 0.91):.3f}",
    "parse-sitemap": lambda r, c: f"{r.randint(2900, 4900)} URLs",
    "check-url-status": lambda r, c: f"{r.randint(2900, 4800)} checked, {r.randint(0, 45)} broken",
    "check-tls-expiry": lambda r, c: f"expires in {r.randint(9, 88)} days (Let's Encrypt)",
    "detect-language": lambda r, c: (
        f"{r.choice(['en'] * 6 + ['de', 'de', 'fr', 'es', 'nl', 'pt', 'it'])} ({r.uniform(0.55, 0.95):.2f})"
    ),
    "translate-text": lambda r, c: (
        f"{c['detect-language'][:2].upper()}->EN, {r.randint(80, 6000)} chars"
        if c.get("detect-language", "xx")[:2] not in ("en", "un")
        else "skipped (source is en)"
    ),
    "classify-support-ticket": lambda r, c: (
        f"{r.choice(['billing', 'bug', 'account_access', 'feature_request', 'outage', 'other'])}/"
        f"{r.choice(['low', 'normal', 'normal', 'normal', 'high'])}"
    ),
    "git-recent-commits": lambda r, c: f"{r.randint(3, 140)} commits",
    "docker-build-image": lambda r, c: f"image {r.randint(180, 1400)} MB",
}


def _default_preview(r: R, c: dict[str, str]) -> str:
    return "ok"


# --------------------------------------------------------------------------- run inputs/outputs

_TEAM_CHANNELS = {
    "billing": "#support-billing",
    "account_access": "#support-accounts",
    "bug": "#support-tech",
    "outage": "#support-tech",
    "feature_request": "#product-feedback",
}
_REPOS = ("acme/billing-api", "acme/agent-runtime", "acme/web-frontend", "acme/ledger")
_SERVICES = ("billing-api", "agent-runtime", "ledger", "notifier")
_NAMESPACES = (
    ("payments", "app=payments-api"),
    ("search", "app=search-indexer"),
    ("agents", "component=worker"),
    ("ingest", "app=invoice-ocr"),
)


def _date(r: R, started: datetime) -> str:
    return (started - timedelta(days=1)).date().isoformat()


INPUTS: dict[str, Callable[[R, datetime], dict]] = {
    "nightly-report": lambda r, t: {"date": _date(r, t)},
    "pr-quality-gate": lambda r, t: {
        "repo": (repo := r.choice(_REPOS)),
        "pr_number": r.randint(1200, 1990),
        "head_sha": _hex(r, 40),
        "checkout": f"/work/checkouts/{repo.split('/')[1]}",
    },
    "web-research-digest": lambda r, t: {
        "feed_urls": r.randint(8, 14),
        "since": (t - timedelta(days=1)).isoformat(timespec="seconds"),
    },
    "customer-import": lambda r, t: {
        "csv_path": f"/data/incoming/crm-export-{r.choice(['eu', 'us', 'apac'])}-{t:%Y%m%d}.csv",
    },
    "k8s-incident-triage": lambda r, t: dict(
        zip(("namespace", "selector"), r.choice(_NAMESPACES), strict=True),
        cluster=r.choice(["prod-eu-1", "prod-us-2"]),
        alert=r.choice(["KubePodCrashLooping", "KubeDeploymentReplicasMismatch", "HighErrorRate"]),
    ),
    "invoice-ingest": lambda r, t: {
        "pdf_path": f"/data/ap-inbox/{r.choice(['INV', 'RE', 'FAC'])}-{r.randint(10_000, 99_999)}.pdf",
        "supplier": r.choice(
            [
                "Nordwind Logistik GmbH",
                "Brightdesk Ltd",
                "Papeterie Moreau SA",
                "Cloudbase Inc",
                "Oficina Verde SL",
            ]
        ),
    },
    "meeting-scheduler": lambda r, t: {
        "topic": r.choice(
            [
                "Q4 roadmap review",
                "Incident 2231 postmortem",
                "Vendor demo: Qdrant",
                "1:1",
                "Hiring sync",
                "Pricing page copy review",
            ]
        ),
        "attendees": r.randint(2, 8),
        "duration_min": r.choice([15, 30, 30, 45, 60]),
        "organizer_tz": r.choice(["Europe/Berlin", "Europe/London", "America/New_York"]),
    },
    "docs-index-refresh": lambda r, t: {
        "root": "/srv/docs",
        "trigger": r.choice(["push", "push", "schedule"]),
    },
    "site-link-audit": lambda r, t: {"site": "https://www.acme.example"},
    "support-ticket-router": lambda r, t: {
        "ticket_id": r.randint(48_000, 79_999),
        "channel": r.choice(["email", "email", "web", "chat"]),
    },
    "release-build": lambda r, t: {
        "service": r.choice(_SERVICES),
        "tag": f"v{r.randint(1, 3)}.{r.randint(0, 24)}.{r.randint(0, 9)}",
        "checkout": "/work/release",
    },
}

# Outputs of successful runs: (rng, previews by skill) -> dict.
OUTPUTS: dict[str, Callable[[R, dict[str, str]], dict]] = {
    "nightly-report": lambda r, c: {
        "endpoints": r.randint(24, 61),
        "regressions": r.choice([0, 0, 0, 1, 2]),
        "slack_ts": f"{r.randint(1_760_000_000, 1_790_000_000)}.{r.randint(0, 999_999):06d}",
    },
    "pr-quality-gate": lambda r, c: {
        "verdict": "pass",
        "lint_findings": r.choice([0, 0, 0, 2, 5]),
        "tests_passed": r.randint(1240, 1320),
    },
    "web-research-digest": lambda r, c: {
        "articles": r.randint(3, 30),
        "skipped_by_robots": r.randint(0, 3),
    },
    "customer-import": lambda r, c: {
        "imported": r.randint(400, 50_000),
        "rejected": r.randint(0, 240),
        "duplicates": r.randint(0, 900),
    },
    "k8s-incident-triage": lambda r, c: {
        "unhealthy_pods": _unhealthy(c),
        "paged": c.get("page-oncall", "").startswith("triggered"),
    },
    "invoice-ingest": lambda r, c: {
        "invoice_ref": f"INV-{r.randint(100_000, 999_999)}",
        "amount_eur": round(r.lognormvariate(6.5, 1.1), 2),
        "needs_manual_entry": r.random() < 0.08,
    },
    "meeting-scheduler": lambda r, c: {
        "slot_start": f"{r.randint(9, 16):02d}:{r.choice(['00', '30'])}",
        "invite": "invite.ics",
    },
    "docs-index-refresh": lambda r, c: {
        "changed_files": int(
            c.get("hash-files", "0 files hashed, 0 changed").split(", ")[1].split()[0]
        )
        if "hash-files" in c
        else r.randint(0, 60),
        "chunks_upserted": _count(r, c, "chunk-text", 1800),
    },
    "site-link-audit": lambda r, c: {
        "urls_checked": r.randint(2900, 4800),
        "broken": r.randint(0, 45),
    },
    "support-ticket-router": lambda r, c: {
        "category": (category := c.get("classify-support-ticket", "other/normal").split("/")[0]),
        "urgency": c.get("classify-support-ticket", "other/normal").split("/")[1],
        "routed_to": _TEAM_CHANNELS.get(category, "#support-triage"),
        "language": c.get("detect-language", "en")[:2],
    },
    "release-build": lambda r, c: {
        "image": f"registry.acme.example/agents@sha256:{_hex(r, 64)}",
        "size_mb": r.randint(180, 1400),
    },
}


def _default_inputs(r: R, t: datetime) -> dict:
    return {"trigger": r.choice(["schedule", "schedule", "manual", "api"])}


# --------------------------------------------------------------------------- workflow steps

GENERIC_STEPS = (
    ("fetch", "fetch-url"),
    ("parse", "jsonpath-extract"),
    ("validate", "validate-json-schema"),
    ("dedupe", "dedupe-records"),
    ("store", "write-jsonl-file"),
    ("notify", "post-slack-message"),
)


@dataclass(frozen=True)
class Step:
    id: str
    skill: str
    timeout_s: int | None = None


def _ordered_steps(steps: list[dict]) -> list[Step]:
    """Follow the `next` chain from the first step (falls back to list order)."""
    by_id = {s.get("id"): s for s in steps if isinstance(s, dict)}
    if not by_id:
        return []
    order, current = [], next(iter(by_id))
    while current in by_id and current not in order:
        order.append(current)
        current = by_id[current].get("next")
    result = []
    for step_id in order:
        raw = by_id[step_id]
        inputs = raw.get("inputs") or {}
        limit = inputs.get("timeout_s") if isinstance(inputs, dict) else None
        result.append(
            Step(str(step_id), str(raw.get("skill")), limit if isinstance(limit, int) else None)
        )
    return result


@functools.lru_cache(maxsize=4)
def load_workflow_definitions(directory: str | None = None) -> dict[str, list[list[Step]]]:
    """Read workflows/*.yaml: {workflow_id: [steps of v1, steps of v2, ...]}."""
    import yaml  # imported lazily so the module imports without PyYAML

    folder = Path(directory) if directory else WORKFLOWS_DIR
    definitions: dict[str, list[list[Step]]] = {}
    for path in sorted(folder.glob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            document = yaml.safe_load(handle) or {}
        versions = document.get("versions") or []
        definitions[str(document.get("id", path.stem))] = [
            _ordered_steps(((v.get("definition") or {}).get("steps")) or []) for v in versions
        ]
    return definitions


def _synthetic_steps(workflow_id: str, version: int) -> list[Step]:
    crc = zlib.crc32(workflow_id.encode())
    count = 3 + (crc + version // 2) % 3
    return [Step(i, s) for i, s in GENERIC_STEPS[: count - 1]] + [Step(*GENERIC_STEPS[-1])]


def _nice_timeout(median_ms: float) -> int:
    for limit in (10, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if limit * 1000 >= median_ms * 6:
            return limit
    return 7200


# --------------------------------------------------------------------------- plan


@dataclass
class _Plan:
    """Everything precomputed for one (workflow, version)."""

    workflow_id: str
    version: int
    steps: list[
        tuple[str, str, float, int, Gen, tuple[str, ...]]
    ]  # id, skill, mu, timeout_ms, preview, errors
    cum_status: list[float]
    fail_weights: list[float]
    slow_weights: list[float]
    forced_step: int | None
    forced_errors: tuple[str, ...]
    forced_share: float
    sigma: float


def _make_plan(
    workflow_id: str, version: int, steps: list[Step], regressed: Regression | None
) -> _Plan:
    profile = PROFILES.get(workflow_id, DEFAULT_PROFILE)
    slowdown = regressed.slowdown if regressed else 1.0
    planned = []
    for step in steps:
        median = profile.step_ms.get(step.id, SKILL_MS.get(step.skill, DEFAULT_SKILL_MS)) * slowdown
        timeout_s = step.timeout_s or _nice_timeout(median)
        planned.append(
            (
                step.id,
                step.skill,
                math.log(median),
                timeout_s * 1000,
                PREVIEWS.get(step.skill, _default_preview),
                SKILL_ERRORS.get(step.skill, GENERIC_ERRORS),
            )
        )
    failure, timeout, cancelled = profile.failure, profile.timeout, profile.cancelled
    forced_step, forced_errors, forced_share = None, (), 0.0
    if regressed:
        failure = regressed.failure
        timeout = regressed.timeout if regressed.timeout is not None else timeout
        cancelled = regressed.cancelled if regressed.cancelled is not None else cancelled
        forced_errors, forced_share = regressed.errors, regressed.share
        ids = [s.id for s in steps]
        if regressed.step in ids:
            forced_step = ids.index(regressed.step)
    success = max(0.0, 1.0 - failure - timeout - cancelled)
    return _Plan(
        workflow_id=workflow_id,
        version=version,
        steps=planned,
        cum_status=list(accumulate((success, failure, timeout, cancelled))),
        fail_weights=[FRAGILITY.get(s.skill, 1.0) for s in steps],
        slow_weights=[math.exp(p[2]) for p in planned],
        forced_step=forced_step,
        forced_errors=forced_errors,
        forced_share=forced_share,
        sigma=profile.sigma,
    )


def _regression_for(workflow_id: str, version: int, versions: list[int]) -> Regression | None:
    if workflow_id in PROFILES:
        return REGRESSIONS.get((workflow_id, version))
    if len(versions) >= 3:  # unknown workflow: one middle version is the bad one
        bad = sorted(versions)[1 + zlib.crc32(workflow_id.encode()) % (len(versions) - 2)]
        if version == bad:
            return Regression(
                failure=0.30,
                share=0.7,
                errors=("KeyError: 'customer_id'", "HTTPError 503 from api.example.com"),
            )
    return None


# --------------------------------------------------------------------------- timing


def _hour_weight(schedule: str, ts: float) -> float:
    days, seconds = divmod(int(ts), 86400)
    weekend = (days + 3) % 7 >= 5  # 1970-01-01 was a Thursday
    hour = seconds // 3600
    if schedule == "business":
        base = 1.0 if 8 <= hour < 18 else (0.35 if 6 <= hour < 21 else 0.06)
        return base * (0.12 if weekend else 1.0)
    # "always": mild diurnal curve, a bit quieter at weekends
    return (0.65 + 0.35 * math.sin((hour - 8) / 24 * 2 * math.pi)) * (0.8 if weekend else 1.0)


def _sample_start(r: R, profile: Profile, start_ts: float, span: float) -> float:
    if profile.schedule in ("nightly", "weekly"):
        # cron fires at hour:00; queueing adds a few minutes of delay
        t = start_ts + r.random() * span
        day = datetime.fromtimestamp(t, UTC).replace(
            hour=profile.hour, minute=0, second=0, microsecond=0
        )
        if profile.schedule == "weekly":
            day -= timedelta(days=day.weekday())  # Mondays
        t = day.timestamp() + abs(r.gauss(0, 1)) * 180 + r.random() * 20
        while t < start_ts:
            t += 7 * 86400 if profile.schedule == "weekly" else 86400
        while t > start_ts + span:
            t -= 7 * 86400 if profile.schedule == "weekly" else 86400
        return max(t, start_ts)
    for _ in range(64):
        t = start_ts + r.random() * span
        if r.random() < _hour_weight(profile.schedule, t):
            return t
    return t


def _pick_version(r: R, versions: list[int], fraction: float) -> int:
    """Newer versions take over as time passes; a few callers stay pinned to old ones."""
    if len(versions) == 1:
        return versions[0]
    if r.random() < 0.06:
        return r.choice(versions[:-1])
    # the last version is live for the final ~40 % of the window
    position = fraction * (len(versions) - 1) / 0.6 + r.gauss(0, 0.15)
    return versions[min(len(versions) - 1, max(0, int(position)))]


# --------------------------------------------------------------------------- generator


def generate_runs(
    n: int,
    *,
    workflows: dict[str, list[int]] | None = None,
    seed: int = 7,
    end: datetime | None = None,
    days: int = 30,
) -> Iterator[dict]:
    """Yield `n` realistic execution-run records from the `days` days before `end`.

    `workflows` maps workflow id -> version numbers that may be run; by default the ids
    and version counts come from the workflows/*.yaml files next to this module.
    """
    if n <= 0:
        return
    if days <= 0:
        raise ValueError("days must be positive")
    definitions: dict[str, list[list[Step]]] = {}
    try:
        definitions = load_workflow_definitions()
    except (FileNotFoundError, ImportError):
        if workflows is None:
            raise
    if workflows is None:
        if not definitions:
            raise FileNotFoundError(f"no workflow definitions found in {WORKFLOWS_DIR}")
        workflows = {wid: list(range(1, len(v) + 1)) for wid, v in definitions.items() if v}
    workflows = {wid: sorted(set(vs)) for wid, vs in workflows.items() if vs}
    if not workflows:
        raise ValueError("workflows must name at least one workflow with at least one version")

    end = end or datetime.now(UTC)
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    end_ts = end.timestamp()
    span = days * 86400.0
    start_ts = end_ts - span

    r = random.Random(seed)
    ids = sorted(workflows)
    profiles = [PROFILES.get(wid, DEFAULT_PROFILE) for wid in ids]
    cum_weights = list(accumulate(p.weight for p in profiles))

    plans: dict[tuple[str, int], _Plan] = {}
    for wid in ids:
        known = definitions.get(wid, [])
        for version in workflows[wid]:
            if known:
                steps = known[min(max(version, 1), len(known)) - 1]
            else:
                steps = _synthetic_steps(wid, version)
            steps = steps or _synthetic_steps(wid, version)
            plans[wid, version] = _make_plan(
                wid, version, steps, _regression_for(wid, version, workflows[wid])
            )

    # 1) when each run starts, and which workflow it belongs to
    total = cum_weights[-1]
    schedule: list[tuple[float, int]] = []
    for _ in range(n):
        index = bisect(cum_weights, r.random() * total)
        schedule.append((_sample_start(r, profiles[index], start_ts, span), index))
    schedule.sort()

    # 2) everything else, in chronological order
    for started_ts, index in schedule:
        wid = ids[index]
        version = _pick_version(r, workflows[wid], (started_ts - start_ts) / span)
        plan = plans[wid, version]
        yield _make_run(r, plan, started_ts, end_ts)


def _make_run(r: R, plan: _Plan, started_ts: float, end_ts: float) -> dict:
    status = STATUSES[bisect(plan.cum_status, r.random() * plan.cum_status[-1])]
    steps = plan.steps
    last = len(steps) - 1
    error = None
    forced = False
    if status == "failure":
        forced = bool(plan.forced_errors) and r.random() < plan.forced_share
        if forced and plan.forced_step is not None:
            last = plan.forced_step
        else:
            last = r.choices(range(len(steps)), weights=plan.fail_weights)[0]
    elif status == "timeout":
        last = r.choices(range(len(steps)), weights=plan.slow_weights)[0]
    elif status == "cancelled":
        last = r.randrange(len(steps))

    step_records = []
    context: dict[str, str] = {}
    total_ms = 0
    for position in range(last + 1):
        step_id, skill, mu, timeout_ms, preview, errors = steps[position]
        ms = min(int(math.exp(mu + plan.sigma * r.gauss(0.0, 1.0))) + 3, timeout_ms - 1)
        step_status, text = "success", None
        if position == last and status != "success":
            step_status = status
            if status == "failure":
                error = r.choice(plan.forced_errors if forced else errors)
                ms = max(3, int(ms * r.uniform(0.05, 1.0)))
            elif status == "timeout":
                error = f"TimeoutError: step {step_id} exceeded {timeout_ms // 1000}s"
                ms = timeout_ms + r.randint(2, 900)
            else:
                error = r.choice(CANCEL_REASONS).format(
                    user=r.choice(USERS), workflow=plan.workflow_id, step=step_id
                )
                ms = max(3, int(ms * r.random()))
            text = error[:120]
        else:
            text = context[skill] = preview(r, context)
        total_ms += ms
        step_records.append(
            {
                "id": step_id,
                "skill": skill,
                "status": step_status,
                "duration_ms": ms,
                "output_preview": text,
            }
        )
    duration_ms = total_ms + 15 * len(step_records) + r.randint(20, 400)  # scheduling overhead

    # a run must have finished by `end`
    started_ts = min(started_ts, end_ts - duration_ms / 1000 - r.uniform(0.5, 30))
    started_ts = round(started_ts, 3)
    started = datetime.fromtimestamp(started_ts, UTC)
    finished = started + timedelta(milliseconds=duration_ms)

    inputs = INPUTS.get(plan.workflow_id, _default_inputs)(r, started)
    outputs = (
        OUTPUTS.get(plan.workflow_id, _default_outputs)(r, context) if status == "success" else {}
    )
    return {
        "run_id": str(uuid.UUID(int=r.getrandbits(128), version=4)),
        "workflow_id": plan.workflow_id,
        "workflow_version": plan.version,
        "status": status,
        "started_at": started,
        "finished_at": finished,
        "duration_ms": duration_ms,
        "error": error,
        "payload": {"inputs": inputs, "steps": step_records, "outputs": outputs},
    }


def _default_outputs(r: R, c: dict[str, str]) -> dict:
    return {"records": r.randint(0, 5000)}


# --------------------------------------------------------------------------- CLI


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate demo execution runs as JSON lines.")
    parser.add_argument("n", type=int, help="number of runs to generate")
    parser.add_argument("--out", help="output .jsonl file (default: stdout)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    parser.add_argument(
        "--days", type=int, default=30, help="spread runs over this many days (default: 30)"
    )
    parser.add_argument("--end", help="ISO-8601 end of the time window (default: now, UTC)")
    args = parser.parse_args(argv)

    end = datetime.fromisoformat(args.end) if args.end else None
    runs = generate_runs(args.n, seed=args.seed, end=end, days=args.days)
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    dumps = json.JSONEncoder(
        default=_json_default, ensure_ascii=False, separators=(",", ":")
    ).encode
    try:
        for run in runs:
            out.write(dumps(run) + "\n")
        out.flush()
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stdout = open(os.devnull, "w")  # keep the interpreter from complaining at exit
        return 0
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

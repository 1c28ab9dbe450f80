"""Bad inputs get clear errors on both engines, and nothing is written."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest
from logs_support import END, a_run

from backend.errors import ValidationError


class NotJson:
    pass


BAD = [
    ({"status": "exploded"}, r"unknown status 'exploded'.*success, failure, timeout, cancelled"),
    ({"started_at": END.replace(tzinfo=None)}, r"started_at .* has no timezone"),
    ({"finished_at": "2026-03-01T12:00:00"}, r"finished_at .* has no timezone"),
    ({"started_at": "yesterday"}, r"not an ISO-8601 timestamp"),
    ({"payload": {"x": NotJson()}}, r"payload is not JSON.*NotJson"),
    ({"payload": {"x": float("nan")}}, r"payload is not JSON"),
    ({"payload": {"s": {1, 2}}}, r"payload is not JSON"),
    ({"payload": [1, 2]}, r"payload must be a JSON object"),
    ({"payload": {"out": "a\x00b"}}, r"payload contains a NUL byte"),
    ({"error": "bad\x00byte"}, r"error contains a NUL byte"),
    ({"workflow_id": "wf\x00x"}, r"workflow_id contains a NUL byte"),
    ({"payload": {"blob": "x" * (10 * 1024 * 1024)}}, r"payload is 10.0 MiB, over the 1.0 MiB limit"),
    ({"run_id": "not-a-uuid"}, r"is not a UUID"),
    ({"workflow_version": 0}, r"workflow_version 0 must be an integer >= 1"),
    ({"workflow_version": True}, r"workflow_version True"),
    ({"duration_ms": -5}, r"duration_ms -5 must be a non-negative integer"),
    ({"workflow_id": ""}, r"workflow_id is empty"),
]


@pytest.mark.parametrize(("change", "message"), BAD, ids=[m[:30] for _, m in BAD])
def test_bad_run_is_refused_clearly(ws, change, message):
    with pytest.raises(ValidationError, match=message) as info:
        ws.logs.store_log(a_run(**change))
    assert info.value.hint  # says what to do next
    with pytest.raises(ValidationError, match=message):
        ws.metrics.record_execution(a_run(**change))
    assert ws.logs.count() == 0
    assert ws.metrics.list_summaries() == []


def test_finished_before_started(ws):
    with pytest.raises(ValidationError, match="finished_at is before started_at"):
        ws.logs.store_log(a_run(finished_at=END - timedelta(hours=1), started_at=END))


def test_escaped_backslash_u0000_text_is_fine(ws):
    # The characters "\u0000" written out (not a NUL) are ordinary text.
    run = a_run(payload={"code": "print('\\\\u0000')", "literal": "\\u0000"})
    ws.logs.store_log(run)
    assert ws.logs.get_log(run["run_id"]).payload == run["payload"]


def test_other_timezones_are_normalised(ws):
    tz = timezone(timedelta(hours=5, minutes=30))
    run = a_run(started_at=END.astimezone(tz))
    run["finished_at"] = run["started_at"] + timedelta(seconds=1)
    ws.logs.store_log(run)
    got = ws.logs.get_log(run["run_id"])
    assert got.started_at == END and got.started_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("payload", [
    {"steps": [{"id": "s1", "ms": 1.5, "ok": True, "err": None}], "é": "ünïcode ✓", "n": 10**30},
    {"x": float("inf")}, {1: "int key"}, {"when": END}, {"t": (1, 2)}, {"big": -(2**70)},
])
def test_payload_text_is_what_the_strict_encoder_writes_or_the_same_refusal(payload):
    """The fast encoder never accepts what json refuses, and its text means the same."""
    import json

    from backend.errors import ValidationError as VE
    from backend.logs.validate import encode_payload

    try:
        expected = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        with pytest.raises(VE, match="payload is not JSON"):
            encode_payload(payload, "run")
        return
    text = encode_payload(payload, "run")
    assert json.loads(text) == json.loads(expected)
    assert ", " not in text and '": ' not in text

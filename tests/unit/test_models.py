"""Ids and OpenCode's message shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from opencode_lsp.core import ids
from opencode_lsp.core.message import MessageWithParts, Session, parse_message, parse_part

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "opencode-1.18.33-session-export.json"


def test_ascending_ids_are_strictly_monotonic_within_one_millisecond():
    made = [ids.new_id("prt", now_ms=1_700_000_000_000) for _ in range(500)]
    assert made == sorted(made) and len(set(made)) == 500
    assert all(len(i) == len("prt_") + 26 for i in made)


def test_session_ids_sort_newest_first():
    older = ids.new_id("ses", now_ms=1_700_000_000_000)
    newer = ids.new_id("ses", now_ms=1_700_000_005_000)
    assert sorted([older, newer]) == [newer, older]


def test_ids_encode_time_like_opencode(monkeypatch):
    monkeypatch.setattr(ids, "_last_value", 0)  # as in a fresh process
    # The reference user message was created at 1795585047316 ms; its id carries that clock
    # (times 4096, low 48 bits) in its first hex digits, as ours does.
    data = json.loads(REFERENCE.read_text())
    info = data["messages"][0]["info"]
    ours = ids.new_id("msg", now_ms=info["time"]["created"])
    assert ours[:13] == info["id"][:13]
    session = ids.new_id("ses", now_ms=data["info"]["time"]["created"])
    assert session[:10] == data["info"]["id"][:10]


def test_slug_is_adjective_noun():
    first, _, second = ids.new_slug().partition("-")
    assert first.isalpha() and second.isalpha()


def test_reference_export_round_trips_exactly():
    data = json.loads(REFERENCE.read_text())
    assert Session.model_validate(data["info"]).dump() == data["info"]
    for entry in data["messages"]:
        assert MessageWithParts.model_validate(entry).dump() == entry


def test_unknown_part_type_is_rejected_with_a_clear_error():
    with pytest.raises(ValidationError) as info:
        parse_part({"id": "prt_1", "sessionID": "ses_1", "messageID": "msg_1", "type": "hologram"})
    assert "hologram" in str(info.value)


def test_tool_state_is_a_discriminated_union():
    part = parse_part({
        "id": "prt_1", "sessionID": "s", "messageID": "m", "type": "tool", "callID": "c", "tool": "bash",
        "state": {"status": "error", "input": {}, "error": "boom", "time": {"start": 1, "end": 2}},
    })
    assert part.state.status == "error" and part.state.error == "boom"
    with pytest.raises(ValidationError):
        parse_part({"id": "p", "sessionID": "s", "messageID": "m", "type": "tool", "callID": "c",
                    "tool": "bash", "state": {"status": "completed", "input": {}}})


def test_message_errors_are_name_and_data():
    msg = parse_message({
        "id": "msg_1", "sessionID": "s", "role": "assistant", "time": {"created": 1}, "parentID": "msg_0",
        "modelID": "m", "providerID": "p", "mode": "build", "agent": "build", "path": {"cwd": "/", "root": "/"},
        "error": {"name": "APIError", "data": {"message": "slow down", "statusCode": 429, "isRetryable": True}},
    })
    assert msg.error.name == "APIError" and msg.error.data.statusCode == 429
    assert msg.dump()["error"] == {"name": "APIError", "data": {"message": "slow down", "statusCode": 429,
                                                                 "isRetryable": True}}

"""Stored messages -> model messages: OpenCode's conversion rules, on raw records and typed ones."""

from __future__ import annotations

from typing import Any

from opencode_lsp.core.message import MessageWithParts
from opencode_lsp.core.transcript import (
    CLEARED,
    COMPACTION_REQUEST,
    INTERRUPTED,
    SUBTASK_NOTE,
    to_model_messages,
)

S = {"sessionID": "ses_1"}
PNG = "data:image/png;base64,iVBORw0KGgo="


def user(mid: str, *parts: dict[str, Any]) -> dict[str, Any]:
    return {"info": {"id": mid, "role": "user", "time": {"created": 1}, "agent": "build",
                     "model": {"providerID": "p", "modelID": "m"}, **S},
            "parts": [{"id": f"prt_{mid}_{i}", "messageID": mid, **S, **p} for i, p in enumerate(parts)]}


def assistant(mid: str, *parts: dict[str, Any], model: str = "m", error: dict[str, Any] | None = None) -> dict[str, Any]:
    info = {"id": mid, "role": "assistant", "time": {"created": 1, "completed": 2}, "parentID": "msg_u",
            "providerID": "p", "modelID": model, "mode": "build", "agent": "build",
            "path": {"cwd": "/", "root": "/"}, "finish": "stop", **S}
    if error:
        info["error"] = error
    return {"info": info, "parts": [{"id": f"prt_{mid}_{i}", "messageID": mid, **S, **p} for i, p in enumerate(parts)]}


def tool(call: str, status: str, **state: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"status": status, "input": {"filePath": "a.py"}}
    if status in ("completed", "error"):
        base["time"] = {"start": 1, "end": 2, **state.pop("time", {})}
    if status == "running":
        base["time"] = {"start": 1}
    if status == "completed":
        base.update(title="a.py", output="out")
    return {"type": "tool", "callID": call, "tool": "read", "state": {**base, **state}}


def both(entries: list[dict[str, Any]], model_ref: str = "p/m", **kw: Any) -> list[dict[str, Any]]:
    """Convert raw and typed entries; both must give the same messages."""
    raw = to_model_messages(entries, model_ref, **kw)
    typed = to_model_messages([MessageWithParts.model_validate(e) for e in entries], model_ref, **kw)
    assert raw == typed
    return raw


def test_user_text_rules_and_expanded_files():
    out = both([user("msg_1", {"type": "text", "text": "hello"}, {"type": "text", "text": "   "},
                     {"type": "text", "text": "hidden", "ignored": True},
                     {"type": "text", "text": "file body", "synthetic": True},
                     {"type": "file", "mime": "text/plain", "url": "file:///a.py", "filename": "a.py"},
                     {"type": "file", "mime": "application/x-directory", "url": "file:///d"},
                     {"type": "agent", "name": "explore"})])
    # Several texts stay separate items, in their order (OpenCode 1.18.33 through the AI SDK);
    # a lone text goes as a plain string.
    assert out == [{"role": "user", "content": [{"type": "text", "text": "hello"}, {"type": "text", "text": "file body"}]}]
    assert both([user("msg_1", {"type": "text", "text": "hello"}, {"type": "text", "text": " "})]) == [
        {"role": "user", "content": "hello"}]


def test_images_are_media_or_notes_when_stripped():
    entry = user("msg_1", {"type": "text", "text": "look"}, {"type": "file", "mime": "image/png", "url": PNG,
                                                           "filename": "shot.png"})
    media = both([entry])[0]["content"]
    assert media[1] == {"type": "image_url", "image_url": {"url": PNG}}
    stripped = both([entry], strip_media=True)[0]["content"]
    assert "image/png" in str(stripped) and "shot.png" in str(stripped) and "base64" not in str(stripped)


def test_compaction_and_subtask_parts_become_short_texts():
    out = both([user("msg_1", {"type": "compaction", "auto": True}),
                user("msg_2", {"type": "subtask", "prompt": "p", "description": "d", "agent": "general"})])
    assert out == [{"role": "user", "content": COMPACTION_REQUEST}, {"role": "user", "content": SUBTASK_NOTE}]


def test_errored_messages_skipped_unless_aborted_with_content():
    api = {"name": "APIError", "data": {"message": "boom"}}
    aborted = {"name": "MessageAbortedError", "data": {"message": "stop"}}
    out = both([assistant("msg_1", {"type": "text", "text": "partial"}, error=api),
                assistant("msg_2", {"type": "step-start"}, {"type": "reasoning", "text": "hm", "time": {"start": 1}},
                          error=aborted),
                assistant("msg_3", {"type": "text", "text": "kept so far"}, error=aborted)])
    assert out == [{"role": "assistant", "content": "kept so far"}]


def test_tool_states_interrupted_error_and_compacted():
    out = both([assistant("msg_1", {"type": "text", "text": "working"},
                          tool("c1", "completed"), tool("c2", "pending"), tool("c3", "running"),
                          tool("c4", "error", error="no such file"),
                          tool("c5", "completed", time={"compacted": 9}))])
    call, *results = out
    assert call["content"] == "working" and [c["id"] for c in call["tool_calls"]] == ["c1", "c2", "c3", "c4", "c5"]
    assert call["tool_calls"][0]["function"] == {"name": "read", "arguments": '{"filePath": "a.py"}'}
    # A tool's error reaches the model as stored, with no prefix (OpenCode 1.18.33).
    assert [r["content"] for r in results] == ["out", INTERRUPTED, INTERRUPTED, "no such file", CLEARED]
    assert all(r["role"] == "tool" for r in results)


def test_tool_output_cap_and_attachments():
    long = tool("c1", "completed", output="x" * 5000,
                attachments=[{"id": "prt_a", "messageID": "msg_1", "type": "file", "mime": "image/png", "url": PNG, **S}])
    out = both([assistant("msg_1", long)], tool_output_cap=100)
    assert out[1]["content"].startswith("x" * 100) and len(out[1]["content"]) < 200
    assert out[2]["role"] == "user" and out[2]["content"][1]["type"] == "image_url"
    assert "image_url" not in str(both([assistant("msg_1", long)], strip_media=True))


def test_reasoning_only_replayed_to_its_own_model():
    entry = assistant("msg_1", {"type": "reasoning", "text": "think", "time": {"start": 1}},
                      {"type": "text", "text": "answer"})
    same = both([entry], "p/m")[0]
    assert same == {"role": "assistant", "content": "answer", "reasoning_content": "think"}
    other = both([entry], "p/other")[0]
    assert other == {"role": "assistant", "content": "think\n\nanswer"}


def test_empty_assistant_messages_are_dropped():
    assert both([assistant("msg_1", {"type": "step-start"}, {"type": "step-finish", "reason": "stop"})]) == []

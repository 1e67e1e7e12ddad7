"""The summary request's conversation text (OpenCode 1.18.33's shape, our labels)."""

from __future__ import annotations

from opencode_lsp.core.compaction_text import (
    CLEARED_MARK,
    CUT_MARK,
    TOOL_OUTPUT_CAP,
    conversation_text,
    summary_request_text,
)


def entry(role, *parts, **info):
    return {"info": {"role": role, **info}, "parts": list(parts)}


def tool(status, **state):
    return {"type": "tool", "tool": "read", "state": {"status": status, "input": {"filePath": "a.py"}, **state}}


def test_messages_become_labelled_lines_separated_by_blank_lines():
    text = conversation_text([
        entry("user", {"type": "text", "text": "look"}, {"type": "text", "text": "hidden", "ignored": True},
              {"type": "text", "text": "and this"}, {"type": "file", "mime": "image/png", "filename": "s.png"}),
        entry("assistant", {"type": "step-start"}, {"type": "reasoning", "text": "hm"}, {"type": "text", "text": "ok"},
              tool("completed", output="x" * (TOOL_OUTPUT_CAP + 5)), tool("error", error="boom"),
              tool("completed", output="old", time={"compacted": 1}), tool("running")),
    ])
    user, assistant = text.split("\n\n")
    assert user == "[user] look\nand this\n[attached image/png: s.png]"
    lines = assistant.split("\n")
    assert lines[:3] == ["[assistant thinking] hm", "[assistant] ok", '[tool call] read({"filePath":"a.py"})']
    assert lines[3] == "[tool result] " + "x" * TOOL_OUTPUT_CAP and "\n".join(lines[4:5]) == CUT_MARK.strip()
    assert lines[5:] == ['[tool call] read({"filePath":"a.py"})', "[tool error] boom",
                         '[tool call] read({"filePath":"a.py"})', f"[tool result] {CLEARED_MARK}",
                         '[tool call] read({"filePath":"a.py"})']


def test_a_prior_summary_is_given_apart_with_the_update_note():
    head = [entry("user", {"type": "compaction", "auto": True}),
            entry("assistant", {"type": "text", "text": "OLD SUMMARY"}, summary=True),
            entry("user", {"type": "text", "text": "next"})]
    text = summary_request_text(head, "INSTRUCTIONS", "UPDATE")
    assert text.startswith("The conversation up to now:\n\n<conversation>\n[user] next\n</conversation>")
    assert "<prior-summary>\nOLD SUMMARY\n</prior-summary>\n\nUPDATE\n\nINSTRUCTIONS" in text
    plain = summary_request_text(head[2:], "INSTRUCTIONS", "UPDATE")
    assert "prior-summary" not in plain and "UPDATE" not in plain and plain.endswith("</conversation>\n\nINSTRUCTIONS")

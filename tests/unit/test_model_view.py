"""What the model reads, as OpenCode 1.18.33 sends it (recorded with bench/compare_opencode.py
and a probe of real OpenCode): plan-mode and plan-to-build reminders added to the last user
message and never stored; attached files as a read call, its output, then the file part, each
text a separate item; unknown tools replayed as calls of ``invalid`` with ``{tool, error}``;
tool errors as stored, with no prefix."""

from __future__ import annotations

import json

from opencode_lsp.core.llm import Finish, TextDelta
from opencode_lsp.core.reminders import BUILD_SWITCH_REMINDER, PLAN_REMINDER
from opencode_lsp.core.user_input import PromptInput

from .test_loop import make_app, root, tool_turn  # noqa: F401 (fixture)


def answer(text: str) -> list:
    return [TextDelta(text=text), Finish(reason="stop")]


def user_items(request) -> list:
    content = [m for m in request.messages if m["role"] == "user"][-1]["content"]
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


async def test_plan_reminder_then_build_switch_reminder_on_the_last_user_message_only(root):
    app = make_app(root, [answer("planned"), answer("built"), answer("again")])
    sid = app.sessions.create().id
    await app.runner.prompt(sid, PromptInput(parts=[{"type": "text", "text": "plan it"}], agent="plan"))
    await app.runner.prompt(sid, PromptInput(parts=[{"type": "text", "text": "do it"}], agent="build"))
    plan_request, build_request = app.provider.model.requests
    assert user_items(plan_request) == [{"type": "text", "text": "plan it"}, {"type": "text", "text": PLAN_REMINDER}]
    # Build after plan: the switch note goes on the newest user message; the plan note is gone.
    assert user_items(build_request) == [{"type": "text", "text": "do it"},
                                         {"type": "text", "text": BUILD_SWITCH_REMINDER}]
    assert PLAN_REMINDER not in json.dumps(build_request.messages)
    assert "changed from plan to build" in BUILD_SWITCH_REMINDER
    # Neither is stored.
    stored = json.dumps([e["parts"] for e in app.sessions.messages(sid)])
    assert "system-reminder" not in stored


async def test_no_reminder_for_build_without_plan_history(root):
    app = make_app(root, [answer("ok")])
    sid = app.sessions.create().id
    await app.runner.prompt(sid, PromptInput(parts=[{"type": "text", "text": "hi"}]))
    assert user_items(app.provider.model.requests[0]) == [{"type": "text", "text": "hi"}]


async def test_attached_file_is_a_read_call_its_output_then_the_file_part(root):
    (root / "notes.txt").write_text("one\ntwo\nthree\n")
    app = make_app(root, [answer("seen"), answer("seen again")])
    sid = app.sessions.create().id
    url = (root / "notes.txt").as_uri()
    await app.runner.prompt(sid, PromptInput(parts=[
        {"type": "text", "text": "look"}, {"type": "text", "text": "and this"},
        {"type": "file", "url": url, "mime": "text/plain", "filename": "notes.txt"}]))
    parts = app.sessions.messages(sid)[0]["parts"]
    assert [(p["type"], p.get("synthetic", False)) for p in parts] == [
        ("text", False), ("text", False), ("text", True), ("text", True), ("file", False)]
    assert parts[2]["text"].endswith(json.dumps({"filePath": str(root / "notes.txt")}, separators=(",", ":")))
    assert parts[3]["text"] == (f"<path>{root / 'notes.txt'}</path>\n<type>file</type>\n<content>\n"
                                "1: one\n2: two\n3: three\n\n(End of file - total 3 lines)\n</content>")
    # Each text goes as its own item, in the stored order; the text file part itself is not sent.
    assert user_items(app.provider.model.requests[0]) == [{"type": "text", "text": p["text"]} for p in parts[:4]]
    # A line range is the read call's offset and limit.
    await app.runner.prompt(sid, PromptInput(parts=[{"type": "file", "url": url + "?start=2&end=3", "mime": "text/plain"}]))
    ranged = app.sessions.messages(sid)[2]["parts"]
    assert json.loads(ranged[0]["text"].split(": ", 1)[1]) == {"filePath": str(root / "notes.txt"), "offset": 2, "limit": 2}
    assert "2: two\n3: three\n" in ranged[1]["text"] and "1: one" not in ranged[1]["text"]


async def test_unknown_tool_is_stored_and_replayed_as_a_call_of_invalid(root):
    app = make_app(root, [tool_turn("teleport", '{"to": "mars"}'), answer("ok")])
    sid = app.sessions.create().id
    await app.runner.prompt(sid, PromptInput(parts=[{"type": "text", "text": "x"}]))
    tool = next(p for p in app.sessions.messages(sid)[1]["parts"] if p["type"] == "tool")
    assert tool["tool"] == "invalid" and set(tool["state"]["input"]) == {"tool", "error"}
    assert tool["state"]["input"]["tool"] == "teleport" and "read" in tool["state"]["input"]["error"]
    assert tool["state"]["output"].endswith(": " + tool["state"]["input"]["error"])
    replay = app.provider.model.requests[1].messages
    call = next(m for m in replay if m.get("tool_calls"))["tool_calls"][0]
    assert call["function"]["name"] == "invalid" and json.loads(call["function"]["arguments"]) == tool["state"]["input"]


async def test_tool_error_reaches_the_model_without_a_prefix(root):
    app = make_app(root, [tool_turn("read", json.dumps({"filePath": str(root / "missing.txt")})), answer("ok")])
    sid = app.sessions.create().id
    await app.runner.prompt(sid, PromptInput(parts=[{"type": "text", "text": "x"}]))
    result = next(m for m in app.provider.model.requests[1].messages if m["role"] == "tool")
    assert result["content"].startswith(f"File not found: {root / 'missing.txt'}")

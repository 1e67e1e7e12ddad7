"""The agent loop with the model scripted through the core's LanguageModel protocol."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from opencode_lsp.app import App
from opencode_lsp.core.config import Config
from opencode_lsp.core.llm import (
    Finish,
    ModelError,
    ModelInfo,
    TextDelta,
    ToolCall,
    ToolCallStart,
    Usage,
)
from opencode_lsp.core.user_input import PromptInput
from opencode_lsp.storage import MemoryStore
from tests.support.scripted_model import ScriptedModel, ScriptedProvider


def make_app(root: Path, turns: list[Any], config: Config | None = None) -> App:
    model = ScriptedModel(ModelInfo(providerID="fake", modelID="m", cost={"input": 1.0, "output": 2.0}), turns,
                          title="A title")
    return App(root, config or Config(model="fake/m"), MemoryStore(), provider=ScriptedProvider(model),
               data_dir=root.parent / "data")


def tool_turn(name: str, arguments: str, call_id: str = "call_1") -> list[Any]:
    return [ToolCallStart(index=0, id=call_id, name=name),
            ToolCall(index=0, id=call_id, name=name, arguments=arguments),
            Finish(reason="tool-calls", usage=Usage(prompt=100, completion=10))]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "a.txt").write_text("alpha\nbeta\n")
    return ws


async def test_tool_step_then_text_step(root):
    app = make_app(root, [
        tool_turn("read", f'{{"filePath": "{root / "a.txt"}"}}'),
        [TextDelta(text="It has "), TextDelta(text="two lines."), Finish(reason="stop", usage=Usage(prompt=200, completion=5))],
    ])
    session = app.sessions.create()
    result = await app.runner.prompt(session.id, PromptInput(parts=[{"type": "text", "text": "read a.txt"}]))
    assert result.info.finish == "stop"
    assert [p.type for p in result.parts] == ["step-start", "text", "step-finish"]
    entries = app.sessions.typed_messages(session.id)
    tool = next(p for p in entries[1].parts if p.type == "tool")
    assert tool.state.status == "completed" and "1: alpha" in tool.state.output
    # Cost: (100*1 + 10*2)/1e6 + (200*1 + 5*2)/1e6
    info = app.sessions.get(session.id)
    assert info.cost == pytest.approx((120 + 210) / 1e6)
    assert info.tokens.input == 300 and info.tokens.output == 15


async def test_invalid_json_arguments_go_to_the_invalid_tool(root):
    app = make_app(root, [tool_turn("read", "{not json"), [TextDelta(text="sorry"), Finish(reason="stop")]])
    session = app.sessions.create()
    await app.runner.prompt(session.id, PromptInput(parts=[{"type": "text", "text": "x"}]))
    tool = next(p for p in app.sessions.typed_messages(session.id)[1].parts if p.type == "tool")
    assert tool.tool == "invalid" and tool.state.status == "completed"


async def test_unknown_tool_is_routed_to_invalid(root):
    app = make_app(root, [tool_turn("teleport", "{}"), [TextDelta(text="ok"), Finish(reason="stop")]])
    session = app.sessions.create()
    await app.runner.prompt(session.id, PromptInput(parts=[{"type": "text", "text": "x"}]))
    tool = next(p for p in app.sessions.typed_messages(session.id)[1].parts if p.type == "tool")
    assert tool.tool == "invalid" and "teleport" in tool.state.output


async def test_doom_loop_asks_after_three_identical_calls(root):
    call = f'{{"filePath": "{root / "a.txt"}"}}'
    same = [ToolCallStart(index=i, id=f"c{i}", name="read") for i in range(3)] + \
           [ToolCall(index=i, id=f"c{i}", name="read", arguments=call) for i in range(3)] + \
           [Finish(reason="tool-calls")]
    app = make_app(root, [same, [TextDelta(text="done"), Finish(reason="stop")]])
    asked: list[dict] = []
    app.bus.subscribe(lambda e: asked.append(e.properties) if e.type == "permission.asked" else None)

    async def answer():
        for _ in range(500):
            if asked:
                app.permissions.reply(asked[0]["id"], "once")
                return
            await asyncio.sleep(0.01)

    session = app.sessions.create()
    answering = asyncio.ensure_future(answer())
    await asyncio.wait_for(app.runner.prompt(session.id, PromptInput(parts=[{"type": "text", "text": "x"}])), 10)
    await answering
    assert [a["permission"] for a in asked] == ["doom_loop"]


async def test_retryable_error_then_success_and_abort_during_wait(root, monkeypatch):
    from opencode_lsp.core import step

    monkeypatch.setattr(step, "RETRY_INITIAL_MS", 10)
    app = make_app(root, [[ModelError("overloaded", status_code=529, retryable=True)],
                          [TextDelta(text="fine"), Finish(reason="stop")]])
    session = app.sessions.create()
    result = await app.runner.prompt(session.id, PromptInput(parts=[{"type": "text", "text": "x"}]))
    # As OpenCode 1.18.33: a request refused before streaming leaves no retry part and no
    # second step-start; only the session status showed the retry.
    assert [p.type for p in result.parts] == ["step-start", "text", "step-finish"]

    app2 = make_app(root, [[ModelError("slow", status_code=429, retryable=True, retry_after_ms=30000)]])
    s2 = app2.sessions.create()
    running = asyncio.ensure_future(app2.runner.prompt(s2.id, PromptInput(parts=[{"type": "text", "text": "x"}])))
    for _ in range(500):
        if app2.runner.status().get(s2.id, {}).get("type") == "retry":
            break
        await asyncio.sleep(0.01)
    assert app2.runner.status()[s2.id]["type"] == "retry"
    assert await app2.runner.abort(s2.id) is True
    result = await asyncio.wait_for(running, 5)
    assert result.info.error.name == "MessageAbortedError"
    assert app2.runner.status() == {}


async def _offered(root: Path, model_id: str, parent: bool = False, agent: str | None = None) -> set[str]:
    app = make_app(root, [[TextDelta(text="hi"), Finish(reason="stop")]])
    app.provider.model.info = ModelInfo(providerID="fake", modelID=model_id)
    parent_id = app.sessions.create().id if parent else None
    session = app.sessions.create(parent_id=parent_id)
    await app.runner.prompt(session.id, PromptInput(parts=[{"type": "text", "text": "x"}], agent=agent,
                                                    model={"providerID": "fake", "modelID": model_id}))
    request = app.provider.model.requests[-1]
    assert request.tool_choice == "auto"
    return {spec.name for spec in request.tools}


async def test_tools_offered_per_model_as_opencode_does(root):
    # GPT-5-class ids get apply_patch instead of edit/write; every other model the reverse.
    for model_id in ("gpt-5", "gpt-5.1-codex", "openai/gpt-5-mini"):
        tools = await _offered(root, model_id)
        assert "apply_patch" in tools and not {"edit", "write"} & tools, model_id
    for model_id in ("m", "gpt-4.1", "gpt-oss-120b", "claude-sonnet-4"):
        tools = await _offered(root, model_id)
        assert {"edit", "write"} <= tools and "apply_patch" not in tools, model_id


async def test_general_subagent_gets_neither_task_nor_todowrite(root):
    top = await _offered(root, "m", agent="build")
    assert {"task", "todowrite"} <= top
    child = await _offered(root, "m", parent=True, agent="general")
    assert not {"task", "todowrite"} & child and {"read", "edit", "bash"} <= child


async def test_rejected_doom_loop_ends_the_message_with_an_error_and_no_step_finish(root):
    call = f'{{"filePath": "{root / "a.txt"}"}}'
    same = [ToolCallStart(index=i, id=f"c{i}", name="read") for i in range(3)] + \
           [ToolCall(index=i, id=f"c{i}", name="read", arguments=call) for i in range(3)] + \
           [Finish(reason="tool-calls")]
    app = make_app(root, [same, [TextDelta(text="never asked"), Finish(reason="stop")]])
    asked: list[dict] = []
    app.bus.subscribe(lambda e: asked.append(e.properties) if e.type == "permission.asked" else None)

    async def reject():
        for _ in range(500):
            if asked:
                app.permissions.reply(asked[0]["id"], "reject")
                return
            await asyncio.sleep(0.01)

    session = app.sessions.create()
    rejecting = asyncio.ensure_future(reject())
    await asyncio.wait_for(app.runner.prompt(session.id, PromptInput(parts=[{"type": "text", "text": "x"}])), 10)
    await rejecting
    entries = app.sessions.messages(session.id)
    assert len(entries) == 2 and len(app.provider.model.requests) == 1
    answer = entries[1]
    assert answer["info"]["error"]["name"] == "UnknownError" and answer["info"].get("finish") is None
    assert answer["info"]["time"].get("completed")
    assert [p["type"] for p in answer["parts"]] == ["step-start", "tool", "tool", "tool"]
    # The step ends with the stream, as in OpenCode 1.18.33: all three calls end as errors.
    assert [p["state"]["status"] for p in answer["parts"][1:]] == ["error", "error", "error"]
    assert answer["parts"][1]["state"]["error"] == "Tool execution aborted"


async def test_doom_loop_denied_by_a_rule_halts_like_a_rejection(root):
    call = f'{{"filePath": "{root / "a.txt"}"}}'
    same = [ToolCallStart(index=i, id=f"c{i}", name="read") for i in range(3)] + \
           [ToolCall(index=i, id=f"c{i}", name="read", arguments=call) for i in range(3)] + \
           [Finish(reason="tool-calls")]
    app = make_app(root, [same, [TextDelta(text="never asked"), Finish(reason="stop")]],
                   Config(model="fake/m", permission={"*": "allow", "doom_loop": "deny"}))
    session = app.sessions.create()
    await asyncio.wait_for(app.runner.prompt(session.id, PromptInput(parts=[{"type": "text", "text": "x"}])), 10)
    entries = app.sessions.messages(session.id)
    assert len(entries) == 2 and len(app.provider.model.requests) == 1
    answer = entries[1]
    assert answer["info"]["error"]["name"] == "UnknownError" and answer["info"].get("finish") is None
    assert [p["type"] for p in answer["parts"]] == ["step-start", "tool", "tool", "tool"]
    assert [p["state"]["status"] for p in answer["parts"][1:]] == ["error", "error", "error"]


async def test_session_records_the_agent_and_model_of_each_prompt(root):
    """OpenCode 1.18.33 stores on the session the agent and model it was last prompted with."""
    app = make_app(root, [])
    session = app.sessions.create()
    assert session.agent is None and session.model is None
    await app.runner.prompt(session.id, PromptInput(parts=[{"type": "text", "text": "hi"}]))
    info = app.sessions.get(session.id)
    assert info.agent == "build" and info.model.dump() == {"id": "m", "providerID": "fake", "variant": "default"}
    await app.runner.prompt(session.id, PromptInput(parts=[{"type": "text", "text": "plan it"}], agent="plan"))
    assert app.sessions.get(session.id).agent == "plan"

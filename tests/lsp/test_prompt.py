"""The agent loop over LSP, through real litellm calls to a scripted OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.support.fake_openai import FakeOpenAI, is_title_request

from .conftest import call

USAGE_1 = {"prompt_tokens": 2441, "completion_tokens": 10}
USAGE_2 = {"prompt_tokens": 2533, "completion_tokens": 13, "cached_tokens": 500}


@pytest.fixture
def fake_title() -> str:
    return "Reading hello.py"


@pytest.fixture
def init_options(tmp_path: Path, fake: FakeOpenAI) -> dict[str, Any]:
    return {
        "storage": {"path": str(tmp_path / "store")},
        "events": True,
        "permissionUI": True,
        "model": "fake/m",
        "providers": {"fake": {"apiBase": fake.base_url}},
    }


def two_step_script(workspace: Path) -> list[list[dict[str, Any]]]:
    return [
        [{"tool_call": {"name": "read", "arguments": {"filePath": str(workspace / "hello.py")}, "id": "call_1",
                        "split": 3}},
         {"usage": USAGE_1}],
        [{"text": "The file prints hi. All good here, nothing else to do.", "chunks": 6}, {"usage": USAGE_2}],
    ]


async def new_session(client) -> str:
    return (await call(client, "opencode/session/create", {}))["id"]


def part_types(entry: dict[str, Any]) -> list[str]:
    return [p["type"] for p in entry["parts"]]


async def test_two_step_prompt_records_what_opencode_records(client, fake, workspace):
    fake.set_script(two_step_script(workspace))
    sid = await new_session(client)
    result = await call(client, "opencode/session/prompt", {
        "sessionID": sid, "parts": [{"type": "text", "text": "what does hello.py do"}], "workDoneToken": "t1",
    })
    assert result["info"]["role"] == "assistant" and result["info"]["finish"] == "stop"
    assert [p["type"] for p in result["parts"]] == ["step-start", "text", "step-finish"]
    assert result["parts"][1]["text"] == "The file prints hi. All good here, nothing else to do."

    messages = await call(client, "opencode/session/messages", {"sessionID": sid})
    user, first, second = messages
    assert user["info"]["role"] == "user" and user["info"]["model"] == {"providerID": "fake", "modelID": "m"}
    assert part_types(first) == ["step-start", "tool", "step-finish"]
    assert first["info"]["finish"] == "tool-calls" and first["info"]["parentID"] == user["info"]["id"]
    assert second["info"]["parentID"] == user["info"]["id"]
    tool = first["parts"][1]
    assert tool["tool"] == "read" and tool["callID"] == "call_1"
    assert tool["state"]["status"] == "completed"
    assert tool["state"]["input"] == {"filePath": str(workspace / "hello.py")}
    assert '1: print("hi")' in tool["state"]["output"]
    step1 = first["parts"][2]
    assert step1["reason"] == "tool-calls"
    assert step1["tokens"]["input"] == 2441 and step1["tokens"]["output"] == 10
    step2 = second["parts"][2]
    assert step2["tokens"]["input"] == 2533 - 500 and step2["tokens"]["cache"]["read"] == 500
    assert second["info"]["time"]["completed"] >= second["info"]["time"]["created"]

    # The model was sent the tool result in the second request.
    second_request = fake.requests[-1] if not is_title_request(fake.requests[-1]) else fake.requests[-2]
    tool_messages = [m for m in second_request["messages"] if m["role"] == "tool"]
    assert tool_messages and tool_messages[0]["tool_call_id"] == "call_1"

    # Streaming: begin, reports carrying events (text deltas arrive one by one), end.
    values = client.recorder.reports("t1")
    assert values[0]["kind"] == "begin" and values[0]["message"] == "build · fake/m"
    assert values[-1] == {"kind": "end", "message": "stop"}
    deltas = [v["event"]["properties"]["delta"] for v in values
              if v["kind"] == "report" and "delta" in v["event"]["properties"]]
    assert len(deltas) >= 3 and "".join(deltas) == "The file prints hi. All good here, nothing else to do."

    # Usage rolls up into the session, and the title was generated in the background.
    async def titled():
        info = await call(client, "opencode/session/get", {"sessionID": sid})
        return info if info["title"] == "Reading hello.py" else None

    for _ in range(50):
        info = await titled()
        if info:
            break
        await asyncio.sleep(0.1)
    assert info and info["tokens"]["input"] == 2441 + 2033


async def test_reasoning_deltas_become_a_reasoning_part(client, fake):
    fake.set_script([[{"reasoning": "Let me think about it.", "chunks": 3}, {"text": "Four.", "chunks": 2}]])
    sid = await new_session(client)
    result = await call(client, "opencode/session/prompt", {"sessionID": sid, "parts": [{"type": "text", "text": "2+2"}]})
    assert [p["type"] for p in result["parts"]] == ["step-start", "reasoning", "text", "step-finish"]
    reasoning = result["parts"][1]
    assert reasoning["text"] == "Let me think about it." and reasoning["time"]["end"] >= reasoning["time"]["start"]


async def test_retry_after_429_then_success(client, fake):
    fake.set_script([
        [{"error": {"status": 429, "headers": {"retry-after-ms": "50"}, "body": {"error": {"message": "slow down"}}}}],
        [{"text": "done"}],
    ])
    sid = await new_session(client)
    result = await call(client, "opencode/session/prompt", {"sessionID": sid, "parts": [{"type": "text", "text": "hi"}]})
    assert result["info"]["finish"] == "stop" and "error" not in result["info"]
    # As OpenCode 1.18.33: the retry shows in the session status only, no part, no extra step-start.
    assert [p["type"] for p in result["parts"]] == ["step-start", "text", "step-finish"]
    statuses = [e["properties"]["status"] for e in client.recorder.events
                if e["type"] == "session.status" and e["properties"]["sessionID"] == sid]
    assert any(s["type"] == "retry" and s["attempt"] == 1 for s in statuses)
    assert statuses[-1] == {"type": "idle"}


async def test_server_errors_and_cut_streams_retry(client, fake):
    fake.set_script([
        [{"error": {"status": 500, "headers": {"retry-after-ms": "10"}, "body": {"error": {"message": "boom"}}}}],
        [{"text": "partial", "chunks": 2}, {"cut": True}],
        [{"text": "recovered"}],
    ])
    sid = await new_session(client)
    result = await call(client, "opencode/session/prompt", {"sessionID": sid, "parts": [{"type": "text", "text": "hi"}]})
    assert result["info"]["finish"] == "stop"
    assert not [p for p in result["parts"] if p["type"] == "retry"]
    assert len([r for r in fake.requests if not is_title_request(r)]) == 3
    assert result["parts"][-2]["type"] == "text" and result["parts"][-2]["text"] == "recovered"


async def test_non_retryable_error_ends_the_message(client, fake):
    fake.set_script([[{"error": {"status": 400, "body": {"error": {"message": "bad request body"}}}}]])
    sid = await new_session(client)
    result = await call(client, "opencode/session/prompt", {"sessionID": sid, "parts": [{"type": "text", "text": "hi"}]})
    error = result["info"]["error"]
    assert error["name"] == "APIError" and error["data"]["statusCode"] == 400
    assert error["data"]["isRetryable"] is False
    # The session is idle and can be prompted again.
    fake.add_turns([{"text": "fine now"}])
    again = await call(client, "opencode/session/prompt", {"sessionID": sid, "parts": [{"type": "text", "text": "again"}]})
    assert again["info"]["finish"] == "stop"


async def wait_for_delta(client, token: str) -> None:
    await client.recorder.wait_for(lambda: any(
        v["kind"] == "report" and "delta" in v["event"]["properties"] for v in client.recorder.reports(token)))


async def wait_for_tool(client, token: str, status: str) -> None:
    await client.recorder.wait_for(lambda: any(
        v["kind"] == "report" and v["event"]["properties"].get("part", {}).get("type") == "tool"
        and v["event"]["properties"]["part"]["state"]["status"] == status for v in client.recorder.reports(token)))


async def assert_aborted(client, sid: str) -> dict[str, Any]:
    messages = await call(client, "opencode/session/messages", {"sessionID": sid})
    last = messages[-1]
    assert last["info"]["error"]["name"] == "MessageAbortedError"
    assert last["info"]["time"]["completed"]
    status = await call(client, "opencode/session/status", {})
    assert sid not in status
    return last


async def test_cancel_mid_text_with_cancel_request(client, fake):
    fake.set_script([[{"text": "Starting a long answer", "chunks": 3}, {"hang": True}]])
    sid = await new_session(client)
    request = asyncio.ensure_future(client.protocol.send_request_async(
        "opencode/session/prompt",
        {"sessionID": sid, "parts": [{"type": "text", "text": "go"}], "workDoneToken": "c1"}, msg_id="cancel-me"))
    await wait_for_delta(client, "c1")
    client.protocol.notify("$/cancelRequest", types.CancelParams(id="cancel-me"))
    with pytest.raises(JsonRpcException) as info:
        await asyncio.wait_for(request, 10)
    assert info.value.code == -32800
    last = await assert_aborted(client, sid)
    text = next(p for p in last["parts"] if p["type"] == "text")
    assert text["text"].startswith("Starting")
    # The session can be prompted again.
    fake.add_turns([{"text": "back"}])
    again = await call(client, "opencode/session/prompt", {"sessionID": sid, "parts": [{"type": "text", "text": "x"}]})
    assert again["info"]["finish"] == "stop"


async def test_abort_mid_tool(client, fake, workspace):
    fake.set_script([[{"tool_call": {"name": "bash", "arguments": {"command": "sleep 30", "description": "wait"}}}]])
    sid = await new_session(client)
    request = asyncio.ensure_future(call(client, "opencode/session/prompt", {
        "sessionID": sid, "parts": [{"type": "text", "text": "wait"}], "workDoneToken": "c2"}))
    await wait_for_tool(client, "c2", "running")
    assert await call(client, "opencode/session/abort", {"sessionID": sid}) is True
    result = await asyncio.wait_for(request, 10)
    assert result["info"]["error"]["name"] == "MessageAbortedError"
    tool = next(p for p in result["parts"] if p["type"] == "tool")
    assert tool["state"]["status"] == "error"
    assert tool["state"]["error"] == "Tool execution aborted"
    assert tool["state"]["metadata"]["interrupted"] is True
    await assert_aborted(client, sid)


async def test_cancel_progress_during_retry_wait(client, fake):
    fake.set_script([[{"error": {"status": 429, "headers": {"retry-after": "30"}, "body": {}}}]])
    sid = await new_session(client)
    request = asyncio.ensure_future(call(client, "opencode/session/prompt", {
        "sessionID": sid, "parts": [{"type": "text", "text": "hi"}], "workDoneToken": "c3"}))
    await client.recorder.wait_for(lambda: any(
        v["kind"] == "report" and v["event"]["type"] == "session.status"
        and v["event"]["properties"]["status"]["type"] == "retry" for v in client.recorder.reports("c3")))
    client.protocol.notify("window/workDoneProgress/cancel", types.WorkDoneProgressCancelParams(token="c3"))
    result = await asyncio.wait_for(request, 10)
    assert result["info"]["error"]["name"] == "MessageAbortedError"
    await assert_aborted(client, sid)


async def test_prompt_while_busy_is_queued_into_the_same_loop(client, fake):
    fake.set_script([
        [{"text": "Working on the first", "chunks": 2}, {"sleep": 0.8}, {"tool_call": {"name": "glob", "arguments": {"pattern": "*.py"}}}],
        [{"text": "Both handled."}],
    ])
    sid = await new_session(client)
    first = asyncio.ensure_future(call(client, "opencode/session/prompt", {
        "sessionID": sid, "parts": [{"type": "text", "text": "first task"}], "workDoneToken": "q1"}))
    await wait_for_delta(client, "q1")
    second = await asyncio.wait_for(call(client, "opencode/session/prompt", {
        "sessionID": sid, "parts": [{"type": "text", "text": "also this"}]}), 20)
    first_result = await asyncio.wait_for(first, 20)
    # Each request answers with its own prompt's answer: the first its tool step, the second the
    # step the loop made for it.
    assert first_result["info"]["finish"] == "tool-calls" and second["parts"][-2]["text"] == "Both handled."
    main_requests = [r for r in fake.requests if not is_title_request(r)]
    assert len(main_requests) == 2
    last_user = [m for m in main_requests[1]["messages"] if m["role"] == "user"][-1]
    assert "also this" in last_user["content"] and "system-reminder" in last_user["content"]
    messages = await call(client, "opencode/session/messages", {"sessionID": sid})
    assert [m["info"]["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[3]["info"]["parentID"] == messages[2]["info"]["id"]


async def test_max_steps_appends_the_note_as_assistant_and_keeps_tools(client, fake, workspace):
    # OpenCode 1.18.33: from the last allowed step on, its note is sent as an assistant message
    # and tools stay offered (tool_choice "auto").
    (workspace / ".opencode" / "agent").mkdir(parents=True)
    (workspace / ".opencode" / "agent" / "brief.md").write_text(
        "---\ndescription: short runs\nmode: primary\nsteps: 2\n---\nYou are brief.\n")
    fake.set_script([
        [{"tool_call": {"name": "glob", "arguments": {"pattern": "*.py"}}}],
        [{"text": "Summary: found hello.py."}],
    ])
    sid = await new_session(client)
    result = await call(client, "opencode/session/prompt", {
        "sessionID": sid, "agent": "brief", "parts": [{"type": "text", "text": "look around"}]})
    assert result["info"]["finish"] == "stop" and result["info"]["agent"] == "brief"
    main_requests = [r for r in fake.requests if not is_title_request(r)]
    assert len(main_requests) == 2
    assert main_requests[0].get("tools") and main_requests[1].get("tools")
    assert main_requests[1]["tool_choice"] == "auto"
    note = main_requests[1]["messages"][-1]
    assert note["role"] == "assistant" and "maximum number of steps" in json.dumps(note)
    assert "maximum number of steps" not in json.dumps(main_requests[0]["messages"])


async def test_structured_output(client, fake):
    schema = {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}
    fake.set_script([[{"tool_call": {"name": "StructuredOutput", "arguments": {"answer": 4}}}]])
    sid = await new_session(client)
    result = await call(client, "opencode/session/prompt", {
        "sessionID": sid, "parts": [{"type": "text", "text": "2+2"}], "format": {"type": "json_schema", "schema": schema}})
    assert result["info"]["structured"] == {"answer": 4}
    request = [r for r in fake.requests if not is_title_request(r)][0]
    assert request["tool_choice"] == "required"
    assert any(t["function"]["name"] == "StructuredOutput" for t in request["tools"])
    system = request["messages"][0]["content"]
    assert "calling the StructuredOutput tool" in (system if isinstance(system, str) else json.dumps(system))


async def test_status_agents_and_models(client, fake):
    assert await call(client, "opencode/session/status", {}) == {}
    agents = {a["name"]: a for a in await call(client, "opencode/agent/list", {})}
    for name in ("build", "plan", "general", "explore", "compaction", "title", "summary"):
        assert name in agents
    assert agents["build"]["mode"] == "primary" and agents["explore"]["mode"] == "subagent"
    assert agents["title"]["hidden"] is True
    models = await call(client, "opencode/model/list", {})
    assert any(m["providerID"] == "fake" and m["modelID"] == "m" for m in models)


async def test_no_reply_stores_without_calling_the_model(client, fake):
    sid = await new_session(client)
    result = await call(client, "opencode/session/prompt", {
        "sessionID": sid, "noReply": True, "parts": [{"type": "text", "text": "just a note"}]})
    assert result["info"]["role"] == "user" and result["parts"][0]["text"] == "just a note"
    assert [r for r in fake.requests if not is_title_request(r)] == []
    messages = await call(client, "opencode/session/messages", {"sessionID": sid})
    assert [m["info"]["role"] for m in messages] == ["user"]


@pytest.mark.files({"AGENTS.md": "Always answer in haiku.\n", "notes.txt": "one\ntwo\nthree\nfour\n"})
async def test_system_prompt_and_file_parts_reach_the_model(client, fake, workspace):
    fake.set_script([[{"text": "seen"}]])
    sid = await new_session(client)
    await call(client, "opencode/session/prompt", {"sessionID": sid, "parts": [
        {"type": "text", "text": "look at this"},
        {"type": "file", "url": (workspace / "notes.txt").as_uri() + "?start=2&end=3", "mime": "text/plain"},
    ]})
    request = [r for r in fake.requests if not is_title_request(r)][0]
    system = request["messages"][0]
    assert system["role"] == "system"
    assert "Always answer in haiku." in system["content"] and str(workspace) in system["content"]
    # The prompt's text, then the read call for the range and its output, each its own item.
    items = request["messages"][-1]["content"]
    assert [c["type"] for c in items] == ["text", "text", "text"] and items[0]["text"] == "look at this"
    assert '"offset":2,"limit":2' in items[1]["text"]
    user = items[2]["text"]
    assert "2: two" in user and "3: three" in user and "4: four" not in user
    stored = (await call(client, "opencode/session/messages", {"sessionID": sid}))[0]["parts"]
    file_part = next(p for p in stored if p["type"] == "file")
    assert file_part["source"]["text"]["start"] == 2 and file_part["source"]["text"]["end"] == 3


async def test_agent_part_asks_for_the_subagent(client, fake):
    fake.set_script([[{"text": "delegating"}]])
    sid = await new_session(client)
    await call(client, "opencode/session/prompt", {"sessionID": sid, "parts": [
        {"type": "text", "text": "find the tests"}, {"type": "agent", "name": "explore"}]})
    stored = (await call(client, "opencode/session/messages", {"sessionID": sid}))[0]["parts"]
    assert [p["type"] for p in stored] == ["text", "agent", "text"]
    request = [r for r in fake.requests if not is_title_request(r)][0]
    assert "explore" in json.dumps(request["messages"][-1]["content"])

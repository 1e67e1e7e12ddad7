"""Model faults through the scripted server, all against one long-lived server process.

Each fault ends in the state docs/protocol.md gives for it (a retry then the answer, an error on
the message, or a tool error the model reads), the session goes idle, and the server answers
the next request.
"""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio

from tests.support.fake_openai import FakeOpenAI, is_title_request

from .harness import Editor, model_options, tool_parts

pytestmark = pytest.mark.asyncio(loop_scope="module")

ANSWER = [{"text": "Recovered answer.", "chunks": 3}]
FAST_RETRY = {"retry-after-ms": "50"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def editor(tmp_path_factory: pytest.TempPathFactory, module_fake: FakeOpenAI):
    base = tmp_path_factory.mktemp("model-faults")
    root = base / "ws"
    root.mkdir()
    (root / "hello.py").write_text('print("hi")\n')
    # A 1.5 s provider timeout (OpenCode's option, in ms) so a stream that never ends is cut.
    options = model_options(base / "store", module_fake.base_url,
                            provider={"fake": {"options": {"timeout": 1500}}})
    server = Editor(root, options)
    await server.start()
    yield server
    await server.close()


async def run(editor: Editor, module_fake: FakeOpenAI,
              turns: list[Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    module_fake.set_script(turns)
    before = len(module_fake.requests)
    sid = await editor.new_session()
    result = await editor.prompt(sid, timeout=60)
    entries = await editor.messages(sid)
    result["_model_requests"] = [r for r in module_fake.requests[before:] if not is_title_request(r)]
    # Whatever happened, the run is over and the server still answers.
    assert await editor.request("opencode/session/status", {}) == {}
    assert any(s["id"] == sid for s in await editor.request("opencode/session/list", {}))
    assert all(e["info"]["time"].get("completed") for e in entries if e["info"]["role"] == "assistant")
    return result, entries


def retries(result: dict[str, Any], entries: list[dict[str, Any]]) -> int:
    """Retries made, counted at the model; as OpenCode 1.18.33 none leaves a part behind."""
    assert not [p for e in entries for p in e["parts"] if p["type"] == "retry"]
    return len(result["_model_requests"]) - 1


def answered(result: dict[str, Any]) -> bool:
    return (result["info"]["finish"] == "stop" and "error" not in result["info"]
            and any(p["type"] == "text" and p["text"] == "Recovered answer." for p in result["parts"]))


async def test_429_with_retry_after_waits_and_retries(editor, module_fake):
    result, entries = await run(editor, module_fake, [
        [{"error": {"status": 429, "headers": {"retry-after": "1"},
                    "body": {"error": {"message": "rate limited", "type": "rate_limit_error"}}}}], ANSWER])
    assert retries(result, entries) == 1
    assert answered(result)


async def test_429_without_retry_after_backs_off_and_retries(editor, module_fake):
    result, entries = await run(editor, module_fake, [
        [{"error": {"status": 429, "body": {"error": {"message": "slow down"}}}}], ANSWER])
    assert retries(result, entries) == 1
    assert answered(result)


async def test_500_is_retried(editor, module_fake):
    result, entries = await run(editor, module_fake, [
        [{"error": {"status": 500, "headers": FAST_RETRY, "body": {"error": {"message": "boom"}}}}], ANSWER])
    assert retries(result, entries) == 1 and answered(result)


async def test_503_overloaded_is_retried(editor, module_fake):
    result, entries = await run(editor, module_fake, [
        [{"error": {"status": 503, "headers": FAST_RETRY,
                    "body": {"error": {"message": "Overloaded", "type": "overloaded_error"}}}}], ANSWER])
    assert retries(result, entries) == 1 and answered(result)


async def test_connection_cut_mid_stream_is_retried(editor, module_fake):
    result, entries = await run(editor, module_fake,
                                [[{"text": "half an ans", "chunks": 2}, {"cut": True}], ANSWER])
    assert retries(result, entries) == 1 and answered(result)


async def test_malformed_sse_ends_in_a_documented_state(editor, module_fake):
    result, entries = await run(editor, module_fake, [[{"text": "before "}, {"raw": "data: {this is not json\n\n"},
                                                {"text": "after"}], ANSWER])
    info = result["info"]
    # Either the bad event is dropped or the stream fails and is retried; never a hang or a crash.
    assert answered(result) or info.get("error", {}).get("name") in ("APIError", "UnknownError")


async def test_tool_call_with_invalid_json_arguments_goes_to_the_invalid_tool(editor, module_fake):
    result, entries = await run(editor, module_fake, [
        [{"tool_call": {"name": "read", "arguments": '{"filePath": "hello.py"', "id": "call_bad"}}], ANSWER])
    (tool,) = tool_parts(entries)
    assert tool["tool"] == "invalid" and tool["callID"] == "call_bad"
    assert tool["state"]["status"] == "completed" and "JSON" in tool["state"]["input"]["error"]
    assert answered(result)
    # The model was told why in the next request.
    last = [r for r in module_fake.requests if r.get("tools")][-1]
    assert any(m.get("role") == "tool" and "JSON" in str(m.get("content")) for m in last["messages"])


async def test_unknown_tool_name_goes_to_the_invalid_tool(editor, module_fake):
    result, entries = await run(editor, module_fake, [
        [{"tool_call": {"name": "frobnicate", "arguments": {"x": 1}}}], ANSWER])
    (tool,) = tool_parts(entries)
    assert tool["tool"] == "invalid" and tool["state"]["status"] == "completed"
    assert "frobnicate" in tool["state"]["output"] and tool["state"]["metadata"]["tool"] == "frobnicate"
    assert answered(result)


async def test_empty_response_finishes_with_no_text(editor, module_fake):
    result, entries = await run(editor, module_fake, [[]])
    assert result["info"]["finish"] == "stop" and "error" not in result["info"]
    assert [p["type"] for p in result["parts"]] == ["step-start", "step-finish"]


async def test_response_that_never_ends_times_out_and_retries(editor, module_fake):
    result, entries = await run(editor, module_fake, [[{"text": "stuck", "chunks": 1}, {"hang": True}], ANSWER])
    assert retries(result, entries) == 1
    assert answered(result)

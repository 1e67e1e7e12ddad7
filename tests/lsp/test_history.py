"""Long sessions over LSP, through real litellm calls to the scripted OpenAI-compatible server:
automatic compaction when reported usage nears the limit, summarize on demand, and revert /
unrevert of real file changes (write, edit, bash) that survive a server restart."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException

from opencode_lsp.client import LspClient
from opencode_lsp.core.compaction import SUMMARY_TEMPLATE
from tests.support.fake_openai import FakeOpenAI, is_title_request

from .conftest import SERVER_ENV, call

LIMITS = {"fake": {"models": {"m": {"limit": {"context": 10_000, "output": 1_000}}}}}


def is_summary_request(body: dict[str, Any]) -> bool:
    messages = body.get("messages") or []
    return bool(messages) and messages[-1].get("role") == "user" and "## Goal" in str(messages[-1].get("content"))


@pytest.fixture
def fake(fake: FakeOpenAI) -> FakeOpenAI:
    fake.route(is_summary_request, [[{"text": "## Goal\nThe user asked about apples."}]])
    return fake


@pytest.fixture
def init_options(tmp_path: Path, fake: FakeOpenAI) -> dict[str, Any]:
    return {"storage": {"path": str(tmp_path / "store")}, "events": True, "permissionUI": True,
            "model": "fake/m", "providers": {"fake": {"apiBase": fake.base_url}}, "provider": LIMITS}


def main_requests(fake: FakeOpenAI) -> list[dict[str, Any]]:
    return [r for r in fake.requests if not is_title_request(r)]


async def prompt(client, sid: str, text: str) -> dict[str, Any]:
    return await call(client, "opencode/session/prompt", {"sessionID": sid, "parts": [{"type": "text", "text": text}]})


async def test_usage_over_the_limit_compacts_in_the_same_run(client, fake):
    # OpenCode 1.18.33: a step whose usage overflows the context compacts at once, then the run
    # goes on after a synthetic "continue" message; the next turn starts from the summary.
    fake.set_script([
        [{"text": "Apples are red. " + "orchard " * 40}, {"usage": {"prompt_tokens": 8_600, "completion_tokens": 500}}],
        [{"text": "Apples grow on trees."}],
        [{"text": "Bananas are yellow."}],
    ])
    sid = (await call(client, "opencode/session/create", {}))["id"]
    first = await prompt(client, sid, "tell me about apples")
    assert first["info"]["finish"] == "stop" and first["parts"][-2]["text"].startswith("Apples are red.")

    requests = main_requests(fake)
    assert len(requests) == 3
    summary = json.dumps(requests[1]["messages"])
    assert requests[1]["messages"][-1]["content"].endswith(SUMMARY_TEMPLATE) and not requests[1].get("tools")
    assert [m["role"] for m in requests[1]["messages"]] == ["system", "user"]
    assert "tell me about apples" in summary
    resumed = json.dumps(requests[2]["messages"])
    assert "The user asked about apples." in resumed and "orchard" not in resumed
    texts = [p.get("text") for m in await call(client, "opencode/session/messages", {"sessionID": sid})
             for p in m["parts"] if p["type"] == "text"]
    assert texts[-1] == "Apples grow on trees."  # the run answered again after the summary

    result = await prompt(client, sid, "and bananas?")
    assert result["parts"][-2]["text"] == "Bananas are yellow."
    final = json.dumps(main_requests(fake)[3]["messages"])
    assert "The user asked about apples." in final and "and bananas?" in final and "orchard" not in final

    messages = await call(client, "opencode/session/messages", {"sessionID": sid})
    request = next(m for m in messages if any(p["type"] == "compaction" for p in m["parts"]))
    assert request["parts"][0]["auto"] is True
    answer = next(m for m in messages if m["info"].get("summary"))
    assert answer["info"]["parentID"] == request["info"]["id"] and answer["info"]["mode"] == "compaction"
    assert any(e["type"] == "session.compacted" and e["properties"]["sessionID"] == sid
               for e in client.recorder.events)


async def test_summarize_on_demand(client, fake):
    fake.set_script([[{"text": "Apples are red."}], [{"text": "Still here."}]])
    sid = (await call(client, "opencode/session/create", {}))["id"]
    await prompt(client, sid, "tell me about apples")
    assert await call(client, "opencode/session/summarize", {"sessionID": sid, "workDoneToken": "s1"}) is True
    values = client.recorder.reports("s1")
    assert values[0]["kind"] == "begin" and values[-1] == {"kind": "end", "message": "summarized"}
    await prompt(client, sid, "go on")
    last = json.dumps(main_requests(fake)[-1]["messages"])
    assert "The user asked about apples." in last and "tell me about apples" not in last
    with pytest.raises(JsonRpcException) as info:
        await call(client, "opencode/session/summarize", {"sessionID": "ses_missing"})
    assert info.value.code == -31001


# --- revert / unrevert across a restart ---------------------------------------------------------

SERVER = [sys.executable, "-m", "opencode_lsp", "--stdio"]


async def start_server(root: Path, store: Path, fake: FakeOpenAI) -> LspClient:
    client = LspClient(SERVER, env=SERVER_ENV, cwd=str(root))
    await client.start()
    await client.request("initialize", {
        "processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {},
        "initializationOptions": {"storage": {"path": str(store)}, "model": "fake/m", "permissionUI": True,
                                  "providers": {"fake": {"apiBase": fake.base_url}}},
    })
    client.notify("initialized", {})
    return client


def snapshot(root: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(root.iterdir()) if p.is_file()}


async def test_revert_unrevert_real_files_across_restart(tmp_path, fake):
    root, store = tmp_path / "repo", tmp_path / "store"
    root.mkdir()
    (root / "hello.py").write_text('print("hi")\n')
    (root / "old.txt").write_text("old\n")
    fake.set_script([
        [{"tool_call": {"name": "write", "arguments": {"filePath": str(root / "new.txt"), "content": "new\n"}}}],
        [{"tool_call": {"name": "edit", "arguments": {"filePath": str(root / "hello.py"), "oldString": "hi",
                                                      "newString": "hello"}}}],
        [{"tool_call": {"name": "bash", "arguments": {"command": "echo made > made.txt && rm old.txt",
                                                      "description": "files"}}}],
        [{"text": "Done."}],
        [{"text": "Fresh start."}],
    ])
    original = snapshot(root)
    client = await start_server(root, store, fake)
    try:
        sid = (await client.request("opencode/session/create", {}))["id"]
        await client.request("opencode/session/prompt", {"sessionID": sid, "parts": [{"type": "text", "text": "edit files"}]})
        changed = snapshot(root)
        assert changed["hello.py"] == 'print("hello")\n' and changed["made.txt"] == "made\n" and "old.txt" not in changed
        messages = await client.request("opencode/session/messages", {"sessionID": sid})
        user_id = messages[0]["info"]["id"]
        assert {Path(f).name for m in messages for p in m["parts"] if p["type"] == "patch" for f in p["files"]} == {
            "new.txt", "hello.py", "made.txt", "old.txt"}
        session = await client.request("opencode/session/revert", {"sessionID": sid, "messageID": user_id})
        assert session["revert"]["messageID"] == user_id and snapshot(root) == original
    finally:
        await client.close()

    client = await start_server(root, store, fake)  # the store and the files still agree
    try:
        session = await client.request("opencode/session/get", {"sessionID": sid})
        assert session["revert"]["messageID"] == user_id and snapshot(root) == original
        session = await client.request("opencode/session/unrevert", {"sessionID": sid})
        assert "revert" not in session and snapshot(root) == changed
        await client.request("opencode/session/revert", {"sessionID": sid, "messageID": user_id})
        assert snapshot(root) == original
        result = await client.request("opencode/session/prompt", {"sessionID": sid, "parts": [{"type": "text", "text": "again"}]})
        assert result["parts"][-2]["text"] == "Fresh start."
        messages = await client.request("opencode/session/messages", {"sessionID": sid})
        assert [m["info"]["role"] for m in messages] == ["user", "assistant"]
        assert messages[0]["parts"][0]["text"] == "again"
        assert "edit files" not in json.dumps(main_requests(fake)[-1]["messages"])
        assert "revert" not in await client.request("opencode/session/get", {"sessionID": sid})
    finally:
        await client.close()

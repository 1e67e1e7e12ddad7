"""Editor faults: the client vanishes mid-run, or never answers what the server asks it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.support import stored
from tests.support.fake_openai import FakeOpenAI
from tests.support.stored import check_files

from .harness import Editor, model_options, never, tool_parts


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "hello.py").write_text('print("hi")\n')
    return folder


def stored_session(store: Path, sid: str) -> dict[str, Any]:
    """The session as it is on disk (base and journal, read without a server that could fix it)."""
    check_files(store)
    return stored.session(store, sid)


def deltas(editor: Editor) -> list[dict[str, Any]]:
    return [e for e in editor.events_of("message.part.updated") if "delta" in e["properties"]]


async def test_client_gone_mid_run_flushes_aborts_and_exits(tmp_path: Path, root: Path, fake: FakeOpenAI):
    fake.set_script([[{"text": "partial answer ", "chunks": 3}, {"hang": True}]])
    store = tmp_path / "store"
    editor = Editor(root, model_options(store, fake.base_url))
    await editor.start()
    sid = await editor.new_session()
    prompt = asyncio.ensure_future(editor.prompt(sid))
    await editor.wait_for(lambda: len(deltas(editor)) >= 3)
    editor.client.proc.stdin.close()  # the editor is gone: EOF on the server's stdin
    code = await asyncio.wait_for(editor.client.proc.wait(), 20)
    assert code == 0
    prompt.cancel()
    await editor.close()

    messages = stored_session(store, sid)["messages"]
    assistant = [m for m in messages.values() if m["role"] == "assistant"]
    assert len(assistant) == 1
    assert assistant[0]["error"]["name"] == "MessageAbortedError"
    assert assistant[0]["time"]["completed"] >= assistant[0]["time"]["created"]
    texts = [p for p in stored_session(store, sid)["parts"].values()
             if p["type"] == "text" and p["messageID"] == assistant[0]["id"]]
    assert [t["text"] for t in texts] == ["partial answer"]  # what streamed was flushed


async def test_unanswered_show_message_request_is_released_by_abort(tmp_path: Path, root: Path,
                                                                    fake: FakeOpenAI):
    fake.set_script([[{"tool_call": {"name": "bash", "arguments": {"command": "echo x", "description": "x"}}}]])
    editor = Editor(root, model_options(tmp_path / "store", fake.base_url, permissionUI=False,
                                        permission={"bash": "ask"}))
    editor.answers["window/showMessageRequest"] = never
    await editor.start()
    try:
        sid = await editor.new_session()
        prompt = asyncio.ensure_future(editor.prompt(sid))
        await editor.wait_for(lambda: [r for r in editor.server_requests if r[0] == "window/showMessageRequest"])
        assert await editor.request("opencode/session/abort", {"sessionID": sid}, 10) is True
        result = await asyncio.wait_for(prompt, 10)
        assert result["info"]["error"]["name"] == "MessageAbortedError"
        (tool,) = tool_parts(await editor.messages(sid))
        assert tool["state"]["status"] == "error"
        assert await editor.request("opencode/permission/list", {}) == []
        assert (await editor.request("opencode/session/status", {})) == {}
    finally:
        await editor.close()


async def test_unanswered_permission_ask_is_released_by_abort(tmp_path: Path, root: Path, fake: FakeOpenAI):
    fake.set_script([[{"tool_call": {"name": "bash", "arguments": {"command": "echo x", "description": "x"}}}]])
    editor = Editor(root, model_options(tmp_path / "store", fake.base_url, permission={"bash": "ask"}))
    await editor.start()
    try:
        sid = await editor.new_session()
        prompt = asyncio.ensure_future(editor.prompt(sid))
        await editor.wait_for(lambda: editor.events_of("permission.asked"))
        assert await editor.request("opencode/session/abort", {"sessionID": sid}, 10) is True
        result = await asyncio.wait_for(prompt, 10)
        assert result["info"]["error"]["name"] == "MessageAbortedError"
        (tool,) = tool_parts(await editor.messages(sid))
        assert tool["state"]["status"] == "error"
        assert await editor.request("opencode/permission/list", {}) == []
    finally:
        await editor.close()


async def test_unanswered_apply_edit_is_released_by_abort(tmp_path: Path, root: Path, fake: FakeOpenAI):
    target = root / "hello.py"
    fake.set_script([[{"tool_call": {"name": "write", "arguments": {
        "filePath": str(target), "content": "print('changed')\n"}}}]])
    editor = Editor(root, model_options(tmp_path / "store", fake.base_url))
    editor.answers["workspace/applyEdit"] = never
    await editor.start({"workspace": {"applyEdit": True, "workspaceEdit": {"documentChanges": True}}})
    try:
        editor.client.notify("textDocument/didOpen", {"textDocument": {
            "uri": target.as_uri(), "languageId": "python", "version": 1, "text": 'print("hi")\n'}})
        sid = await editor.new_session()
        # The write tool reads first through the open buffer; make it a read-then-write turn.
        fake.set_script([
            [{"tool_call": {"name": "read", "arguments": {"filePath": str(target)}}}],
            [{"tool_call": {"name": "write", "arguments": {"filePath": str(target), "content": "print('x')\n"}}}],
        ])
        prompt = asyncio.ensure_future(editor.prompt(sid))
        await editor.wait_for(lambda: [r for r in editor.server_requests if r[0] == "workspace/applyEdit"])
        assert await editor.request("opencode/session/abort", {"sessionID": sid}, 10) is True
        result = await asyncio.wait_for(prompt, 10)
        assert result["info"]["error"]["name"] == "MessageAbortedError"
        write = [t for t in tool_parts(await editor.messages(sid)) if t["tool"] == "write"]
        assert write[0]["state"]["status"] == "error" and write[0]["state"]["metadata"]["interrupted"] is True
        assert target.read_text() == 'print("hi")\n'  # nothing written behind the editor's back
        assert await editor.request("opencode/session/list", {}) != []
    finally:
        await editor.close()


async def test_late_answer_to_a_withdrawn_prompt_is_harmless(tmp_path: Path, root: Path, fake: FakeOpenAI):
    fake.set_script([[{"tool_call": {"name": "bash", "arguments": {"command": "echo x", "description": "x"}}}]])
    editor = Editor(root, model_options(tmp_path / "store", fake.base_url, permissionUI=False,
                                        permission={"bash": "ask"}))
    release = asyncio.Event()

    async def answer_late(params: Any) -> dict[str, str]:
        await release.wait()
        return {"title": "Allow once"}

    editor.answers["window/showMessageRequest"] = answer_late
    await editor.start()
    try:
        sid = await editor.new_session()
        prompt = asyncio.ensure_future(editor.prompt(sid))
        await editor.wait_for(lambda: [r for r in editor.server_requests if r[0] == "window/showMessageRequest"])
        assert await editor.request("opencode/session/abort", {"sessionID": sid}, 10) is True
        await asyncio.wait_for(prompt, 10)
        release.set()  # the user clicks long after the run was stopped
        await asyncio.sleep(0.2)
        fake.set_script(["fine"])
        result = await editor.prompt(sid, "again")
        assert result["parts"][-2]["text"] == "fine"
        assert editor.client.proc.returncode is None
    finally:
        await editor.close()

"""Tools over LSP: unsaved buffers, edits through workspace/applyEdit, permission asks, subagents."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from tests.support.fake_openai import FakeOpenAI, is_title_request

from .conftest import call


@pytest.fixture
def init_options(tmp_path: Path, fake: FakeOpenAI, request) -> dict[str, Any]:
    options = {
        "storage": {"path": str(tmp_path / "store")},
        "events": True,
        "permissionUI": True,
        "model": "fake/m",
        "providers": {"fake": {"apiBase": fake.base_url}},
    }
    marker = request.node.get_closest_marker("opts")
    if marker:
        options.update(marker.kwargs)
    return options


def open_document(client, path: Path, text: str, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)))
    return uri


def change_document(client, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def prompt(client, text: str = "go", **extra: Any) -> dict[str, Any]:
    sid = extra.pop("sessionID", None) or (await call(client, "opencode/session/create", {}))["id"]
    result = await call(client, "opencode/session/prompt",
                        {"sessionID": sid, "parts": [{"type": "text", "text": text}], **extra})
    result["sessionID"] = sid
    return result


async def tool_parts(client, sid: str) -> list[dict[str, Any]]:
    messages = await call(client, "opencode/session/messages", {"sessionID": sid})
    return [p for m in messages for p in m["parts"] if p["type"] == "tool"]


async def answer_of(client, started: dict[str, Any]) -> dict[str, Any]:
    """A command returns once its run started; the answer is the message made for its prompt."""
    sid = started["sessionID"]
    await client.recorder.wait_for(lambda: any(
        e["type"] == "session.idle" and e["properties"]["sessionID"] == sid for e in client.recorder.events), 30)
    messages = await call(client, "opencode/session/messages", {"sessionID": sid})
    return [m for m in messages if m["info"].get("parentID") == started["messageID"]][-1]


def main_requests(fake: FakeOpenAI) -> list[dict[str, Any]]:
    return [r for r in fake.requests if not is_title_request(r)]


async def test_read_sees_the_unsaved_buffer(client, fake, workspace):
    uri = open_document(client, workspace / "hello.py", 'print("hi")\n')
    change_document(client, uri, 'print("unsaved edit")\n', 2)
    fake.set_script([[{"tool_call": {"name": "read", "arguments": {"filePath": str(workspace / "hello.py")}}}],
                     [{"text": "ok"}]])
    result = await prompt(client)
    (tool,) = await tool_parts(client, result["sessionID"])
    assert 'print("unsaved edit")' in tool["state"]["output"]
    assert (workspace / "hello.py").read_text() == 'print("hi")\n'


async def test_edit_of_an_open_file_goes_through_apply_edit(client, fake, workspace):
    uri = open_document(client, workspace / "hello.py", 'print("hi")\n')
    fake.set_script([[{"tool_call": {"name": "edit", "arguments": {
        "filePath": str(workspace / "hello.py"), "oldString": 'print("hi")', "newString": 'print("bye")'}}}],
        [{"text": "edited"}]])
    result = await prompt(client)
    (tool,) = await tool_parts(client, result["sessionID"])
    assert tool["state"]["status"] == "completed", tool["state"]
    (edit,) = client.applied_edits
    change = edit.edit.document_changes[0]
    assert change.text_document.uri == uri and change.text_document.version == 1
    assert change.edits[0].new_text == 'print("bye")\n'
    assert (workspace / "hello.py").read_text() == 'print("bye")\n'  # and the disk: the next tool sees it


async def test_refused_edit_is_a_tool_error_the_model_sees(client, fake, workspace):
    open_document(client, workspace / "hello.py", 'print("hi")\n')
    client.apply_edit_result = False
    fake.set_script([[{"tool_call": {"name": "write", "arguments": {
        "filePath": str(workspace / "hello.py"), "content": "x = 1\n"}}}], [{"text": "could not"}]])
    result = await prompt(client)
    (tool,) = await tool_parts(client, result["sessionID"])
    assert tool["state"]["status"] == "error" and "refused" in tool["state"]["error"]
    tool_message = [m for m in main_requests(fake)[1]["messages"] if m["role"] == "tool"][0]
    assert "refused" in tool_message["content"]


@pytest.mark.opts(permissionUI=False, permission={"bash": "ask"})
async def test_permission_answered_through_show_message_request(client, fake):
    client.message_answers = ["Allow once"]
    fake.set_script([[{"tool_call": {"name": "bash", "arguments": {"command": "echo from-bash", "description": "echo"}}}],
                     [{"text": "ran it"}]])
    result = await prompt(client)
    (tool,) = await tool_parts(client, result["sessionID"])
    assert tool["state"]["status"] == "completed" and "from-bash" in tool["state"]["output"]
    (asked,) = client.message_requests
    assert "bash" in asked.message and [a.title for a in asked.actions] == ["Allow once", "Always allow", "Reject"]


@pytest.mark.opts(permission={"bash": "ask"})
async def test_permission_reply_over_the_protocol(client, fake):
    fake.set_script([[{"tool_call": {"name": "bash", "arguments": {"command": "echo replied", "description": "echo"}}}],
                     [{"text": "ran it"}]])
    running = asyncio.ensure_future(prompt(client))
    asked = await client.recorder.wait_for(
        lambda: [e for e in client.recorder.events if e["type"] == "permission.asked"])
    request = asked[0]["properties"]
    assert request["permission"] == "bash" and request["patterns"] == ["echo replied"]
    assert request["tool"]["callID"]
    pending = await call(client, "opencode/permission/list", {})
    assert [p["id"] for p in pending] == [request["id"]]
    assert await call(client, "opencode/permission/reply", {"requestID": request["id"], "reply": "once"}) is True
    result = await asyncio.wait_for(running, 20)
    (tool,) = await tool_parts(client, result["sessionID"])
    assert tool["state"]["status"] == "completed" and "replied" in tool["state"]["output"]
    assert await call(client, "opencode/permission/reply", {"requestID": request["id"], "reply": "once"}) is False


@pytest.mark.opts(permission={"bash": "ask"})
async def test_rejected_ask_with_a_note_goes_on_with_the_note(client, fake):
    fake.set_script([[{"tool_call": {"name": "bash", "arguments": {"command": "rm -rf build", "description": "clean"}}}],
                     [{"text": "I will keep it."}]])
    running = asyncio.ensure_future(prompt(client))
    asked = await client.recorder.wait_for(
        lambda: [e for e in client.recorder.events if e["type"] == "permission.asked"])
    await call(client, "opencode/permission/reply", {
        "requestID": asked[0]["properties"]["id"], "reply": "reject", "message": "keep the build folder"})
    result = await asyncio.wait_for(running, 20)
    (tool,) = await tool_parts(client, result["sessionID"])
    assert tool["state"]["status"] == "error" and "keep the build folder" in tool["state"]["error"]
    # The model answers the note in the same run (a rejection without a note stops the run).
    assert len(main_requests(fake)) == 2
    assert "keep the build folder" in json.dumps(main_requests(fake)[1]["messages"])
    assert result["parts"][-2]["text"] == "I will keep it."


async def test_task_runs_a_subagent_in_a_child_session(client, fake):
    fake.set_script([
        [{"tool_call": {"name": "task", "arguments": {
            "description": "Find python files", "prompt": "List the python files", "subagent_type": "general"}}}],
        [{"text": "There is hello.py."}],
        [{"text": "The subagent found hello.py."}],
    ])
    result = await prompt(client)
    assert result["parts"][-2]["text"] == "The subagent found hello.py."
    (tool,) = await tool_parts(client, result["sessionID"])
    assert tool["state"]["status"] == "completed" and "There is hello.py." in tool["state"]["output"]
    children = await call(client, "opencode/session/children", {"sessionID": result["sessionID"]})
    assert len(children) == 1 and "Find python files" in children[0]["title"]
    child_messages = await call(client, "opencode/session/messages", {"sessionID": children[0]["id"]})
    assert child_messages[-1]["info"]["agent"] == "general"
    assert child_messages[0]["parts"][0]["text"] == "List the python files"


async def test_shell_records_the_users_command_as_a_bash_part(client, fake):
    sid = (await call(client, "opencode/session/create", {}))["id"]
    result = await call(client, "opencode/session/shell", {"sessionID": sid, "command": "echo shell-out"})
    (tool,) = [p for p in result["parts"] if p["type"] == "tool"]
    assert tool["tool"] == "bash" and tool["state"]["status"] == "completed"
    assert "shell-out" in tool["state"]["output"]
    assert main_requests(fake) == []


async def test_custom_command_renders_its_template(client, fake, workspace):
    (workspace / ".opencode" / "command").mkdir(parents=True)
    (workspace / ".opencode" / "command" / "explain.md").write_text(
        "---\ndescription: explain a file\n---\nExplain $1 briefly, focusing on $ARGUMENTS.\n")
    fake.set_script([[{"text": "explained"}]])
    sid = (await call(client, "opencode/session/create", {}))["id"]
    result = await call(client, "opencode/session/command",
                        {"sessionID": sid, "command": "explain", "arguments": "hello.py"})
    assert result["parts"][-2]["text"] == "explained"
    user = [m for m in main_requests(fake)[0]["messages"] if m["role"] == "user"][-1]
    assert "Explain hello.py briefly" in user["content"]


async def test_code_action_asks_opencode_to_fix_the_diagnostics(client, fake, workspace):
    uri = open_document(client, workspace / "hello.py", 'print("hi")\nprint(undefined_name)\n')
    diagnostic = types.Diagnostic(
        range=types.Range(start=types.Position(line=1, character=6), end=types.Position(line=1, character=20)),
        message="undefined name 'undefined_name'", source="pyflakes")
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=diagnostic.range, context=types.CodeActionContext(diagnostics=[diagnostic])))
    (action,) = actions
    assert action.title == "Ask opencode to fix" and action.command.command == "opencode.fix"
    fake.set_script([[{"text": "Defined it."}]])
    started = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=action.command.command, arguments=action.command.arguments))
    result = await answer_of(client, started)
    assert result["parts"][-2]["text"] == "Defined it."
    user = json.dumps([m for m in main_requests(fake)[0]["messages"] if m["role"] == "user"][-1]["content"])
    assert "undefined name 'undefined_name'" in user and "line 2" in user
    assert "2: print(undefined_name)" in user


async def test_execute_command_entry_points(client, fake):
    created = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="opencode.session.new", arguments=["From a command"]))
    assert created["title"] == "From a command"
    fake.set_script([[{"text": "answered"}]])
    started = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="opencode.prompt", arguments=[created["id"], "hello there"]))
    assert started["sessionID"] == created["id"] and started["messageID"].startswith("msg_")
    result = await answer_of(client, started)
    assert result["info"]["parentID"] == started["messageID"] and result["parts"][-2]["text"] == "answered"
    listed = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="opencode.session.list", arguments=[]))
    assert [s["id"] for s in listed] == [created["id"]]
    assert await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="opencode.abort", arguments=[created["id"]])) is False

"""Runs over LSP: every way a run starts can be cancelled (request cancel, progress cancel, abort);
prompts to a busy session are queued and each answered; executeCommand answers once the run started."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.support.fake_openai import FakeOpenAI, is_title_request

from .conftest import SERVER_ENV, attach_recorder, call, make_client

HANG = [[{"text": "Starting a long answer", "chunks": 2}, {"hang": True}]]


@pytest.fixture
def init_options(tmp_path: Path, fake: FakeOpenAI) -> dict[str, Any]:
    return {"storage": {"path": str(tmp_path / "store")}, "events": True, "permissionUI": True,
            "model": "fake/m", "providers": {"fake": {"apiBase": fake.base_url}}}


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "opencode_lsp"], server_env=SERVER_ENV, client_factory=make_client))
async def editor(lsp_client: LanguageClient, workspace: Path, init_options: dict[str, Any]):
    """One Neovim-like client (work-done progress, events)."""
    lsp_client.recorder = attach_recorder(lsp_client)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("neovim"), root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name=workspace.name)],
        initialization_options=init_options))
    yield
    await lsp_client.shutdown_session()


def events(client, kind: str, sid: str) -> list[dict[str, Any]]:
    return [e for e in client.recorder.events if e["type"] == kind
            and (e["properties"].get("sessionID") or e["properties"].get("part", {}).get("sessionID")) == sid]


async def wait_streaming(client, sid: str) -> None:
    """The model is streaming (a text delta arrived) or a tool is running."""
    await client.recorder.wait_for(lambda: any(
        "delta" in e["properties"] or e["properties"]["part"].get("state", {}).get("status") == "running"
        for e in events(client, "message.part.updated", sid)), 30)


async def wait_idle(client, sid: str) -> None:
    await client.recorder.wait_for(lambda: events(client, "session.idle", sid), 30)


async def assert_aborted(client, sid: str) -> None:
    await wait_idle(client, sid)
    messages = await call(client, "opencode/session/messages", {"sessionID": sid})
    assert messages[-1]["info"]["role"] == "assistant"
    assert messages[-1]["info"]["error"]["name"] == "MessageAbortedError"
    assert sid not in await call(client, "opencode/session/status", {})


async def start(client, how: str, sid: str, workspace: Path, msg_id: str) -> tuple[Any, Any]:
    """Start a run the given way; returns (the pending request or its result, progress token)."""
    token = f"tok-{msg_id}"
    proto = client.protocol
    if how == "prompt":
        request = proto.send_request_async("opencode/session/prompt", {
            "sessionID": sid, "parts": [{"type": "text", "text": "go"}], "workDoneToken": token}, msg_id=msg_id)
    elif how == "command":
        (workspace / ".opencode" / "command").mkdir(parents=True, exist_ok=True)
        (workspace / ".opencode" / "command" / "slow.md").write_text("---\ndescription: slow\n---\nTake your time.\n")
        request = proto.send_request_async("opencode/session/command", {
            "sessionID": sid, "command": "slow", "arguments": "", "workDoneToken": token}, msg_id=msg_id)
    elif how == "shell":
        request = proto.send_request_async("opencode/session/shell", {
            "sessionID": sid, "command": "sleep 60", "workDoneToken": token}, msg_id=msg_id)
    else:  # executeCommand opencode.prompt / opencode.fix (the code action's command)
        if how == "opencode.prompt":
            arguments = [sid, "go"]
        else:
            arguments = [{"uri": (workspace / "hello.py").as_uri(),
                          "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 5}},
                          "diagnostics": []}]
        started = await asyncio.wait_for(client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=how, arguments=arguments)), 30)
        return started, started["workDoneToken"]
    return asyncio.ensure_future(request), token


STARTS = ["prompt", "command", "shell", "opencode.prompt", "opencode.fix"]


@pytest.mark.parametrize("how", STARTS)
@pytest.mark.parametrize("way", ["cancelRequest", "progressCancel", "abort"])
async def test_every_run_can_be_cancelled(editor, fake, workspace, how, way):
    fake.set_script(HANG)
    sid = (await call(editor, "opencode/session/create", {}))["id"]
    pending, token = await start(editor, how, sid, workspace, f"run-{how}-{way}")
    if isinstance(pending, dict):
        sid = pending["sessionID"]  # opencode.fix makes its own session
    await wait_streaming(editor, sid)
    if way == "cancelRequest" and not isinstance(pending, dict):
        editor.protocol.notify("$/cancelRequest", types.CancelParams(id=f"run-{how}-{way}"))
        with pytest.raises(JsonRpcException) as info:
            await asyncio.wait_for(pending, 30)
        assert info.value.code == -32800
    elif way in ("cancelRequest", "progressCancel"):
        # executeCommand answered when the run started: its run is cancelled through its token.
        editor.protocol.notify("window/workDoneProgress/cancel", types.WorkDoneProgressCancelParams(token=token))
    else:
        assert await call(editor, "opencode/session/abort", {"sessionID": sid}) is True
    await assert_aborted(editor, sid)
    if not isinstance(pending, dict) and not pending.done():
        await asyncio.wait_for(pending, 30)


# --- queued prompts ----------------------------------------------------------------------------


async def test_prompt_while_running_is_queued_and_gets_its_own_answer(editor, fake):
    fake.set_script([
        [{"text": "First answer, slowly", "chunks": 3}, {"sleep": 1.0}],
        [{"text": "Second answer."}],
    ])
    sid = (await call(editor, "opencode/session/create", {}))["id"]
    first = asyncio.ensure_future(call(editor, "opencode/session/prompt", {
        "sessionID": sid, "parts": [{"type": "text", "text": "first"}]}))
    await wait_streaming(editor, sid)
    second = await asyncio.wait_for(call(editor, "opencode/session/prompt", {
        "sessionID": sid, "parts": [{"type": "text", "text": "second"}]}), 30)
    first = await asyncio.wait_for(first, 30)
    messages = await call(editor, "opencode/session/messages", {"sessionID": sid})
    users = [m["info"]["id"] for m in messages if m["info"]["role"] == "user"]
    assert first["info"]["parentID"] == users[0] and first["parts"][-2]["text"] == "First answer, slowly"
    assert second["info"]["parentID"] == users[1] and second["parts"][-2]["text"] == "Second answer."
    main = [r for r in fake.requests if not is_title_request(r)]
    assert len(main) == 2  # the queued prompt got its own model request
    assert "second" in str(main[1]["messages"][-1]["content"])


# --- generic clients ---------------------------------------------------------------------------


def minimal_capabilities() -> types.ClientCapabilities:
    """No work-done progress, no showMessageRequest, no applyEdit, no events (eglot-like)."""
    return types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(apply_edit=False),
        text_document=types.TextDocumentClientCapabilities(),
        window=types.WindowClientCapabilities(work_done_progress=False))


@pytest.fixture
def plain_options(tmp_path: Path, fake: FakeOpenAI) -> dict[str, Any]:
    return {"storage": {"path": str(tmp_path / "store")}, "model": "fake/m",
            "providers": {"fake": {"apiBase": fake.base_url}}}


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "opencode_lsp"], server_env=SERVER_ENV, client_factory=make_client))
async def plain(lsp_client: LanguageClient, workspace: Path, plain_options: dict[str, Any]):
    lsp_client.recorder = attach_recorder(lsp_client)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=minimal_capabilities(), root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name=workspace.name)],
        initialization_options=plain_options))
    yield
    await lsp_client.shutdown_session()


async def wait_message(client, kind: types.MessageType) -> types.ShowMessageParams:
    async def poll():
        while True:
            found = [m for m in client.messages if m.type == kind and m.message.startswith("opencode")]
            if found:
                return found[-1]
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(poll(), 30)


async def test_plain_client_gets_the_answer_in_a_message(plain, fake):
    fake.set_script([[{"text": "The answer is 42."}]])
    started = await asyncio.wait_for(plain.workspace_execute_command_async(types.ExecuteCommandParams(
        command="opencode.prompt", arguments=["what is it"])), 10)
    assert started["sessionID"].startswith("ses_") and started["messageID"].startswith("msg_")
    assert started["workDoneToken"] is None  # the client has no progress
    shown = await wait_message(plain, types.MessageType.Info)
    assert "The answer is 42." in shown.message
    assert plain.recorder.events == [] and plain.recorder.progress == {}


async def test_plain_client_sees_a_401_as_an_error(plain, fake):
    fake.set_script([[{"error": {"status": 401, "body": {"error": {"message": "invalid api key"}}}}]])
    await asyncio.wait_for(plain.workspace_execute_command_async(types.ExecuteCommandParams(
        command="opencode.prompt", arguments=["hello"])), 10)
    shown = await wait_message(plain, types.MessageType.Error)
    assert "failed" in shown.message.lower()
    assert not [m for m in plain.messages if m.type == types.MessageType.Info and m.message.startswith("opencode:")]


async def test_plain_client_stopping_a_run_is_told_it_stopped_not_that_it_failed(plain, fake):
    # In Neovim's built-in client the abort it asked for came back as a red
    # "opencode failed: MessageAbortedError: The operation was aborted."
    fake.set_script([[{"text": "Partial words"}, {"hang": True}]])
    started = await asyncio.wait_for(plain.workspace_execute_command_async(types.ExecuteCommandParams(
        command="opencode.prompt", arguments=["a long job"])), 10)
    while not [r for r in fake.requests if not is_title_request(r)]:  # the run is streaming
        await asyncio.sleep(0.05)
    assert await plain.workspace_execute_command_async(types.ExecuteCommandParams(
        command="opencode.abort", arguments=[started["sessionID"]])) is True
    shown = await wait_message(plain, types.MessageType.Info)
    assert shown.message.startswith("opencode stopped")
    assert not [m for m in plain.messages if m.type == types.MessageType.Error]


async def test_a_client_with_a_10s_request_timeout_gets_its_answer_while_the_run_goes_on(plain, fake):
    fake.set_script(HANG)
    # eglot gives up on a request after 10 s: the command must answer before the run ends.
    started = await asyncio.wait_for(plain.workspace_execute_command_async(types.ExecuteCommandParams(
        command="opencode.prompt", arguments=["a long job"])), 10)
    sid = started["sessionID"]
    status = await call(plain, "opencode/session/status", {})
    assert sid in status  # still running
    assert await plain.workspace_execute_command_async(types.ExecuteCommandParams(
        command="opencode.abort", arguments=[sid])) is True


async def test_code_action_is_offered_on_any_range(plain, fake, workspace):
    uri = (workspace / "hello.py").as_uri()
    plain.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=(workspace / "hello.py").read_text())))
    rng = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=3))
    (bare,) = await plain.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=rng, context=types.CodeActionContext(diagnostics=[])))
    assert bare.command.command == "opencode.fix" and bare.command.arguments[0]["diagnostics"] == []
    diagnostic = types.Diagnostic(range=rng, message="bad print", source="lint")
    (with_diag,) = await plain.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=rng,
        context=types.CodeActionContext(diagnostics=[diagnostic])))
    assert with_diag.command.arguments[0]["diagnostics"][0]["message"] == "bad print"


@pytest.fixture
def workspace_with_calc(workspace: Path) -> Path:
    (workspace / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    return workspace


async def test_progress_messages_are_human_words(editor, fake, workspace_with_calc):
    workspace = workspace_with_calc
    fake.set_script([
        [{"reasoning": "hmm"}, {"tool_call": {"name": "edit", "arguments": {
            "filePath": str(workspace / "calc.py"), "oldString": "a - b", "newString": "a + b"}}}],
        [{"tool_call": {"name": "bash", "arguments": {"command": "echo ok", "description": "check it"}}}],
        [{"text": "done"}],
    ])
    sid = (await call(editor, "opencode/session/create", {}))["id"]
    await call(editor, "opencode/session/prompt", {"sessionID": sid, "parts": [{"type": "text", "text": "fix"}],
                                                   "workDoneToken": "words"})
    messages = [v.get("message") for v in editor.recorder.reports("words")]
    assert "Thinking…" in messages
    assert any(m and m.startswith("Editing calc.py") for m in messages), messages
    assert any(m and m.startswith("Running bash: check it") for m in messages), messages
    internal = {"message.updated", "session.idle", "session.status", "message.part.updated", "busy", "idle"}
    assert not internal & set(messages)

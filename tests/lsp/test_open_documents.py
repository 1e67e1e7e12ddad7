"""Edits to documents open in the editor land in the buffer (applyEdit) and on disk, so the next
tool sees what the user sees, whatever files happen to be open."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.support.editor_buffers import Buffers
from tests.support.fake_openai import FakeOpenAI

from .conftest import SERVER_ENV, attach_recorder, call, make_client

CALC = "def add(a, b):\n    return a - b\n"
FIXED = "def add(a, b):\n    return a + b\n"
CHECK = f"{sys.executable} -c 'import calc; print(\"sum\", calc.add(2, 3))'"


@pytest.fixture
def init_options(tmp_path: Path, fake: FakeOpenAI) -> dict[str, Any]:
    return {"storage": {"path": str(tmp_path / "store")}, "events": True, "permissionUI": True,
            "model": "fake/m", "providers": {"fake": {"apiBase": fake.base_url}}}


def edit_then_check(workspace: Path, old: str = "a - b", new: str = "a + b") -> list[Any]:
    return [
        [{"tool_call": {"name": "edit", "arguments": {
            "filePath": str(workspace / "calc.py"), "oldString": old, "newString": new}}}],
        [{"tool_call": {"name": "bash", "arguments": {"command": CHECK, "description": "check"}}}],
        [{"tool_call": {"name": "read", "arguments": {"filePath": str(workspace / "calc.py")}}}],
        [{"text": "done"}],
    ]


async def run(client, text: str = "fix add") -> tuple[str, list[dict[str, Any]]]:
    sid = (await call(client, "opencode/session/create", {}))["id"]
    await call(client, "opencode/session/prompt", {"sessionID": sid, "parts": [{"type": "text", "text": text}]})
    messages = await call(client, "opencode/session/messages", {"sessionID": sid})
    return sid, [p for m in messages for p in m["parts"] if p["type"] == "tool"]


@pytest.mark.files({"calc.py": CALC})
async def test_clean_open_document_gets_buffer_and_disk(client, fake, workspace):
    buffers = Buffers(client)
    buffers.open(workspace / "calc.py")
    fake.set_script(edit_then_check(workspace))
    _, (edit, bash, read) = await run(client)
    assert edit["state"]["status"] == "completed", edit["state"]
    assert (workspace / "calc.py").read_text() == FIXED
    assert buffers.text(workspace / "calc.py") == FIXED
    assert len(client.applied_edits) == 1  # in the editor's undo history
    assert "sum 5" in bash["state"]["output"]  # the next tool ran the new code
    assert "a + b" in read["state"]["output"]
    assert not [m for m in client.messages if m.type == types.MessageType.Warning]


@pytest.mark.files({"calc.py": CALC})
async def test_unsaved_open_document_keeps_the_users_changes_and_tells_them(client, fake, workspace):
    buffers = Buffers(client)
    buffers.open(workspace / "calc.py")
    unsaved = "# the user's note\n" + CALC
    buffers.type(workspace / "calc.py", unsaved)
    fake.set_script(edit_then_check(workspace))
    _, (edit, bash, read) = await run(client)
    assert edit["state"]["status"] == "completed", edit["state"]
    expected = "# the user's note\n" + FIXED
    assert buffers.text(workspace / "calc.py") == expected
    assert (workspace / "calc.py").read_text() == expected
    assert "sum 5" in bash["state"]["output"]
    assert "the user's note" in read["state"]["output"] and "a + b" in read["state"]["output"]
    (warning,) = [m for m in client.messages if m.type == types.MessageType.Warning]
    assert "calc.py" in warning.message and "unsaved" in warning.message


@pytest.mark.files({"calc.py": CALC})
async def test_document_not_open_is_written_on_disk(client, fake, workspace):
    fake.set_script(edit_then_check(workspace))
    _, (edit, bash, read) = await run(client)
    assert edit["state"]["status"] == "completed"
    assert (workspace / "calc.py").read_text() == FIXED
    assert client.applied_edits == []
    assert "sum 5" in bash["state"]["output"] and "a + b" in read["state"]["output"]


@pytest.mark.files({"calc.py": CALC})
async def test_disk_changed_by_bash_under_a_clean_buffer_is_what_tools_read(client, fake, workspace):
    buffers = Buffers(client)
    buffers.open(workspace / "calc.py")
    fake.set_script([
        [{"tool_call": {"name": "bash", "arguments": {"command": "sed -i 's/a - b/a * b/' calc.py", "description": "sed"}}}],
        [{"tool_call": {"name": "edit", "arguments": {
            "filePath": str(workspace / "calc.py"), "oldString": "a * b", "newString": "a + b"}}}],
        [{"text": "done"}],
    ])
    _, (_, edit) = await run(client)
    assert edit["state"]["status"] == "completed", edit["state"]
    assert (workspace / "calc.py").read_text() == FIXED
    assert buffers.text(workspace / "calc.py") == FIXED


@pytest.mark.files({"calc.py": CALC})
async def test_edits_in_a_row_wait_for_the_editor_to_report_the_first(client, fake, workspace):
    buffers = Buffers(client)
    buffers.open(workspace / "calc.py")
    fake.set_script([
        [{"tool_call": {"name": "edit", "arguments": {
            "filePath": str(workspace / "calc.py"), "oldString": "a - b", "newString": "a + b"}}}],
        [{"tool_call": {"name": "edit", "arguments": {
            "filePath": str(workspace / "calc.py"), "oldString": "def add", "newString": "def plus"}}}],
        [{"text": "done"}],
    ])
    _, tools = await run(client)
    assert [t["state"]["status"] for t in tools] == ["completed", "completed"], [t["state"].get("error") for t in tools]
    expected = FIXED.replace("def add", "def plus")
    assert (workspace / "calc.py").read_text() == expected == buffers.text(workspace / "calc.py")
    assert buffers.refused == 0


@pytest.mark.files({"calc.py": CALC})
async def test_parallel_edits_of_one_file_never_undo_each_other(client, fake, workspace):
    buffers = Buffers(client)
    buffers.open(workspace / "calc.py")
    fake.set_script([
        [{"tool_call": {"name": "edit", "arguments": {
            "filePath": str(workspace / "calc.py"), "oldString": "a - b", "newString": "a + b"}}},
         {"tool_call": {"name": "edit", "arguments": {
             "filePath": str(workspace / "calc.py"), "oldString": "def add", "newString": "def plus"}}}],
        [{"text": "done"}],
    ])
    _, tools = await run(client)
    done = [t for t in tools if t["state"]["status"] == "completed"]
    assert done, [t["state"].get("error") for t in tools]
    text = (workspace / "calc.py").read_text()
    assert text == buffers.text(workspace / "calc.py")
    # Each completed edit is in the file: none was overwritten by the other's stale read.
    for tool in done:
        assert tool["state"]["input"]["newString"] in text
    for tool in tools:
        if tool["state"]["status"] == "error":
            assert "read it again" in tool["state"]["error"]


# --- a client without workspace/applyEdit --------------------------------------------------


def no_apply_edit_capabilities() -> types.ClientCapabilities:
    caps = client_capabilities("neovim")
    caps.workspace.apply_edit = False
    return caps


@pytest_lsp.fixture(config=ClientServerConfig(
    server_command=[sys.executable, "-m", "opencode_lsp"], server_env=SERVER_ENV, client_factory=make_client))
async def plain(lsp_client: LanguageClient, workspace: Path, init_options: dict[str, Any]):
    lsp_client.recorder = attach_recorder(lsp_client)
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=no_apply_edit_capabilities(), root_uri=workspace.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name=workspace.name)],
        initialization_options=init_options))
    yield
    await lsp_client.shutdown_session()


@pytest.mark.files({"calc.py": CALC})
async def test_without_apply_edit_the_disk_is_written_and_reads_are_not_stale(plain, fake, workspace):
    buffers = Buffers(plain)
    buffers.open(workspace / "calc.py")
    fake.set_script(edit_then_check(workspace))
    _, (edit, bash, read) = await run(plain)
    assert edit["state"]["status"] == "completed"
    assert plain.applied_edits == []
    assert (workspace / "calc.py").read_text() == FIXED
    assert buffers.text(workspace / "calc.py") == CALC  # the editor's copy is its own business
    assert "sum 5" in bash["state"]["output"]
    assert "a + b" in read["state"]["output"]  # the server's view followed the disk
    assert any("calc.py" in m.message and "reload" in m.message for m in plain.messages)


@pytest.mark.files({"calc.py": CALC})
async def test_undo_undo_redo_redo_over_lsp_with_calc_open(client, fake, workspace):
    """The reported walk: turn 1 edits calc.py (open), turn 2 writes CHANGES.md; revert twice,
    forward one user message, unrevert: every state is exact on disk and in the buffer."""
    buffers = Buffers(client)
    buffers.open(workspace / "calc.py")
    calc = workspace / "calc.py"
    fake.set_script([
        [{"tool_call": {"name": "edit", "arguments": {"filePath": str(calc), "oldString": "a - b", "newString": "a + b"}}}],
        [{"text": "fixed"}],
        [{"tool_call": {"name": "write", "arguments": {"filePath": str(workspace / "CHANGES.md"), "content": "add fixed\n"}}}],
        [{"text": "noted"}],
    ])
    sid = (await call(client, "opencode/session/create", {}))["id"]
    for text in ("fix add", "write a changelog"):
        await call(client, "opencode/session/prompt", {"sessionID": sid, "parts": [{"type": "text", "text": text}]})
    users = [m["info"]["id"] for m in await call(client, "opencode/session/messages", {"sessionID": sid})
             if m["info"]["role"] == "user"]
    changes = workspace / "CHANGES.md"

    def state() -> tuple[str, str, bool]:
        return calc.read_text(), buffers.text(calc), changes.exists()

    assert state() == (FIXED, FIXED, True)
    await call(client, "opencode/session/revert", {"sessionID": sid, "messageID": users[1]})
    assert state() == (FIXED, FIXED, False)
    await call(client, "opencode/session/revert", {"sessionID": sid, "messageID": users[0]})
    assert state() == (CALC, CALC, False)
    await call(client, "opencode/session/revert", {"sessionID": sid, "messageID": users[1]})
    assert state() == (FIXED, FIXED, False)
    await call(client, "opencode/session/unrevert", {"sessionID": sid})
    assert state() == (FIXED, FIXED, True) and changes.read_text() == "add fixed\n"
    # The buffer only ever held opencode's own text (no user typing): no walk step may warn
    # about "unsaved changes".
    assert not [m.message for m in client.messages if m.type == types.MessageType.Warning]


@pytest.mark.files({"calc.py": CALC})
async def test_undo_over_unsaved_typing_says_it_is_not_on_disk(client, fake, workspace):
    """An undo restores the disk and the buffer over the user's unsaved typing: the warning says
    their changes are not on disk (only the editor's undo has them)."""
    buffers = Buffers(client)
    calc = workspace / "calc.py"
    buffers.open(calc)
    fake.set_script([
        [{"tool_call": {"name": "edit", "arguments": {"filePath": str(calc), "oldString": "a - b", "newString": "a + b"}}}],
        [{"text": "fixed"}],
    ])
    sid, _ = await run(client)
    assert buffers.text(calc) == FIXED
    buffers.type(calc, FIXED + "# typed, not saved\n")
    user = next(m["info"]["id"] for m in await call(client, "opencode/session/messages", {"sessionID": sid})
                if m["info"]["role"] == "user")
    await call(client, "opencode/session/revert", {"sessionID": sid, "messageID": user})
    assert calc.read_text() == CALC and buffers.text(calc) == CALC
    (warning,) = [m.message for m in client.messages if m.type == types.MessageType.Warning]
    assert "restored calc.py" in warning and "not on disk" in warning


@pytest.mark.files({"calc.py": CALC})
async def test_a_version_bump_without_new_text_is_not_unsaved_work(client, fake, workspace):
    """Neovim sends a second didChange after applying an edit (its end-of-line fix-up) that bumps
    the version without changing the text: the buffer still holds the disk's text, so the next
    undo and redo restore it without warning about "unsaved changes"."""
    buffers = Buffers(client)
    calc = workspace / "calc.py"
    buffers.open(calc)
    fake.set_script([
        [{"tool_call": {"name": "edit", "arguments": {"filePath": str(calc), "oldString": "a - b", "newString": "a + b"}}}],
        [{"text": "fixed"}],
    ])
    sid, _ = await run(client)
    user = next(m["info"]["id"] for m in await call(client, "opencode/session/messages", {"sessionID": sid})
                if m["info"]["role"] == "user")
    buffers.type(calc, FIXED)  # same text, new version
    await call(client, "opencode/session/revert", {"sessionID": sid, "messageID": user})
    assert calc.read_text() == CALC and buffers.text(calc) == CALC
    buffers.type(calc, CALC)
    await call(client, "opencode/session/unrevert", {"sessionID": sid})
    assert calc.read_text() == FIXED and buffers.text(calc) == FIXED
    assert not [m.message for m in client.messages if m.type == types.MessageType.Warning]

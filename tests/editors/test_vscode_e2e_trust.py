"""Workspace Trust in a real VS Code (code-server 4.100.3): a folder opened in Restricted Mode and
trusted later. The server starts once in Restricted Mode (edits denied), is restarted exactly once
when trust is granted (no second server, no "command already exists"), and Restart Server works
afterwards. Its own code-server, since the shared window's folder is trusted from the start."""

from __future__ import annotations

import json

import pytest

from tests.support.code_server import CodeServer, code_server_entry, server_processes, wait_until
from tests.support.vscode_ui import HELLO, browser_window, settings_for

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def untrusted(model, vsix, chromium_browser, tmp_path_factory):
    root = tmp_path_factory.mktemp("vscode-trust")
    workspace = root / "ws"
    workspace.mkdir()
    (workspace / "hello.py").write_text(HELLO)
    (workspace / "opencode.json").write_text(json.dumps({"permission": {"edit": "ask"}}))
    settings = {**settings_for(model.base_url, trusted=False), "security.workspace.trust.startupPrompt": "never"}
    server = CodeServer(code_server_entry(), root, workspace, settings,
                        env={"OPENCODE_LSP_DATA_DIR": str(root / "data"), "OPENCODE_LSP_NO_GLOBAL_CONFIG": "1"})
    server.install(vsix)
    server.start()
    try:
        with browser_window(chromium_browser, server) as window:
            yield window
    finally:
        server.stop()
    wait_until(lambda: not server_processes(workspace), 30, "the server process to exit")


def extension_log(window) -> str:
    """Everything the extension host logged (the opencode output channel included)."""
    logs = window.server.user_data / "logs"
    return "\n".join(p.read_text(errors="replace") for p in logs.rglob("*.log"))


def one_server(workspace) -> int:
    pids = wait_until(lambda: server_processes(workspace), 90, "the server process")
    wait_until(lambda: len(server_processes(workspace)) == 1, 30, "a single server process")
    return pids[0]


def edit_script(path, old: str, new: str, cid: str) -> list:
    return [{"tool_call": {"name": "edit", "arguments": {"filePath": str(path), "oldString": old, "newString": new}, "id": cid}}]


def test_trust_granted_later_restarts_once_and_restart_works(untrusted, model):
    window, ws = untrusted, untrusted.server.workspace
    window.wait_ready()
    chat = window.chat
    first = one_server(ws)
    # Restricted Mode: the agent's edit is refused without asking, the file stays as it was.
    model.set_script([edit_script(ws / "hello.py", '"hi "', '"hey "', "t1"), ["could not edit"]])
    window.send("say hey")
    chat.locator(".text-part", has_text="could not edit").wait_for(timeout=90000)
    window.idle()
    assert chat.locator(".permission").count() == 0
    assert (ws / "hello.py").read_text() == HELLO

    # Trust the folder: the server restarts once, with edits back to "ask".
    window.command("Workspaces: Manage Workspace Trust")
    trust = window.page.locator(".workspace-trust-editor .monaco-button", has_text="Trust").first
    trust.wait_for(timeout=30000)
    trust.click()
    wait_until(lambda: one_server(ws) != first, 90, "a new server after trust was granted")
    second = one_server(ws)
    window.page.keyboard.press("Control+W")  # close the trust editor
    window.wait_ready()
    model.set_script([edit_script(ws / "hello.py", '"hi "', '"hey "', "t2"), ["edited"]])
    window.send("say hey again")
    ask = chat.locator(".permission")
    ask.wait_for(timeout=90000)
    ask.locator('button[data-reply="once"]').click()
    chat.locator(".text-part", has_text="edited").wait_for(timeout=90000)
    window.idle()
    assert '"hey "' in (ws / "hello.py").read_text()

    # Restart Server: a new process replaces the old one, and the chat works again.
    window.command("opencode: Restart Server")
    wait_until(lambda: one_server(ws) != second, 90, "a new server after Restart Server")
    window.wait_ready()
    model.set_script([["back after the restart"]])
    window.send("still there?")
    chat.locator(".text-part", has_text="back after the restart").wait_for(timeout=90000)
    window.idle()
    assert len(server_processes(ws)) == 1
    texts = " ".join(window.notifications())
    assert "already exists" not in texts and "stopped" not in texts, texts
    log = extension_log(window)
    assert "already exists" not in log
    # One start per phase: Restricted Mode, trust granted, Restart Server.
    assert log.count("(workspace untrusted)") == 1 and log.count("(workspace trusted)") == 2, log[-3000:]
    assert chat.locator(".notice-error").count() == 0

"""Editor entry points in a real VS Code (code-server 4.100.3): "Ask opencode about Selection" from
an editor selection, and the "Ask opencode to fix" code action on a real diagnostic (VS Code's own
JSON support reports it). Both start from a hidden chat, as a person working in a file would.
The window and the model are shared with the other e2e modules (conftest.py)."""

from __future__ import annotations

import json

import pytest

from tests.support.code_server import wait_until

pytestmark = [pytest.mark.timeout(600), pytest.mark.usefixtures("vscode_test")]


def hide_chat(vscode) -> None:
    vscode.page.locator('.activitybar .action-item a[aria-label^="Explorer"]').first.click()
    wait_until(lambda: not vscode.chat_visible(), 30, "the chat to be hidden")


def test_ask_about_selection(vscode, model):
    hide_chat(vscode)
    vscode.open_file("hello.py")
    editor = vscode.page.locator(".monaco-editor .view-lines").first
    editor.locator(".view-line").first.click()
    page = vscode.page
    page.keyboard.press("Home")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Shift+ArrowDown")  # lines 1-2 selected (the selection ends at column 0 of line 3)
    page.keyboard.press("Control+Alt+O")
    # The chat opens with the selection attached, named with its line range, and takes the question.
    chat = vscode.chat
    chip = chat.locator("#attachments .chip", has_text="hello.py:1-2")
    chip.wait_for(timeout=60000)
    vscode.shot("08-ask-about-selection")
    model.set_script([["It builds a greeting."]])
    before = len(model.requests)
    box = chat.locator("#input")
    box.fill("what does this do?")
    box.press("Enter")
    chat.locator(".text-part", has_text="It builds a greeting.").wait_for(timeout=90000)
    vscode.idle()
    user = chat.locator(".message-user").last
    assert "what does this do?" in user.inner_text()
    assert user.locator(".file-chip", has_text="hello.py:1-2").count() == 1
    sent = json.dumps([r for r in model.requests[before:] if r.get("tools")])
    assert "def greet(name):" in sent, "the selected lines reached the model"
    assert chat.locator("#attachments .chip").count() == 0


def test_fix_code_action_opens_the_chat_with_its_ask(vscode, model):
    ws = vscode.server.workspace
    broken = ws / "config.json"
    broken.write_text('{\n  "name": "demo",\n  "port": 8080,,\n  "debug": true\n}\n')
    model.set_script([
        [{"tool_call": {"name": "edit", "arguments": {"filePath": str(broken), "oldString": '"port": 8080,,',
                                                     "newString": '"port": 8080,'}, "id": "f1"}}],
        ["Removed the extra comma."],
    ])
    hide_chat(vscode)
    vscode.open_from_explorer("config.json")
    page = vscode.page
    # VS Code's JSON support reports the stray comma; wait for its squiggle.
    page.locator(".monaco-editor .squiggly-error").first.wait_for(timeout=60000)
    page.locator(".monaco-editor .view-line", has_text='"port"').first.click()
    page.keyboard.press("Control+Period")
    vscode.choose(".action-widget .monaco-list-row", "Ask opencode to fix")
    # The chat opens on a new session whose prompt names the problem, and shows the edit's ask.
    chat = vscode.chat
    ask = chat.locator(".permission")
    ask.wait_for(timeout=90000)
    assert chat.locator("#session-title").inner_text() == "Fix diagnostics"
    assert "config.json" in chat.locator(".message-user").first.inner_text()
    assert "+  \"port\": 8080," in ask.locator(".permission-diff").inner_text()
    vscode.shot("09-fix-action-ask")
    fix_request = json.dumps([r for r in model.requests if r.get("tools")][-1])
    assert "config.json" in fix_request and "line 3" in fix_request
    ask.locator('button[data-reply="once"]').click()
    chat.locator(".text-part", has_text="Removed the extra comma.").wait_for(timeout=90000)
    vscode.idle()
    assert json.loads(broken.read_text())["port"] == 8080

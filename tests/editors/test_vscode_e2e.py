"""The extension in a real VS Code (code-server 4.100.3), driven like a person with Playwright and
Debian's Chromium: installed from its .vsix, starting the real Python server, talking to the
scripted model. One code-server serves the whole module; the tests run in file order and each
leaves the window usable for the next. Screenshots go to tests/artifacts/vscode-e2e/."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.support.fake_openai import FakeOpenAI, is_title_request

from tests.support.code_server import (ARTIFACTS, CHROMIUM, EXTENSION_ID, CodeServer, build_vsix, code_server_entry, server_processes,
                         wait_until)

pytestmark = pytest.mark.timeout(600)



HELLO = 'def greet(name):\n    return "hi " + name\n\n\nprint(greet("world"))\n'
SLOW = 0.15  # seconds between streamed chunks: long enough to press Stop or type mid-stream


def settings_for(model: FakeOpenAI, trusted: bool = True) -> dict:
    return {
        "opencode.server.pythonPath": str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "python"),
        "opencode.model": "fake/m",
        "opencode.smallModel": "fake/m",
        "opencode.providers": {"fake": {"apiBase": model.base_url}},
        "security.workspace.trust.enabled": not trusted and True,
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "extensions.ignoreRecommendations": True,
        "telemetry.telemetryLevel": "off",
        "update.mode": "none",
        "chat.disableAIFeatures": True,
        "window.commandCenter": False,
        "workbench.layoutControl.enabled": False,
    }


class Window:
    """The browser page of one code-server window, with the chat panel's frame."""

    def __init__(self, page):
        self.page = page

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def command(self, title: str) -> None:
        self.page.keyboard.press("F1")
        box = self.page.locator(".quick-input-widget input")
        box.wait_for(state="visible", timeout=20000)
        box.fill(">" + title)
        self.page.locator(".quick-input-list .monaco-list-row", has_text=title).first.wait_for(timeout=20000)
        self.page.keyboard.press("Enter")

    @property
    def chat(self):
        outer = self.page.frame_locator(f'iframe.webview[src*="{EXTENSION_ID}"]').first
        return outer.frame_locator("iframe#active-frame")

    def open_chat(self) -> None:
        try:
            self.page.locator('.activitybar .action-item a[aria-label^="opencode"]').first.click(timeout=60000)
            self.chat.locator("#input").wait_for(state="visible", timeout=60000)
        except Exception:
            self.shot("failed-open-chat")
            raise


@pytest.fixture(scope="module")
def model():
    fake = FakeOpenAI([])
    fake.route(is_title_request, [["Greeting helper"]])
    with fake:
        yield fake


@pytest.fixture(scope="module")
def vscode(model, tmp_path_factory):
    root = tmp_path_factory.mktemp("vscode-e2e")
    workspace = root / "ws"
    workspace.mkdir()
    (workspace / "hello.py").write_text(HELLO)
    (workspace / "opencode.json").write_text(json.dumps({"permission": {"edit": "ask", "bash": "ask"}}))
    server = CodeServer(code_server_entry(), root, workspace, settings_for(model),
                        env={"OPENCODE_LSP_DATA_DIR": str(root / "data"), "OPENCODE_LSP_NO_GLOBAL_CONFIG": "1"})
    server.install(build_vsix(root))
    server.start()


    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(server.url)
        page.locator(".monaco-workbench").wait_for(timeout=120000)
        window = Window(page)
        window.server = server
        try:
            yield window
        finally:
            browser.close()
            server.stop()
    # Closing the window ends the extension host, and with it the server the extension started.
    wait_until(lambda: not server_processes(workspace), 30, "the server process to exit")


def test_open_view_pickers_filled(vscode):
    vscode.open_chat()
    chat = vscode.chat
    wait_until(lambda: chat.locator("#model-picker option").count() > 1, 90, "the model picker to fill")
    agents = chat.locator("#agent-picker option").all_inner_texts()
    assert "build" in agents and "plan" in agents
    assert "fake/m" in " ".join(chat.locator("#model-picker option").all_inner_texts())
    vscode.shot("01-open")


def slow_text(text: str, pieces: int, delay: float = SLOW) -> list[dict]:
    """A text answer streamed in `pieces` steps with a pause before each."""
    size = max(1, len(text) // pieces)
    chunks = [text[i:i + size] for i in range(0, len(text), size)]
    steps: list[dict] = []
    for chunk in chunks:
        steps += [{"sleep": delay}, {"text": chunk}]
    return steps


def send(vscode: Window, text: str) -> None:
    box = vscode.chat.locator("#input")
    box.click()
    box.fill(text)
    box.press("Enter")


def idle(vscode: Window, timeout: float = 90) -> None:
    stop = vscode.chat.locator("#stop")
    wait_until(lambda: not stop.is_visible(), timeout, "the run to end (Stop hidden)")


ANSWER = "The greeting now says **hello**:\n\n```python\ndef greet(name):\n    return \"hello \" + name\n```\n\nRun `python hello.py` to see it."


def test_send_stream_tool_cards_and_ask_with_diff(vscode, model):
    ws = vscode.server.workspace
    model.set_script([
        [{"tool_call": {"name": "read", "arguments": {"filePath": str(ws / "hello.py")}, "id": "c1"}}],
        [{"tool_call": {"name": "edit", "arguments": {"filePath": str(ws / "hello.py"), "oldString": 'return "hi " + name',
                                                     "newString": 'return "hello " + name'}, "id": "c2"}}],
        slow_text(ANSWER, 12, 0.05),
    ])
    chat = vscode.chat
    send(vscode, "make greet say hello")
    ask = chat.locator(".permission")
    ask.wait_for(timeout=90000)
    # The diff of the edit is in the ask, before anyone approves it, with what "Always" would allow.
    diff = ask.locator(".permission-diff")
    assert '-    return "hi " + name' in diff.inner_text()
    assert '+    return "hello " + name' in diff.inner_text()
    assert "edit" in ask.locator(".permission-scope").inner_text()
    assert (ws / "hello.py").read_text() == HELLO  # nothing written before the answer
    vscode.shot("02-permission-ask-with-diff")
    ask.locator('button[data-reply="once"]').click()
    chat.locator(".markdown.text-part", has_text="Run python hello.py").wait_for(timeout=90000)
    idle(vscode)
    assert 'return "hello " + name' in (ws / "hello.py").read_text()
    assert chat.locator('.tool[data-tool="read"][data-status="completed"]').count() == 1
    assert chat.locator('.tool[data-tool="edit"][data-status="completed"]').count() == 1
    # Code blocks are highlighted and carry Copy / Insert.
    block = chat.locator(".code-block").last
    assert block.locator("code.hljs .hljs-keyword").count() >= 1
    assert block.locator("button.code-copy").is_visible() and block.locator("button.code-insert").is_visible()
    assert chat.locator(".message-user").count() == 1
    vscode.shot("03-streamed-answer")


def test_always_then_no_ask(vscode, model):
    ws = vscode.server.workspace
    edit = lambda old, new, cid: [{"tool_call": {"name": "edit", "arguments": {  # noqa: E731
        "filePath": str(ws / "hello.py"), "oldString": old, "newString": new}, "id": cid}}]
    model.set_script([edit('"hello "', '"hey "', "a1"), ["first done"], edit('"hey "', '"howdy "', "a2"), ["second done"]])
    chat = vscode.chat
    send(vscode, "say hey")
    ask = chat.locator(".permission")
    ask.wait_for(timeout=90000)
    ask.locator('button[data-reply="always"]').click()
    chat.locator(".text-part", has_text="first done").wait_for(timeout=90000)
    idle(vscode)
    send(vscode, "say howdy")
    chat.locator(".text-part", has_text="second done").wait_for(timeout=90000)
    assert '"howdy "' in (ws / "hello.py").read_text()
    assert chat.locator(".permission").count() == 0
    idle(vscode)


def test_reject_with_note_reaches_the_model(vscode, model):
    model.set_script([
        [{"tool_call": {"name": "bash", "arguments": {"command": "rm -rf build", "description": "Clean"}, "id": "b1"}}],
        ["Understood, I will not delete it."],
    ])
    chat = vscode.chat
    before = len(model.requests)
    send(vscode, "clean the build")
    ask = chat.locator(".permission")
    ask.wait_for(timeout=90000)
    ask.locator(".permission-feedback").fill("keep the build folder")
    ask.locator('button[data-reply="reject"]').click()
    idle(vscode)
    later = json.dumps(model.requests[before:])
    assert "keep the build folder" in later, "the note reached the model"


def test_stop_mid_stream_queue_and_narrow_panel(vscode, model):
    model.set_script([slow_text("word " * 200, 60, 0.25), ["the queued answer"]])
    chat = vscode.chat
    send(vscode, "write a long essay")
    stop = chat.locator("#stop")
    stop.wait_for(state="visible", timeout=90000)
    chat.locator(".message-assistant .text-part").first.wait_for(timeout=90000)
    # A prompt sent while the answer streams waits, visibly, until the run ends.
    send(vscode, "then summarise it")
    chat.locator(".queued", has_text="then summarise it").wait_for(timeout=30000)
    # The sidebar at its default ~300 px: Send and Stop both fully on screen.
    frame = vscode.page.locator(f'iframe.webview[src*="{EXTENSION_ID}"]').first.bounding_box()
    assert frame["width"] <= 320
    for button in (stop, chat.locator("#send")):
        box = button.bounding_box()  # page coordinates, like the frame's
        assert box and box["width"] > 30 and frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"]
    vscode.shot("04-panel-300px-send-and-stop")
    # Escape stops the run: a neutral "Canceled", no error banner; then the queued prompt goes out.
    chat.locator("#input").press("Escape")
    chat.locator(".message-aborted", has_text="Canceled").wait_for(timeout=60000)
    assert chat.locator(".session-error").count() == 0
    chat.locator(".text-part", has_text="the queued answer").wait_for(timeout=90000)
    idle(vscode)
    assert chat.locator(".queued").count() == 0


def test_model_error_and_retry(vscode, model):
    model.set_script([
        [{"error": {"status": 400, "body": {"error": {"message": "bad request from the model", "type": "invalid_request_error"}}}}],
        ["recovered answer"],
    ])
    chat = vscode.chat
    users = chat.locator(".message-user").count()
    send(vscode, "try something")
    error = chat.locator(".message-error, .session-error").first
    error.wait_for(timeout=90000)
    vscode.shot("05-model-error")
    error.locator("button.retry").click()
    chat.locator(".text-part", has_text="recovered answer").wait_for(timeout=90000)
    idle(vscode)
    assert chat.locator(".message-user", has_text="try something").count() == 1
    assert chat.locator(".message-user").count() == users + 1


def test_reload_rebuilds_chat_and_lists_sessions(vscode):
    transcript = vscode.chat.locator(".message").count()
    assert transcript >= 4
    vscode.page.reload()
    vscode.page.locator(".monaco-workbench").wait_for(timeout=120000)
    vscode.open_chat()
    chat = vscode.chat
    wait_until(lambda: chat.locator(".message").count() == transcript, 90, "the transcript to be rebuilt")
    tree = vscode.page.locator('.pane-body .monaco-list[aria-label*="Sessions"] .monaco-list-row, '
                               '[id="workbench.view.extension.opencode"] .monaco-tl-row')
    wait_until(lambda: vscode.page.get_by_role("treeitem").filter(has_text="Greeting helper").count() >= 1, 60,
               "the session in the Sessions tree")
    assert tree is not None


@pytest.fixture(autouse=True)
def shot_on_failure(request, vscode):
    failed = request.session.testsfailed
    yield
    if request.session.testsfailed > failed:
        vscode.shot(f"failed-{request.node.name}")

"""The extension in a real VS Code (code-server 4.100.3), driven like a person with Playwright and
Debian's Chromium: installed from its .vsix, starting the real Python server, talking to the
scripted model. One code-server window serves every e2e module (tests/editors/conftest.py); each
test starts with the chat shown and its pickers filled, and ends with its run stopped and its
queued prompts dropped, so a failure stays in its own test. Screenshots go to
tests/artifacts/vscode-e2e/; three of them, the side bar only, also to docs/figures/ (committed) when
OPENCODE_LSP_WRITE_FIGURES=1 is set, else to tests/artifacts/vscode-e2e/figures/."""

from __future__ import annotations

import json
import threading

import pytest

from tests.support.code_server import EXTENSION_ID, wait_until
from tests.support.vscode_ui import HELLO, slow_text

pytestmark = [pytest.mark.timeout(600), pytest.mark.usefixtures("vscode_test")]


def test_open_view_pickers_filled(vscode):
    chat = vscode.chat
    agents = chat.locator("#agent-picker option").all_inner_texts()
    assert "build" in agents and "plan" in agents
    assert "fake/m" in " ".join(chat.locator("#model-picker option").all_inner_texts())
    vscode.shot("01-open")


def test_chat_gets_most_of_the_side_bar(vscode):
    """At first open the chat, not the Sessions list, has the room: shared half and half (VS Code's
    default for two views), a 800-pixel-high window left the transcript about 200 pixels, and an
    edit's ask showed with its title and the top of its diff scrolled away."""
    def height(name: str) -> float:
        pane = vscode.page.locator(f'.pane:has(> .pane-header[aria-label^="{name}"])').first
        return pane.bounding_box()["height"]

    chat, sessions = height("Chat"), height("Sessions")
    assert chat >= 2.5 * sessions, (chat, sessions)


def test_a_refused_prompt_goes_back_in_the_input(vscode):
    # The panel clears its input on sending; when the server refused the prompt (no model
    # configured, an unknown /command) the text typed was lost with it. As the first prompt of a
    # new chat it also left the session made for it behind, empty, in the Sessions view.
    chat = vscode.chat
    vscode.command("opencode: New Session")
    wait_until(lambda: chat.locator(".message").count() == 0, 30, "an empty chat")
    vscode.command("opencode: Refresh Sessions")
    sessions_before = vscode.session_rows().count()
    vscode.send("/nosuchcommand please keep this text")
    chat.locator(".notice-error", has_text="command not found").wait_for(timeout=60000)
    assert chat.locator("#input").input_value() == "/nosuchcommand please keep this text"
    assert chat.locator("#session-title").inner_text() == "New session"
    vscode.command("opencode: Refresh Sessions")
    wait_until(lambda: vscode.session_rows().count() == sessions_before, 30, "no session left by the refused prompt")
    assert vscode.session_row("New session").count() == 0
    chat.locator("#input").fill("")


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
    vscode.send("make greet say hello")
    ask = chat.locator(".permission")
    ask.wait_for(timeout=90000)
    # The diff of the edit is in the ask, before anyone approves it, with what "Always" would allow.
    diff = ask.locator(".permission-diff")
    assert '-    return "hi " + name' in diff.inner_text()
    assert '+    return "hello " + name' in diff.inner_text()
    assert "edit" in ask.locator(".permission-scope").inner_text()
    assert (ws / "hello.py").read_text() == HELLO  # nothing written before the answer
    vscode.figure("02-permission-ask-with-diff")
    # The activity bar counts the waiting ask, and drops it once it is answered.
    wait_until(lambda: vscode.activity_badge() == "1", 30, "the ask badge on the activity bar")
    ask.locator('button[data-reply="once"]').click()
    wait_until(lambda: vscode.activity_badge() == "", 30, "the ask badge to go once the ask is answered")
    chat.locator(".markdown.text-part", has_text="Run python hello.py").wait_for(timeout=90000)
    vscode.idle()
    assert 'return "hello " + name' in (ws / "hello.py").read_text()
    assert chat.locator('.tool[data-tool="read"][data-status="completed"]').count() == 1
    assert chat.locator('.tool[data-tool="edit"][data-status="completed"]').count() == 1
    # Code blocks are highlighted and carry Copy / Insert.
    block = chat.locator(".code-block").last
    assert block.locator("code.hljs .hljs-keyword").count() >= 1
    assert block.locator("button.code-copy").is_visible() and block.locator("button.code-insert").is_visible()
    assert chat.locator(".message-user").count() == 1
    vscode.figure("03-streamed-answer")


def ask_toasts(vscode) -> list[str]:
    return [t for t in vscode.notifications() if "asks for permission" in t]


def ask_while_hidden(vscode, model, answer: str) -> None:
    """A bash ask that comes while the Explorer hides the chat: a toast with links shows it."""
    hidden = threading.Event()  # the ask comes only once the chat is hidden
    model.set_script([
        [{"gate": hidden}, {"tool_call": {"name": "bash", "arguments": {"command": "echo hi", "description": "Say hi"}, "id": "h1"}}],
        [answer],
    ])
    try:
        vscode.send("say hi in the shell")
        vscode.chat.locator("#stop").wait_for(state="visible", timeout=90000)
        vscode.page.locator('.activitybar .action-item:has(a[aria-label^="Explorer"])').first.click()
        wait_until(lambda: not vscode.chat_visible(), 30, "the chat to hide behind the Explorer")
    finally:
        hidden.set()
    wait_until(lambda: ask_toasts(vscode), 90, "a toast for the ask")
    assert "bash" in ask_toasts(vscode)[0]
    for action in ("Show", "Allow once", "Reject"):
        assert vscode.page.locator(".notification-list-item-message a", has_text=action).count() >= 1


def test_ask_toast_while_the_chat_is_hidden_goes_once_answered_in_the_chat(vscode, model):
    ask_while_hidden(vscode, model, "said hi")
    vscode.shot("11-ask-toast-chat-hidden")
    # Answered in the chat, not in the toast: the toast goes by itself, nothing stale is kept.
    vscode.open_chat()
    vscode.chat.locator('.permission button[data-reply="once"]').click()
    wait_until(lambda: not ask_toasts(vscode), 30, "the toast to go once the ask is answered in the chat")
    vscode.chat.locator(".text-part", has_text="said hi").wait_for(timeout=90000)
    vscode.idle()
    assert not [t for t in vscode.notification_center() if "asks for permission" in t]


def test_ask_toast_link_answers_the_ask(vscode, model):
    ask_while_hidden(vscode, model, "allowed from the toast")
    vscode.page.locator(".notification-list-item-message a", has_text="Allow once").first.click()
    wait_until(lambda: not ask_toasts(vscode), 30, "the toast to go once answered")
    vscode.open_chat()
    vscode.chat.locator(".text-part", has_text="allowed from the toast").wait_for(timeout=90000)
    vscode.idle()
    assert vscode.chat.locator('.tool[data-tool="bash"][data-status="completed"]').count() >= 1


def test_ask_toast_goes_when_the_run_is_stopped(vscode, model):
    ask_while_hidden(vscode, model, "never sent")
    vscode.open_chat()
    vscode.chat.locator("#stop").click()
    wait_until(lambda: not ask_toasts(vscode), 60, "the toast to go once the run is stopped")
    vscode.idle()
    assert not [t for t in vscode.notification_center() if "asks for permission" in t]


def test_always_then_no_ask(vscode, model):
    ws = vscode.server.workspace
    edit = lambda old, new, cid: [{"tool_call": {"name": "edit", "arguments": {  # noqa: E731
        "filePath": str(ws / "hello.py"), "oldString": old, "newString": new}, "id": cid}}]
    model.set_script([edit('"hello "', '"hey "', "a1"), ["first done"], edit('"hey "', '"howdy "', "a2"), ["second done"]])
    chat = vscode.chat
    vscode.send("say hey")
    ask = chat.locator(".permission")
    ask.wait_for(timeout=90000)
    ask.locator('button[data-reply="always"]').click()
    chat.locator(".text-part", has_text="first done").wait_for(timeout=90000)
    vscode.idle()
    vscode.send("say howdy")
    chat.locator(".text-part", has_text="second done").wait_for(timeout=90000)
    assert '"howdy "' in (ws / "hello.py").read_text()
    assert chat.locator(".permission").count() == 0
    vscode.idle()


def test_reject_with_note_reaches_the_model(vscode, model):
    model.set_script([
        [{"tool_call": {"name": "bash", "arguments": {"command": "rm -rf build", "description": "Clean"}, "id": "b1"}}],
        ["Understood, I will not delete it."],
    ])
    chat = vscode.chat
    before = len(model.requests)
    vscode.send("clean the build")
    ask = chat.locator(".permission")
    ask.wait_for(timeout=90000)
    ask.locator(".permission-feedback").fill("keep the build folder")
    ask.locator('button[data-reply="reject"]').click()
    vscode.idle()
    later = json.dumps(model.requests[before:])
    assert "keep the build folder" in later, "the note reached the model"


def test_stop_mid_stream_queue_and_narrow_panel(vscode, model):
    # The answer streams a little, then never ends by itself: only Stop ends it, however slow
    # the machine is (a fixed-length stream could finish before Escape is pressed).
    model.set_script([slow_text("word " * 40, 20, 0.1) + [{"hang": True}], ["the queued answer"]])
    chat = vscode.chat
    # Earlier tests share this chat and may have left a stopped reply of their own.
    aborted = chat.locator(".message-aborted", has_text="Canceled").count()
    vscode.send("write a long essay")
    stop = chat.locator("#stop")
    stop.wait_for(state="visible", timeout=90000)
    # This run's answer is streaming (not an earlier answer's text).
    chat.locator(".message-assistant").last.locator(".text-part", has_text="word word").wait_for(timeout=90000)
    # A prompt sent while the answer streams waits, visibly, until the run ends.
    vscode.send("then summarise it")
    chat.locator(".queued", has_text="then summarise it").wait_for(timeout=30000)
    # The sidebar at its default ~300 px: Send and Stop both fully on screen.
    frame = vscode.page.locator(f'iframe.webview[src*="{EXTENSION_ID}"]').first.bounding_box()
    assert frame["width"] <= 320
    for button in (stop, chat.locator("#send")):
        box = button.bounding_box()  # page coordinates, like the frame's
        assert box and box["width"] > 30 and frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"]
    vscode.figure("04-panel-300px-send-and-stop")
    # Escape stops the run: a neutral "Canceled", no error banner; then the queued prompt goes out.
    chat.locator("#input").press("Escape")
    wait_until(lambda: chat.locator(".message-aborted", has_text="Canceled").count() == aborted + 1, 60,
               "Canceled on the stopped reply")
    assert chat.locator(".session-error").count() == 0
    chat.locator(".text-part", has_text="the queued answer").wait_for(timeout=90000)
    vscode.idle()
    assert chat.locator(".queued").count() == 0


def test_stop_before_the_first_token(vscode, model):
    model.set_script([[{"sleep": 4}, {"text": "too late"}], ["after the stop"]])
    chat = vscode.chat
    aborted = chat.locator(".message-aborted").count()
    vscode.send("start and stop at once")
    chat.locator("#stop").wait_for(state="visible", timeout=90000)
    chat.locator("#stop").click()
    vscode.idle(60)
    wait_until(lambda: chat.locator(".message-aborted").count() == aborted + 1, 30, "Canceled on the stopped reply")
    assert chat.locator(".session-error, .message-error").count() == 0
    assert chat.locator(".text-part", has_text="too late").count() == 0
    # The model reported no usage before the stop: the reply's footer shows no "0 tokens".
    stopped = chat.locator(".message-assistant", has=chat.locator(".message-aborted")).last
    assert stopped.locator(".message-usage").count() == 0, stopped.inner_text()
    # The chat takes the next prompt as usual.
    vscode.send("go on")
    chat.locator(".text-part", has_text="after the stop").wait_for(timeout=90000)
    vscode.idle()


def test_model_error_and_retry(vscode, model):
    model.set_script([
        [{"error": {"status": 400, "body": {"error": {"message": "bad request from the model", "type": "invalid_request_error"}}}}],
        ["recovered answer"],
    ])
    chat = vscode.chat
    users = chat.locator(".message-user").count()
    vscode.send("try something")
    error = chat.locator(".message-error, .session-error").first
    error.wait_for(timeout=90000)
    vscode.shot("05-model-error")
    error.locator("button.retry").click()
    chat.locator(".text-part", has_text="recovered answer").wait_for(timeout=90000)
    vscode.idle()
    assert chat.locator(".message-user", has_text="try something").count() == 1
    assert chat.locator(".message-user").count() == users + 1


def test_reload_rebuilds_chat_and_lists_sessions(vscode, model):
    chat = vscode.chat
    if chat.locator(".message").count() < 2:  # alone (-k): give the chat something to rebuild
        model.set_script([["an answer worth keeping"]])
        vscode.send("say something")
        chat.locator(".text-part", has_text="an answer worth keeping").wait_for(timeout=90000)
        vscode.idle()
    transcript = chat.locator(".message").count()
    title = chat.locator("#session-title").inner_text()
    vscode.page.reload()
    vscode.page.locator(".monaco-workbench").wait_for(timeout=120000)
    vscode.wait_ready()
    chat = vscode.chat
    wait_until(lambda: chat.locator(".message").count() == transcript, 90, "the transcript to be rebuilt")
    assert chat.locator("#session-title").inner_text() == title
    wait_until(lambda: vscode.session_row(title).count() >= 1, 60, "the session in the Sessions tree")

"""A file open in a real VS Code (code-server 4.100.3) while the agent edits it and the turn is
undone: the tab ends clean, showing what is on disk, and Ctrl+S saves without VS Code's save
conflict ("The content of the file is newer"). A user's unsaved typing in that file is kept in the
buffer and on disk, the user is told, and Ctrl+Z still brings back the text before the agent's
edit; typing that an undo of the turn replaces is one Ctrl+Z away too. Its own code-server with
auto save off, as desktop VS Code has it (in a browser VS Code saves after a second by default,
which hides all this); the model is shared with the other e2e modules (conftest.py). Screenshots
go to tests/artifacts/vscode-e2e/."""

from __future__ import annotations

import json

import pytest

from tests.support.code_server import CodeServer, code_server_entry, server_processes, wait_until
from tests.support.vscode_ui import browser_window, settings_for

pytestmark = pytest.mark.timeout(600)

CALC = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n"
CONFLICT = ("newer", "Failed to save")


@pytest.fixture(scope="module")
def desktop(model, vsix, chromium_browser, tmp_path_factory):
    root = tmp_path_factory.mktemp("vscode-documents")
    workspace = root / "ws"
    workspace.mkdir()
    (workspace / "opencode.json").write_text(json.dumps({"permission": {"edit": "ask"}}))
    for name in ("calc.py", "calc2.py", "calc3.py"):  # before the window opens, so Quick Open lists them
        (workspace / name).write_text(CALC)
    settings = {**settings_for(model.base_url), "files.autoSave": "off"}
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


@pytest.fixture
def vscode(desktop, request):
    desktop.wait_ready()
    failed = request.session.testsfailed
    yield desktop
    if request.session.testsfailed > failed:
        desktop.shot(f"failed-{request.node.name}")
    desktop.settle()


def edit_turns(path, old: str, new: str, answer: str) -> list:
    return [
        [{"tool_call": {"name": "edit", "arguments": {"filePath": str(path), "oldString": old, "newString": new},
                        "id": f"e-{len(new)}"}}],
        [answer],
    ]


def tab(vscode, name: str):
    return vscode.page.locator(f'.tabs-container .tab[aria-label^="{name}"]').first


def dirty(vscode, name: str) -> bool:
    return "dirty" in (tab(vscode, name).get_attribute("class") or "")


def shown_text(vscode) -> str:
    """The text of the active editor as it is drawn (non-breaking spaces as spaces)."""
    lines = vscode.page.locator(".editor-group-container.active .monaco-editor .view-lines .view-line")
    return "\n".join(line.replace("\u00a0", " ") for line in lines.all_inner_texts())


def conflicts(vscode) -> list[str]:
    return [n for n in vscode.notifications() if any(word in n for word in CONFLICT)]


def run_and_approve(vscode, text: str, answer: str) -> None:
    chat = vscode.chat
    vscode.send(text)
    ask = chat.locator(".permission")
    ask.wait_for(timeout=90000)
    ask.locator('button[data-reply="once"]').click()
    chat.locator(".text-part", has_text=answer).wait_for(timeout=90000)
    vscode.idle()


def save_and_check(vscode, name: str, disk_text: str, shot: str) -> None:
    """Ctrl+S in the editor: no conflict, the tab clean, the disk unchanged."""
    vscode.page.locator(".editor-group-container.active .monaco-editor .view-lines").first.click()
    vscode.page.keyboard.press("Control+S")
    wait_until(lambda: not dirty(vscode, name) or conflicts(vscode), 30, "the save to end")
    vscode.shot(shot)
    assert not conflicts(vscode), f"VS Code reported a save conflict: {conflicts(vscode)}"
    assert not dirty(vscode, name)


def test_agent_edit_and_undo_leave_the_open_file_clean(vscode, model):
    ws = vscode.server.workspace
    calc = ws / "calc.py"
    vscode.clear_notifications()
    vscode.open_file("calc.py")
    assert not dirty(vscode, "calc.py")
    edited = CALC.replace("return a + b", "return a + b  # the sum")
    model.set_script(edit_turns(calc, "return a + b", "return a + b  # the sum", "Annotated add."))
    run_and_approve(vscode, "annotate add", "Annotated add.")
    assert calc.read_text() == edited
    wait_until(lambda: "# the sum" in shown_text(vscode), 30, "the edit in the editor")
    # The buffer holds what is on disk: the tab is not marked modified.
    wait_until(lambda: not dirty(vscode, "calc.py"), 20, "the tab to be clean after the agent's edit")
    vscode.shot("20-agent-edit-open-file-clean")
    save_and_check(vscode, "calc.py", edited, "21-agent-edit-saved")
    assert calc.read_text() == edited

    # Undo the turn from the chat: the disk and the buffer go back, and the tab is clean again.
    vscode.send("/undo ")  # the trailing space closes the command list, so Enter runs it
    vscode.chat.locator(".revert-marker").wait_for(timeout=60000)
    wait_until(lambda: calc.read_text() == CALC, 30, "the file restored on disk")
    wait_until(lambda: "# the sum" not in shown_text(vscode), 30, "the restored text in the editor")
    wait_until(lambda: not dirty(vscode, "calc.py"), 20, "the tab to be clean after the undo")
    vscode.shot("22-undo-open-file-clean")
    save_and_check(vscode, "calc.py", CALC, "23-undo-saved")
    assert calc.read_text() == CALC


def test_agent_edit_keeps_unsaved_typing(vscode, model):
    ws = vscode.server.workspace
    calc = ws / "calc2.py"
    vscode.clear_notifications()
    vscode.open_file("calc2.py")
    page = vscode.page
    page.locator(".editor-group-container.active .monaco-editor .view-lines").first.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("# typed, not saved\n")
    wait_until(lambda: dirty(vscode, "calc2.py"), 20, "the tab to show the unsaved typing")
    assert "typed" not in calc.read_text()
    model.set_script(edit_turns(calc, "return a * b", "return a * b  # the product", "Annotated mul."))
    run_and_approve(vscode, "annotate mul", "Annotated mul.")
    # The edit worked on the buffer: the user's line and the agent's change are both in it and on
    # disk, and the user is told so.
    text = calc.read_text()
    assert "# typed, not saved" in text and "# the product" in text
    wait_until(lambda: "# the product" in shown_text(vscode), 30, "the edit in the editor")
    assert "# typed, not saved" in shown_text(vscode)
    wait_until(lambda: any("unsaved changes" in n for n in vscode.notifications()), 30, "the warning")
    wait_until(lambda: not dirty(vscode, "calc2.py"), 20, "the tab to be clean (the disk holds the buffer)")
    vscode.shot("24-unsaved-typing-merged")
    save_and_check(vscode, "calc2.py", text, "25-unsaved-typing-saved")
    assert calc.read_text() == text
    # Ctrl+Z in the editor brings back the text before the agent's edit, typing included.
    page.keyboard.press("Control+Z")
    wait_until(lambda: "# the product" not in shown_text(vscode), 20, "the editor's undo")
    assert "# typed, not saved" in shown_text(vscode)
    vscode.shot("26-unsaved-typing-editor-undo")


def test_undo_over_unsaved_typing_keeps_it_one_undo_away(vscode, model):
    ws = vscode.server.workspace
    calc = ws / "calc3.py"
    vscode.clear_notifications()
    vscode.open_file("calc3.py")
    model.set_script(edit_turns(calc, "return a + b", "return a + b  # the sum", "Annotated add."))
    run_and_approve(vscode, "annotate add in calc3", "Annotated add.")
    wait_until(lambda: "# the sum" in shown_text(vscode), 30, "the edit in the editor")
    wait_until(lambda: not dirty(vscode, "calc3.py"), 20, "the tab to be clean after the agent's edit")
    page = vscode.page
    page.locator(".editor-group-container.active .monaco-editor .view-lines").first.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("# typed later\n")
    wait_until(lambda: dirty(vscode, "calc3.py"), 20, "the tab to show the unsaved typing")
    # Undo the turn: the disk goes back to the file before the turn, the buffer follows, and the
    # user is told their unsaved changes were there; Ctrl+Z brings them back, and they save them.
    vscode.send("/undo ")
    wait_until(lambda: calc.read_text() == CALC, 60, "the file restored on disk")
    wait_until(lambda: "# the sum" not in shown_text(vscode), 30, "the restored text in the editor")
    warning = wait_until(lambda: [n for n in vscode.notifications() if "restored calc3.py" in n], 30, "the warning")
    assert "not on disk" in warning[0], warning
    vscode.shot("27-undo-over-unsaved-typing")
    page.locator(".editor-group-container.active .monaco-editor .view-lines").first.click()
    page.keyboard.press("Control+Z")
    wait_until(lambda: "# typed later" in shown_text(vscode), 20, "the editor's undo to bring the typing back")
    assert "# the sum" in shown_text(vscode)
    # The file changed on disk while the buffer held unsaved changes, so VS Code asks before
    # saving over it (VS Code's own rule; its extension API has no way to make a modified
    # document re-read its file); Overwrite saves what the user sees.
    page.keyboard.press("Control+S")
    wait_until(lambda: not dirty(vscode, "calc3.py") or conflicts(vscode), 30, "the save to end")
    vscode.shot("28-undo-over-unsaved-typing-save")
    if conflicts(vscode):
        page.locator(".notification-list-item", has_text="newer").locator("a.monaco-button", has_text="Overwrite").click()
    wait_until(lambda: not dirty(vscode, "calc3.py"), 30, "the save to end")
    text = calc.read_text()
    assert "# typed later" in text and "# the sum" in text
    vscode.shot("29-undo-over-unsaved-typing-saved")

"""The server's lifecycle as a person meets it in a real VS Code (code-server 4.100.3): a wrong
`opencode.server.pythonPath` is reported once, and fixing the setting brings the chat back with
no stale error left on screen. Shares the window and the model with the other e2e modules."""

from __future__ import annotations

import pytest

from tests.support.code_server import server_processes, wait_until

pytestmark = [pytest.mark.timeout(600), pytest.mark.usefixtures("vscode_test")]


def failure_toasts(vscode) -> list[str]:
    return [t for t in vscode.notifications() if "could not start the server" in t or "did not start" in t]


def set_python_path(vscode, value: str) -> None:
    """Type the setting in the Settings editor, as a person would."""
    vscode.command("Preferences: Open User Settings")
    search = vscode.page.locator(".settings-editor .suggest-input-container textarea, .settings-editor .search-container input").first
    search.wait_for(timeout=30000)
    search.fill("opencode.server.pythonPath")
    # A machine-overridable setting lives in the Remote (machine) tab of code-server's window.
    vscode.page.locator(".settings-editor .settings-tabs-widget .action-label", has_text="Remote").first.click()
    box = vscode.page.locator('.settings-editor .setting-item-contents:has-text("Python Path") .setting-item-control input').first
    box.wait_for(timeout=30000)
    box.fill(value)
    box.press("Tab")
    machine = vscode.server.user_data / "Machine" / "settings.json"
    wait_until(lambda: machine.exists() and value in machine.read_text(), 30, "the setting to be saved")
    vscode.page.keyboard.press("Control+W")  # close the Settings editor


def test_bad_python_path_is_reported_once_and_clears_on_recovery(vscode, model):
    server = vscode.server
    good = server.settings["opencode.server.pythonPath"]
    chat = vscode.chat
    try:
        set_python_path(vscode, "/nonexistent/bin/python3")
        wait_until(lambda: failure_toasts(vscode), 90, "the failure toast")
        chat.locator(".notice-error", has_text="could not start").wait_for(timeout=30000)
        wait_until(lambda: not server_processes(server.workspace), 30, "no server process")
        # The chat says what to do about it.
        notice = chat.locator(".notice-error", has_text="could not start")
        for action in ("How to install", "Show log", "Restart"):
            assert notice.locator("button", has_text=action).count() == 1
        vscode.shot("10-bad-python-path")
        assert len(failure_toasts(vscode)) == 1, vscode.notifications()
    finally:
        set_python_path(vscode, good)
    # Fixed: the server runs again, the error is gone from the chat and from the toasts.
    vscode.wait_ready()
    wait_until(lambda: chat.locator(".notice-error").count() == 0, 60, "the chat's error notice to go")
    wait_until(lambda: not failure_toasts(vscode), 60, "the failure toast to go after recovery")
    stale = [t for t in vscode.notification_center() if "could not start the server" in t]
    assert not stale, stale
    model.set_script([["running again"]])
    vscode.send("are you back?")
    chat.locator(".text-part", has_text="running again").wait_for(timeout=90000)
    vscode.idle()
    assert len(server_processes(server.workspace)) == 1

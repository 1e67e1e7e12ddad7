"""Driving a code-server window like a person: the workbench page, the chat webview's frame, the
command palette, the Sessions tree and notifications. Used by the VS Code end-to-end tests
(tests/editors/test_vscode_e2e*.py); every wait is on something visible, never a fixed sleep."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any, Iterator

from tests.support.code_server import ARTIFACTS, CHROMIUM, EXTENSION_ID, CodeServer, wait_until

REPO = Path(__file__).resolve().parents[2]
# The committed figures (the side bar only, to keep them small) are rewritten only on request
# (OPENCODE_LSP_WRITE_FIGURES=1): every run differs by a few pixels, and a test run must not
# leave the checkout modified. Otherwise they go with the other artifacts.
FIGURES = (REPO / "docs" / "figures" if os.environ.get("OPENCODE_LSP_WRITE_FIGURES") == "1"
           else ARTIFACTS / "figures")
HELLO = 'def greet(name):\n    return "hi " + name\n\n\nprint(greet("world"))\n'
SLOW = 0.15  # seconds between streamed chunks: long enough to press Stop or type mid-stream


def settings_for(base_url: str, trusted: bool = True) -> dict[str, Any]:
    return {
        "opencode.server.pythonPath": str(REPO / ".venv" / "bin" / "python"),
        "opencode.model": "fake/m",
        "opencode.smallModel": "fake/m",
        "opencode.providers": {"fake": {"apiBase": base_url}},
        "security.workspace.trust.enabled": not trusted,
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "extensions.ignoreRecommendations": True,
        "telemetry.telemetryLevel": "off",
        "update.mode": "none",
        "chat.disableAIFeatures": True,
        "window.commandCenter": False,
        "workbench.layoutControl.enabled": False,
    }


def slow_text(text: str, pieces: int, delay: float = SLOW) -> list[dict]:
    """A text answer streamed in `pieces` steps with a pause before each."""
    size = max(1, len(text) // pieces)
    chunks = [text[i:i + size] for i in range(0, len(text), size)]
    steps: list[dict] = []
    for chunk in chunks:
        steps += [{"sleep": delay}, {"text": chunk}]
    return steps


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright; one per test run (Playwright's sync API allows one)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"])
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def browser_window(browser: Any, server: CodeServer) -> Iterator["Window"]:
    """A code-server window in its own browser context."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.goto(server.url)
        page.locator(".monaco-workbench").wait_for(timeout=120000)
        yield Window(page, server)
    finally:
        context.close()


class Window:
    """The browser page of one code-server window, with the chat panel's frame."""

    def __init__(self, page, server: CodeServer):
        self.page = page
        self.server = server

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def figure(self, name: str) -> Path:
        """A screenshot of the side bar (the opencode chat) for the docs, also kept with the artifacts."""
        self.shot(name)
        FIGURES.mkdir(parents=True, exist_ok=True)
        path = FIGURES / f"{name}.png"
        self.page.locator(".part.sidebar").screenshot(path=str(path))
        return path

    # --- the workbench ----------------------------------------------------------------------

    def command(self, title: str) -> None:
        """Run a command from the palette (F1), by its title as the palette lists it. (No Escape
        first: it would also hide the notification toasts that tests look at.)"""
        self.page.keyboard.press("F1")
        box = self.page.locator(".quick-input-widget input")
        box.wait_for(state="visible", timeout=20000)
        box.fill(">" + title)
        self.page.locator(".quick-input-list .monaco-list-row", has_text=title).first.wait_for(timeout=20000)
        self.page.keyboard.press("Enter")

    def quick_input(self, text: str) -> None:
        """Answer an open input box (rename, API key ...) with `text`."""
        box = self.page.locator(".quick-input-widget input")
        box.wait_for(state="visible", timeout=20000)
        box.fill(text)
        box.press("Enter")
        box.wait_for(state="hidden", timeout=20000)

    def notifications(self) -> list[str]:
        """The text of the toasts on screen (and in the notification center when it is open)."""
        return self.page.locator(".notification-list-item-message").all_inner_texts()

    def notification_center(self) -> list[str]:
        """Every notification the window keeps, toasts hidden with Escape included."""
        self.command("Notifications: Show Notifications")
        center = self.page.locator(".notifications-center")
        center.wait_for(state="visible", timeout=20000)
        texts = center.locator(".notification-list-item-message").all_inner_texts()
        self.command("Notifications: Hide Notifications")
        return texts

    def clear_notifications(self) -> None:
        self.command("Notifications: Clear All Notifications")
        wait_until(lambda: not self.notifications(), 20, "the notifications to clear")

    def open_file(self, name: str) -> None:
        self.page.keyboard.press("Control+P")
        box = self.page.locator(".quick-input-widget input")
        box.wait_for(state="visible", timeout=20000)
        box.fill(name)
        self.page.locator(".quick-input-list .monaco-list-row", has_text=name).first.wait_for(timeout=20000)
        self.page.keyboard.press("Enter")
        self.page.locator(f'.tabs-container .tab[aria-label^="{name}"]').wait_for(timeout=20000)
        self.page.locator(".monaco-editor .view-lines").first.wait_for(timeout=20000)

    def open_from_explorer(self, name: str) -> None:
        """Open a file by clicking it in the Explorer (quick open may not list a file made a moment ago)."""
        item = self.page.locator('.activitybar .action-item:has(a[aria-label^="Explorer"])').first
        if "checked" not in (item.get_attribute("class") or ""):
            item.click()  # a second click on the shown Explorer would hide it
        self.page.mouse.move(800, 600)  # away from the icon, whose tooltip would cover the first row
        hover = self.page.locator(".hover-contents", has_text="Explorer")
        wait_until(lambda: not hover.count() or not hover.first.is_visible(), 20, "the Explorer tooltip to go")
        row = self.page.locator(".explorer-folders-view .monaco-list-row", has_text=name).first
        row.wait_for(timeout=30000)
        row.click()
        self.page.locator(f'.tabs-container .tab[aria-label^="{name}"]').wait_for(timeout=20000)

    def activity_badge(self) -> str:
        """The number on the opencode icon of the activity bar ("" when none is shown)."""
        badge = self.page.locator('.activitybar .action-item:has(a[aria-label^="opencode"]) .badge-content')
        if not badge.count() or not badge.first.is_visible():
            return ""
        return badge.first.inner_text().strip()

    # --- the opencode views -----------------------------------------------------------------

    @property
    def chat(self):
        outer = self.page.frame_locator(f'iframe.webview[src*="{EXTENSION_ID}"]').first
        return outer.frame_locator("iframe#active-frame")

    def chat_visible(self) -> bool:
        try:
            return self.chat.locator("#input").is_visible(timeout=1000)
        except Exception:
            return False

    def open_chat(self) -> None:
        """Show the chat; idempotent (clicking the activity-bar icon of an open view would close it)."""
        if self.chat_visible():
            return
        item = self.page.locator('.activitybar .action-item:has(a[aria-label^="opencode"])').first
        sidebar = self.page.locator(".part.sidebar")

        def shown() -> bool:
            if self.chat_visible():
                return True
            # Click only when the container is not on screen (a reload may restore the icon as
            # selected with the side bar still hidden); a click on a shown one would hide it.
            selected = "checked" in (item.get_attribute("class", timeout=60000) or "")
            if not selected or not sidebar.is_visible():
                item.click(timeout=60000)
                with contextlib.suppress(Exception):
                    self.chat.locator("#input").wait_for(state="visible", timeout=15000)
            return self.chat_visible()

        try:
            wait_until(shown, 120, "the chat to show")
        except Exception:
            self.shot("failed-open-chat")
            raise

    def wait_ready(self) -> None:
        """The chat shows, the server runs and the pickers are filled."""
        self.open_chat()
        wait_until(lambda: self.chat.locator("#model-picker option").count() > 1, 120, "the model picker to fill")
        wait_until(lambda: self.chat.locator("#send").is_enabled(), 60, "Send to be enabled")

    def send(self, text: str) -> None:
        box = self.chat.locator("#input")
        box.click()
        box.fill(text)
        box.press("Enter")

    def running(self) -> bool:
        return self.chat.locator("#stop").is_visible()

    def idle(self, timeout: float = 90) -> None:
        wait_until(lambda: not self.running(), timeout, "the run to end (Stop hidden)")

    def settle(self) -> None:
        """Leave the chat as a person would find it: no queued prompt, no run, no open quick input."""
        self.page.keyboard.press("Escape")
        if not self.chat_visible():
            self.open_chat()
        chat = self.chat
        while chat.locator(".queued-remove").count():
            before = chat.locator(".queued").count()
            chat.locator(".queued-remove").first.click()
            wait_until(lambda: chat.locator(".queued").count() < before, 20, "a queued prompt to be removed")
        if self.running():
            chat.locator("#stop").click()
            self.idle(60)

    def session_rows(self):
        return self.page.locator('[id="workbench.view.extension.opencode"] .monaco-list-row, '
                                 '.pane:has(.pane-header[aria-label*="Sessions"]) .monaco-list-row')

    def session_row(self, title: str):
        """Rows of the Sessions tree labelled exactly `title`."""
        label = self.page.locator(".label-name", has_text=re.compile(f"^{re.escape(title)}$"))
        return self.page.get_by_role("treeitem").filter(has=label)

    def current_session_row(self, title: str):
        """The row of the session the chat shows (the tree marks it with its own icon)."""
        return self.session_row(title).filter(has=self.page.locator(".codicon-comment-discussion"))

    def session_titles(self) -> list[str]:
        return [t.strip() for t in self.page.get_by_role("treeitem").all_inner_texts()]

    def context_menu(self, row, item: str) -> None:
        row.click(button="right")
        self.choose(".monaco-menu .action-item", item)

    def choose(self, items: str, label: str) -> None:
        """Pick `label` in an open menu or quick-fix list with the keyboard (the workbench lays a
        pointer block over the page while a menu is open, so mouse clicks do not reach it)."""
        entry = self.page.locator(items, has_text=label).first
        entry.wait_for(timeout=30000)
        for _ in range(20):
            if "focused" in (entry.get_attribute("class") or ""):
                self.page.keyboard.press("Enter")
                return
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"could not move to {label!r} in the menu")

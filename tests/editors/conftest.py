"""Fixtures shared by the VS Code end-to-end modules (tests/editors/test_vscode_e2e*.py): the
packaged extension, one Chromium, one scripted model and one code-server window for the whole run
(the trust module opens its own window). `vscode_test` gives each test a ready chat and cleans up
after it."""

from __future__ import annotations

import json

import pytest

from tests.support.code_server import CodeServer, build_vsix, code_server_entry, server_processes, wait_until
from tests.support.fake_openai import FakeOpenAI, is_title_request
from tests.support.vscode_ui import HELLO, browser_window, chromium, settings_for


@pytest.fixture(scope="session")
def vsix(tmp_path_factory):
    return build_vsix(tmp_path_factory.mktemp("vsix"))


@pytest.fixture(scope="session")
def chromium_browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="session")
def model():
    fake = FakeOpenAI([])
    fake.route(is_title_request, [["Greeting helper"]])
    with fake:
        yield fake


@pytest.fixture(scope="session")
def vscode(model, vsix, chromium_browser, tmp_path_factory):
    root = tmp_path_factory.mktemp("vscode-e2e")
    workspace = root / "ws"
    workspace.mkdir()
    (workspace / "hello.py").write_text(HELLO)
    (workspace / "opencode.json").write_text(json.dumps({"permission": {"edit": "ask", "bash": "ask"}}))
    server = CodeServer(code_server_entry(), root, workspace, settings_for(model.base_url),
                        env={"OPENCODE_LSP_DATA_DIR": str(root / "data"), "OPENCODE_LSP_NO_GLOBAL_CONFIG": "1"})
    server.install(vsix)
    server.start()
    try:
        with browser_window(chromium_browser, server) as window:
            yield window
    finally:
        server.stop()
    # Closing the window ends the extension host, and with it the server the extension started.
    wait_until(lambda: not server_processes(workspace), 30, "the server process to exit")


@pytest.fixture
def vscode_test(request, vscode):
    """Per test: the chat is shown with its pickers filled before it starts; after it, its run is
    stopped and its queued prompts dropped, so a failing test fails alone. A failure's screen is
    saved as failed-<test>.png."""
    vscode.wait_ready()
    failed = request.session.testsfailed
    yield vscode
    if request.session.testsfailed > failed:
        vscode.shot(f"failed-{request.node.name}")
    vscode.settle()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Run the tests that drive Chromium last. Playwright's sync API keeps an event loop running on
    the main thread for as long as the shared browser lives (the whole session), and any asyncio
    test after it fails with "cannot be called from a running event loop"."""
    browser = [item for item in items if "chromium_browser" in getattr(item, "fixturenames", ())]
    if browser:
        others = [item for item in items if "chromium_browser" not in getattr(item, "fixturenames", ())]
        items[:] = others + browser

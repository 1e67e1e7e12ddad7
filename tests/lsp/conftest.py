"""One pytest-lsp client fixture, run against VS Code-like and Neovim-like capability profiles.

The real server runs over stdio in a subprocess. Each test gets its own workspace folder and its
own store directory (through initializationOptions), so tests never share state.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any, Union

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import register_lsp_features

from opencode_lsp.lsp.converter import raw_converter

PROFILES = ["visual-studio-code", "neovim"]

SERVER_ENV = {
    **os.environ,
    "OPENCODE_LSP_NO_GLOBAL_CONFIG": "1",
    "PYTHONUNBUFFERED": "1",
}


class Recorder:
    """Raw ``$/progress`` values and ``opencode/event`` notifications, as the plugins see them."""

    def __init__(self) -> None:
        self.progress: dict[Any, list[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self.changed = asyncio.Event()

    def reports(self, token: Any) -> list[dict[str, Any]]:
        return self.progress.get(token, [])

    def events_of(self, token: Any) -> list[dict[str, Any]]:
        return [v["event"] for v in self.reports(token) if v.get("kind") == "report"]

    async def wait_for(self, predicate, timeout: float = 20.0) -> Any:
        async def poll():
            while True:
                found = predicate()
                if found:
                    return found
                self.changed.clear()
                await self.changed.wait()

        return await asyncio.wait_for(poll(), timeout)


def attach_recorder(client: LanguageClient) -> Recorder:
    recorder = Recorder()
    features = client.protocol.fm.features
    original_progress = features[types.PROGRESS]

    def on_progress(params: Any) -> None:
        value = params.value if hasattr(params, "value") else params["value"]
        token = params.token if hasattr(params, "token") else params["token"]
        if isinstance(value, dict):
            if value.get("kind") == "report" and "event" not in value and recorder.events:
                # With events on, a report carries only the human line: its event went out just
                # before it on opencode/event (the same bus publish sends both, in that order).
                value = {**value, "event": recorder.events[-1]}
            recorder.progress.setdefault(token, []).append(value)
            recorder.changed.set()
        original_progress(params)

    def on_event(params: Any) -> None:
        recorder.events.append(params if isinstance(params, dict) else dict(params))
        recorder.changed.set()

    features[types.PROGRESS] = on_progress
    features["opencode/event"] = on_event
    return recorder


def init_params(profile: str, root: Path, options: dict[str, Any]) -> types.InitializeParams:
    return types.InitializeParams(
        capabilities=client_capabilities(profile),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        initialization_options=options,
    )


@pytest.fixture
def workspace(tmp_path: Path, request) -> Path:
    """The workspace folder; ``@pytest.mark.files({"name": "text"})`` adds files before the server starts."""
    root = tmp_path / "ws"
    root.mkdir()
    (root / "hello.py").write_text('print("hi")\n')
    marker = request.node.get_closest_marker("files")
    for name, text in (marker.args[0] if marker else {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.fixture
def init_options(tmp_path: Path) -> dict[str, Any]:
    """initializationOptions; tests extend it (e.g. with a model) before the client starts."""
    return {"storage": {"path": str(tmp_path / "store")}, "events": True}


def client_converter():
    """Our raw converter, plus a fix for lsprotocol's client-side parsing of code actions: it
    reads any object with a ``command`` key as a Command, even a CodeAction whose ``command`` is
    an object (LSP says: a Command has a string ``command``)."""
    converter = raw_converter()
    union = Union[types.Command, types.CodeAction]

    def structure(obj: Any, _type: Any) -> Any:
        kind = types.Command if isinstance(obj.get("command"), str) else types.CodeAction
        return converter.structure(obj, kind)

    converter.register_structure_hook(union, structure)
    return converter


def make_client() -> LanguageClient:
    """pytest-lsp's client, but keeping custom results as plain JSON like a real editor does.

    It also plays the editor's part for ``workspace/applyEdit`` (recorded, applied or refused per
    ``client.apply_edit_result``) and ``window/showMessageRequest`` (answered from
    ``client.message_answers``, recorded in ``client.message_requests``)."""
    client = LanguageClient(converter_factory=client_converter)
    register_lsp_features(client)
    client.applied_edits = []
    client.apply_edit_result = True
    client.message_requests = []
    client.message_answers = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams):
        client.applied_edits.append(params)
        if getattr(client, "on_apply_edit", None) is not None:  # an editor emulation (buffers)
            return client.on_apply_edit(params)
        if client.apply_edit_result:
            return types.ApplyWorkspaceEditResult(applied=True)
        return types.ApplyWorkspaceEditResult(applied=False, failure_reason="refused by the test editor")

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def show_message_request(params: types.ShowMessageRequestParams):
        client.message_requests.append(params)
        title = client.message_answers.pop(0) if client.message_answers else None
        return None if title is None else types.MessageActionItem(title=title)

    return client


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "opencode_lsp"], server_env=SERVER_ENV, client_factory=make_client
    ),
    params=PROFILES,
)
async def client(lsp_client: LanguageClient, request, workspace: Path, init_options: dict[str, Any]):
    lsp_client.recorder = attach_recorder(lsp_client)
    lsp_client.init_result = await lsp_client.initialize_session(init_params(request.param, workspace, init_options))
    yield
    await lsp_client.shutdown_session()


async def call(client: LanguageClient, method: str, params: Any = None) -> Any:
    return await client.protocol.send_request_async(method, params)

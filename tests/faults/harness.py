"""A raw-protocol harness for fault tests: the real server as a subprocess we can kill or starve.

pytest-lsp's client hides the process; fault tests need to SIGKILL it, close its stdin, leave its
requests unanswered and restart it on the same store. ``opencode_lsp.client.LspClient`` (pygls'
LanguageClient on the server's stdio, keeping messages as plain JSON) gives us that, and this module adds the editor side (answers to server requests) and event recording.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any, Callable

from opencode_lsp.client import LspClient

SERVER = [sys.executable, "-m", "opencode_lsp", "--stdio"]
ENV = {**os.environ, "OPENCODE_LSP_NO_GLOBAL_CONFIG": "1", "PYTHONUNBUFFERED": "1"}


class Editor:
    """One server process plus what a simple editor does with it."""

    def __init__(self, root: Path, options: dict[str, Any], *, env: dict[str, str] | None = None):
        self.root = root
        self.options = options
        self.client = LspClient(SERVER, env={**ENV, **(env or {})}, cwd=str(root))
        self.events: list[dict[str, Any]] = []
        self.notifications: list[tuple[str, Any]] = []
        self.changed = asyncio.Event()
        self.server_requests: list[tuple[str, Any]] = []
        # What the editor answers; a handler that never returns models an editor that never answers.
        self.answers: dict[str, Callable[[Any], Any]] = {
            "window/workDoneProgress/create": _none,
            "client/registerCapability": _none,
            "workspace/configuration": lambda params: [None for _ in (params or {}).get("items", [])],
            "window/showMessageRequest": _none,
            "workspace/applyEdit": lambda params: {"applied": True},
        }

    @property
    def pid(self) -> int:
        assert self.client.proc is not None
        return self.client.proc.pid

    async def start(self, capabilities: dict[str, Any] | None = None) -> dict[str, Any]:
        self.client.on_notification = self._on_notification
        for method in self.answers:
            self.client.feature(method)(self._answerer(method))
        await self.client.start()
        result = await asyncio.wait_for(self.client.request("initialize", {
            "processId": os.getpid(), "rootUri": self.root.as_uri(),
            "workspaceFolders": [{"uri": self.root.as_uri(), "name": self.root.name}],
            "capabilities": capabilities or {}, "initializationOptions": self.options,
        }), 30)
        self.client.notify("initialized", {})
        return result

    def _answerer(self, method: str):
        async def answer(params: Any) -> Any:
            self.server_requests.append((method, params))
            self.changed.set()
            result = self.answers[method](params)
            if asyncio.iscoroutine(result):
                result = await result
            return result

        return answer

    def _on_notification(self, method: str, params: Any) -> None:
        self.notifications.append((method, params))
        if method == "opencode/event":
            self.events.append(params)
        self.changed.set()

    async def request(self, method: str, params: Any = None, timeout: float = 30.0) -> Any:
        return await asyncio.wait_for(self.client.request(method, params), timeout)

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 60.0) -> Any:
        async def poll() -> Any:
            while True:
                found = predicate()
                if found:
                    return found
                self.changed.clear()
                await self.changed.wait()

        return await asyncio.wait_for(poll(), timeout)

    def events_of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("type") == kind]

    async def new_session(self) -> str:
        return (await self.request("opencode/session/create", {}))["id"]

    async def prompt(self, sid: str, text: str = "go", timeout: float = 60.0) -> dict[str, Any]:
        return await self.request("opencode/session/prompt",
                                  {"sessionID": sid, "parts": [{"type": "text", "text": text}]}, timeout)

    async def messages(self, sid: str) -> list[dict[str, Any]]:
        return await self.request("opencode/session/messages", {"sessionID": sid})

    async def close(self) -> None:
        await self.client.close()


def _none(params: Any) -> None:
    return None


async def never(params: Any) -> None:
    """An editor that never answers this request."""
    await asyncio.Event().wait()


def model_options(store: Path, base_url: str, **extra: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "storage": {"path": str(store)}, "events": True, "permissionUI": True, "model": "fake/m",
        "providers": {"fake": {"apiBase": base_url}},
    }
    options.update(extra)
    return options


def tool_parts(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for e in entries for p in e["parts"] if p["type"] == "tool"]

"""``opencode-lsp acp`` as a child process, driven by the ACP SDK's own client side.

The model is the scripted OpenAI-compatible server over HTTP, reached through real litellm; the
workspace's opencode.json points at it. Each test has its own workspace and data directory.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import acp
import pytest
from acp.schema import (
    AllowedOutcome,
    ClientCapabilities,
    DeniedOutcome,
    FileSystemCapabilities,
    ReadTextFileResponse,
    RequestPermissionResponse,
    WriteTextFileResponse,
)


WAIT = 60.0  # generous: eight agents share two cores


class EditorClient:
    """A scripted ACP editor: records every update, answers permission asks from ``answers``
    (option ids, in order; none left -> the first allow-once option) and, when asked to, serves
    fs/* from its own ``buffers`` (unsaved text wins over the disk, writes stay in the buffer)."""

    def __init__(self) -> None:
        self.updates: list[tuple[str, Any]] = []
        self.permission_requests: list[Any] = []
        self.answers: list[str] = []
        self.reads: list[str] = []
        self.writes: list[tuple[str, str]] = []
        self.buffers: dict[str, str] = {}
        self.changed = asyncio.Event()

    async def session_update(self, session_id: str, update: Any, **kwargs: Any) -> None:
        self.updates.append((session_id, update))
        self.changed.set()

    async def request_permission(self, session_id: str, tool_call: Any, options: list[Any],
                                 **kwargs: Any) -> RequestPermissionResponse:
        self.permission_requests.append((session_id, tool_call, options))
        self.changed.set()
        answer = self.answers.pop(0) if self.answers else "once"
        if answer == "cancelled":
            return RequestPermissionResponse(outcome=DeniedOutcome(outcome="cancelled"))
        return RequestPermissionResponse(outcome=AllowedOutcome(outcome="selected", option_id=answer))

    async def read_text_file(self, session_id: str, path: str, line: int | None = None,
                             limit: int | None = None, **kwargs: Any) -> ReadTextFileResponse:
        self.reads.append(path)
        if path in self.buffers:
            return ReadTextFileResponse(content=self.buffers[path])
        try:
            return ReadTextFileResponse(content=Path(path).read_text())
        except FileNotFoundError:
            raise acp.RequestError.resource_not_found(path) from None

    async def write_text_file(self, session_id: str, path: str, content: str,
                              **kwargs: Any) -> WriteTextFileResponse:
        self.writes.append((path, content))
        self.buffers[path] = content  # like an editor that has not saved yet
        return WriteTextFileResponse()

    # --- helpers for tests ------------------------------------------------------------------

    def of(self, session_id: str, kind: str) -> list[Any]:
        return [u for sid, u in self.updates if sid == session_id and u.session_update == kind]

    def text(self, session_id: str, kind: str = "agent_message_chunk") -> str:
        return "".join(u.content.text for u in self.of(session_id, kind))

    async def wait_for(self, predicate, timeout: float = WAIT) -> Any:
        async def poll():
            while True:
                found = predicate()
                if found:
                    return found
                self.changed.clear()
                await self.changed.wait()

        return await asyncio.wait_for(poll(), timeout)


def write_config(root: Path, base_url: str, **extra: Any) -> None:
    config = {"model": "fake/m", "provider": {"fake": {"options": {"baseURL": base_url}, "models": {"m": {}}}},
              **extra}
    (root / "opencode.json").write_text(json.dumps(config))


@pytest.fixture
def workspace(tmp_path: Path, fake) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "hello.py").write_text('print("hi")\n')
    write_config(root, fake.base_url)
    return root.resolve()


@pytest.fixture
def agent_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update({"OPENCODE_LSP_DATA_DIR": str(tmp_path / "data"), "OPENCODE_LSP_NO_GLOBAL_CONFIG": "1",
                "PYTHONUNBUFFERED": "1"})
    return env


@asynccontextmanager
async def acp_agent(workspace: Path, env: dict[str, str], *, fs: bool = False, client: EditorClient | None = None):
    """Spawn ``opencode-lsp acp`` and initialize it; yields (client, connection, process)."""
    editor = client or EditorClient()
    log = open(workspace.parent / "acp.log", "ab")
    try:
        async with acp.spawn_agent_process(
            editor, sys.executable, "-m", "opencode_lsp", "acp", env=env, cwd=str(workspace),
            transport_kwargs={"stderr": log.fileno(), "shutdown_timeout": 30.0},
        ) as (conn, process):
            await asyncio.wait_for(conn.initialize(
                protocol_version=acp.PROTOCOL_VERSION,
                client_capabilities=ClientCapabilities(
                    fs=FileSystemCapabilities(read_text_file=fs, write_text_file=fs)),
            ), WAIT)
            yield editor, conn, process
    finally:
        log.close()


def stopped(process: Any) -> bool:
    return process.returncode is not None


__all__ = ["EditorClient", "acp_agent", "WAIT", "write_config", "subprocess"]

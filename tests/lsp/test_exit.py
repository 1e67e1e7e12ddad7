"""LSP's exit over the real server's stdio: the status LSP asks for, and a process that ends.

Interpreter teardown with litellm loaded could deadlock (a litellm object's ``__del__`` importing
a module whose lock a frozen daemon thread held): the server answered ``shutdown`` and then never
exited, and the client waited on it. The server now leaves without teardown (process_exit.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import SERVER_ENV

SERVER = [sys.executable, "-m", "opencode_lsp", "--stdio"]
WAIT = 180  # seconds: generous, for a loaded machine; a hung server fails here, not in teardown


class RawServer:
    """The server process spoken to frame by frame, as a minimal editor would."""

    def __init__(self, process: asyncio.subprocess.Process):
        self.process = process
        self.next_id = 0

    @classmethod
    async def start(cls, root: Path, store: Path) -> RawServer:
        process = await asyncio.create_subprocess_exec(
            *SERVER, cwd=root, env=SERVER_ENV, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
        return cls(process)

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        length = 0
        while True:
            line = await self.process.stdout.readline()
            assert line, "the server closed its stdout"
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            elif line in (b"\r\n", b"\n"):
                return json.loads(await self.process.stdout.readexactly(length))

    async def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        sent = self.next_id
        self.send({"id": sent, "method": method, "params": params})
        while True:
            message = await asyncio.wait_for(self.receive(), WAIT)
            if "method" in message and "id" in message:  # the server asks (configuration): no answer
                self.send({"id": message["id"], "result": None})
            elif message.get("id") == sent:
                assert "error" not in message, message
                return message.get("result")

    async def initialize(self, root: Path, store: Path) -> None:
        await self.request("initialize", {
            "processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {},
            "initializationOptions": {"storage": {"path": str(store)}}})
        self.send({"method": "initialized", "params": {}})

    async def exit_status(self) -> int:
        return await asyncio.wait_for(self.process.wait(), WAIT)


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "ws"
    root.mkdir()
    return root, tmp_path / "store"


@pytest.mark.parametrize("shutdown_first, status", [(True, 0), (False, 1)])
async def test_exit_status_is_the_one_lsp_gives(dirs, shutdown_first, status):
    server = await RawServer.start(*dirs)
    await server.initialize(*dirs)
    if shutdown_first:
        assert await server.request("shutdown", None) is None
    server.send({"method": "exit"})
    assert await server.exit_status() == status


@pytest.mark.parametrize("attempt", range(3))
async def test_the_server_exits_after_litellm_loaded(dirs, attempt):
    # The CI failure this covers: the model list (which loads litellm), then shutdown and exit.
    server = await RawServer.start(*dirs)
    await server.initialize(*dirs)
    assert isinstance(await server.request("opencode/model/list", {}), list)
    await server.request("shutdown", None)
    server.send({"method": "exit"})
    assert await server.exit_status() == 0

"""The TCP transport: ``opencode-lsp --tcp --host 127.0.0.1 --port N``."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from .conftest import SERVER_ENV


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def read_message(reader: asyncio.StreamReader) -> dict:
    length = 0
    while True:
        line = (await reader.readline()).strip()
        if not line:
            break
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return json.loads(await reader.readexactly(length))


async def test_tcp_transport_serves_the_protocol(tmp_path: Path):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "opencode_lsp", "--tcp", "--host", "127.0.0.1", "--port", str(port)],
                              env=SERVER_ENV, cwd=tmp_path)
    try:
        for _ in range(1200):  # generous: a loaded machine takes seconds to start Python
            assert server.poll() is None, "the server exited before listening"
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError("the server did not listen within a minute")

        def send(message: dict) -> None:
            body = json.dumps(message).encode()
            writer.write(b"Content-Length: %d\r\n\r\n%b" % (len(body), body))

        send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "processId": os.getpid(), "rootUri": tmp_path.as_uri(), "capabilities": {},
            "initializationOptions": {"storage": {"path": str(tmp_path / "store")}}}})
        init = await asyncio.wait_for(read_message(reader), 10)
        assert "opencode" in init["result"]["capabilities"]["experimental"]
        send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
        send({"jsonrpc": "2.0", "id": 2, "method": "opencode/session/create", "params": {"title": "over tcp"}})
        while True:
            message = await asyncio.wait_for(read_message(reader), 10)
            if message.get("id") == 2:
                break
        assert message["result"]["title"] == "over tcp"
        writer.close()
    finally:
        server.kill()
        server.wait(10)

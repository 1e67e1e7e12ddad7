"""Bad JSON-RPC frames over the real server's stdio: each gets an error or is dropped, and the
server keeps answering the requests that follow."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from opencode_lsp.client import server_command


def frame(body: bytes, length: bytes | None = None) -> bytes:
    return b"Content-Length: " + (length if length is not None else str(len(body)).encode()) + b"\r\n\r\n" + body


def request(rid: int, method: str, params: dict) -> bytes:
    return frame(json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params}).encode())


async def read_frame(stdout: asyncio.StreamReader) -> dict:
    length = None
    while True:
        line = await stdout.readline()
        assert line, "the server closed its output"
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
        elif line in (b"\r\n", b"\n") and length is not None:
            return json.loads(await stdout.readexactly(length))


async def answer_to(stdout: asyncio.StreamReader, rid: int) -> tuple[dict, list[dict]]:
    others = []
    while True:
        message = await asyncio.wait_for(read_frame(stdout), 60)
        if message.get("id") == rid and "method" not in message:
            return message, others
        others.append(message)


@pytest.mark.parametrize("bad", [
    frame(b'{"jsonrpc": "2.0", "id": 99, "method": "x"}', b"1000000000000"),
    frame(b'{"jsonrpc": "2.0", "id": 99, "method": "x"}', b"-5"),
    frame(b'{"jsonrpc": "2.0", "id": 99, "method": "x"}', b"12abc"),
    frame(b"this is not json at all"),
], ids=["huge", "negative", "garbled", "not-json"])
async def test_a_bad_frame_gets_an_error_and_the_server_stays_responsive(tmp_path: Path, bad: bytes):
    root = tmp_path / "ws"
    root.mkdir()
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    proc = await asyncio.create_subprocess_exec(*server_command(), cwd=root, env=env, stdin=asyncio.subprocess.PIPE,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    try:
        assert proc.stdin is not None and proc.stdout is not None
        if bad.startswith(b"Content-Length: 1000000000000"):
            proc.stdin.write(bad[: bad.index(b"\r\n\r\n") + 4] + b"x" * 4096)
        else:
            proc.stdin.write(bad)
        proc.stdin.write(request(1, "initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}))
        await proc.stdin.drain()
        if bad.startswith(b"Content-Length: 1000000000000"):
            # The rest of the announced body never comes; the error is sent at once and the
            # server is still alive and reading.
            message = await asyncio.wait_for(read_frame(proc.stdout), 60)
            assert message["id"] is None and message["error"]["code"] == -32600
            assert proc.returncode is None
            return
        reply, before = await answer_to(proc.stdout, 1)
        assert "capabilities" in reply["result"]
        assert any(m.get("id") is None and m.get("error", {}).get("code") in (-32600, -32700) for m in before)
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()

"""Bad JSON-RPC frames over the real server's stdio and over TCP (``--tcp --port N``): each gets
an error or is dropped, and the server keeps answering the requests that follow."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.asynccontextmanager
async def connected(transport: str, tmp_path: Path, root: Path) -> AsyncIterator[
        tuple[asyncio.subprocess.Process, asyncio.StreamWriter, asyncio.StreamReader]]:
    """The real server, and a writer and a reader to its JSON-RPC stream."""
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    if transport == "stdio":
        command, pipe = server_command(), asyncio.subprocess.PIPE
    else:
        port = free_port()
        command = [sys.executable, "-m", "opencode_lsp", "--tcp", "--host", "127.0.0.1", "--port", str(port)]
        pipe = asyncio.subprocess.DEVNULL
    proc = await asyncio.create_subprocess_exec(*command, cwd=root, env=env, stdin=pipe, stdout=pipe,
                                                stderr=asyncio.subprocess.DEVNULL)
    try:
        if transport == "stdio":
            assert proc.stdin is not None and proc.stdout is not None
            yield proc, proc.stdin, proc.stdout
            return
        while True:  # until it listens
            assert proc.returncode is None, "the server exited before listening"
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        try:
            yield proc, writer, reader
        finally:
            writer.close()
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


@pytest.mark.parametrize("transport", ["stdio", "tcp"])
@pytest.mark.parametrize("bad", [
    frame(b'{"jsonrpc": "2.0", "id": 99, "method": "x"}', b"1000000000000"),
    frame(b'{"jsonrpc": "2.0", "id": 99, "method": "x"}', b"-5"),
    frame(b'{"jsonrpc": "2.0", "id": 99, "method": "x"}', b"12abc"),
    frame(b"this is not json at all"),
], ids=["huge", "negative", "garbled", "not-json"])
async def test_a_bad_frame_gets_an_error_and_the_server_stays_responsive(tmp_path: Path, bad: bytes,
                                                                         transport: str):
    root = tmp_path / "ws"
    root.mkdir()
    async with connected(transport, tmp_path, root) as (proc, stdin, stdout):
        if bad.startswith(b"Content-Length: 1000000000000"):
            stdin.write(bad[: bad.index(b"\r\n\r\n") + 4] + b"x" * 4096)
        else:
            stdin.write(bad)
        stdin.write(request(1, "initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}))
        await stdin.drain()
        if bad.startswith(b"Content-Length: 1000000000000"):
            # The rest of the announced body never comes; the error is sent at once and the
            # server is still alive and reading.
            message = await asyncio.wait_for(read_frame(stdout), 60)
            assert message["id"] is None and message["error"]["code"] == -32600
            assert proc.returncode is None
            return
        reply, before = await answer_to(stdout, 1)
        assert "capabilities" in reply["result"]
        assert any(m.get("id") is None and m.get("error", {}).get("code") in (-32600, -32700) for m in before)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc status")


async def test_endless_bytes_with_no_newline_do_not_grow_the_server_over_stdio(tmp_path: Path):
    """A header line that never ends is read in bounded pieces: pygls' stdin reader called
    readline() with no limit, so these 600 MB became one line in the server's memory."""
    root = tmp_path / "ws"
    root.mkdir()
    noise_mb = 600
    async with connected("stdio", tmp_path, root) as (proc, stdin, stdout):
        chunk = b"x" * (1024 * 1024)
        for _ in range(noise_mb):
            stdin.write(chunk)
            await stdin.drain()
        stdin.write(b"\r\n")
        stdin.write(request(1, "initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}))
        await stdin.drain()
        reply, _ = await answer_to(stdout, 1)
        assert "capabilities" in reply["result"]
        # The server's own footprint (litellm warming up included) is a few hundred MB at most;
        # holding the line would have needed the whole 600 MB at once.
        assert peak_rss_mb(proc.pid) < noise_mb - 100

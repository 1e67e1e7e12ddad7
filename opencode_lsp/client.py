"""A small asyncio LSP client over a subprocess's stdio: the reference client of our protocol.

Used by ``opencode-lsp run``. It frames JSON-RPC messages, matches responses to requests, hands
notifications to a callback, and answers the server's own requests through a handler table.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from typing import Any, Awaitable, Callable

ServerRequestHandler = Callable[[Any], Awaitable[Any]]


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None):
        super().__init__(f"{message} ({code})")
        self.code = code
        self.message = message
        self.data = data


class LspClient:
    def __init__(self, command: list[str], *, env: dict[str, str] | None = None, cwd: str | None = None):
        self.command = command
        self.env = env
        self.cwd = cwd
        self.proc: asyncio.subprocess.Process | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self.on_notification: Callable[[str, Any], None] = lambda method, params: None
        self.handlers: dict[str, ServerRequestHandler] = {}
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            *self.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=None, env=self.env, cwd=self.cwd, limit=2**24,
        )
        self._reader = asyncio.ensure_future(self._read_loop())

    def _write(self, message: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        body = json.dumps(message).encode()
        self.proc.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)

    async def request(self, method: str, params: Any = None) -> Any:
        msg_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        self._write({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        return await future

    def notify(self, method: str, params: Any = None) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    async def _read_loop(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        stdout = self.proc.stdout
        try:
            while True:
                length = 0
                while True:
                    line = await stdout.readline()
                    if not line:
                        raise EOFError
                    line = line.strip()
                    if not line:
                        break
                    name, _, value = line.decode().partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                message = json.loads(await stdout.readexactly(length))
                self._dispatch(message)
        except (EOFError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(RpcError(-32099, "the server exited"))

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "method" in message and "id" in message:
            asyncio.ensure_future(self._answer(message))
        elif "method" in message:
            self.on_notification(message["method"], message.get("params"))
        else:
            future = self._pending.pop(message.get("id", -1), None)
            if future is None or future.done():
                return
            if "error" in message and message["error"] is not None:
                err = message["error"]
                future.set_exception(RpcError(err.get("code", -32603), err.get("message", ""), err.get("data")))
            else:
                future.set_result(message.get("result"))

    async def _answer(self, message: dict[str, Any]) -> None:
        handler = self.handlers.get(message["method"])
        try:
            result = await handler(message.get("params")) if handler else None
            self._write({"jsonrpc": "2.0", "id": message["id"], "result": result})
        except Exception as exc:
            self._write({"jsonrpc": "2.0", "id": message["id"],
                         "error": {"code": -32603, "message": str(exc)}})

    async def close(self) -> None:
        if self.proc is None:
            return
        try:
            await asyncio.wait_for(self.request("shutdown"), timeout=5)
            self.notify("exit")
        except Exception:
            pass
        try:
            await asyncio.wait_for(self.proc.wait(), timeout=5)
        except asyncio.TimeoutError:
            self.proc.kill()
        if self._reader:
            self._reader.cancel()


def server_command() -> list[str]:
    return [sys.executable, "-m", "opencode_lsp", "--stdio"]

"""The reference client of our protocol: pygls' ``LanguageClient`` on a server subprocess's stdio.

Used by ``opencode-lsp run``, the benchmarks, and the tests that need the server process itself
(to kill it, restart it on the same store, or leave its requests unanswered). pygls frames the
messages, matches responses to requests and calls the handlers registered with ``feature`` for
the server's requests. This subclass adds what an editor of our protocol needs:

- every message stays plain JSON, as an editor sees it: no lsprotocol types, which would turn
  custom params into namedtuples (renaming keys such as ``$schema``) and misread some shapes;
- a server request with no handler is answered with null, and every notification is handed to
  ``on_notification`` (pygls drops notifications it has no handler for);
- the server's stderr stays on ours: pygls' ``start_io`` pipes it and never reads it, so a
  chatty server would block once the pipe is full;
- when the server's stdout ends (it exited or was killed), pending and later requests fail with
  ``RpcError`` ``SERVER_EXITED``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import sys
import uuid
from typing import Any, Callable

from lsprotocol.types import CANCEL_REQUEST
from pygls.exceptions import JsonRpcException, JsonRpcMethodNotFound
from pygls.io_ import run_async
from pygls.lsp.client import LanguageClient
from pygls.protocol import JsonRPCNotification, LanguageServerProtocol

from . import __version__
from .lsp.converter import raw_converter

log = logging.getLogger(__name__)

# A JSON-RPC error answered by the server (``code``, ``message``, ``data``), or SERVER_EXITED.
RpcError = JsonRpcException
SERVER_EXITED = -32099


def _answer_null(params: Any) -> None:
    return None


class RawJsonProtocol(LanguageServerProtocol):
    """pygls' protocol with every message's params and results left as plain JSON."""

    def __init__(self, server: Any, converter: Any):
        super().__init__(server, converter)
        self.on_notification: Callable[[str, Any], None] = lambda method, params: None

    # pygls declares these two as lru_cache objects; plain methods do the same job here.
    def get_message_type(self, method: str) -> Any:  # pyright: ignore[reportIncompatibleVariableOverride]
        return None  # pygls' generic message classes, whose params stay JSON with raw_converter

    def get_result_type(self, method: str) -> Any:  # pyright: ignore[reportIncompatibleVariableOverride]
        return None

    def structure_message(self, data: dict[str, Any]) -> Any:
        # json.loads calls this on every nested object: only the top level is a message (a
        # result holding an object with a "jsonrpc" key must stay that object).
        return data

    def handle_message(self, message: Any) -> None:
        if not isinstance(message, dict) or "jsonrpc" not in message:
            log.warning("dropping a message that is not JSON-RPC: %.200s", message)
            return
        if "method" in message:
            message.setdefault("params", None)
        try:
            structured: Any = super().structure_message(message)
        except Exception:
            log.exception("dropping a message that could not be read: %.200s", message)
            return
        if isinstance(structured, JsonRPCNotification):
            self.on_notification(structured.method, structured.params)
            if structured.method == CANCEL_REQUEST:
                return  # our handlers answer at once; nothing to cancel
        super().handle_message(structured)

    def _get_handler(self, feature_name: str) -> Any:
        try:
            return super()._get_handler(feature_name)
        except JsonRpcMethodNotFound:
            return _answer_null


class LspClient(LanguageClient):
    """One server process started with ``command``; ``request``/``notify`` take and give JSON."""

    def __init__(self, command: list[str], *, env: dict[str, str] | None = None, cwd: str | None = None):
        super().__init__("opencode-lsp", __version__, protocol_cls=RawJsonProtocol, converter_factory=raw_converter)
        self.command = command
        self.env = env
        self.cwd = cwd
        self.exited = False
        self._pending: set[concurrent.futures.Future[Any]] = set()
        self._reader: asyncio.Task[None] | None = None

    @property
    def proc(self) -> asyncio.subprocess.Process | None:
        return self._server

    @property
    def on_notification(self) -> Callable[[str, Any], None]:
        return self._raw_protocol.on_notification

    @on_notification.setter
    def on_notification(self, callback: Callable[[str, Any], None]) -> None:
        self._raw_protocol.on_notification = callback

    @property
    def _raw_protocol(self) -> RawJsonProtocol:
        assert isinstance(self.protocol, RawJsonProtocol)
        return self.protocol

    async def start(self) -> None:
        pipe = asyncio.subprocess.PIPE
        proc = await asyncio.create_subprocess_exec(
            *self.command, stdin=pipe, stdout=pipe, stderr=None, env=self.env, cwd=self.cwd, limit=2**24)
        assert proc.stdin is not None and proc.stdout is not None
        self._server = proc
        self.protocol.set_writer(proc.stdin)
        self._reader = asyncio.ensure_future(self._read(proc.stdout))
        self._async_tasks.append(self._reader)

    async def _read(self, stdout: asyncio.StreamReader) -> None:
        try:
            await run_async(self._stop_event, stdout, self.protocol, log, self._report_server_error)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the server died mid-message
        finally:
            self.exited = True
            for future in list(self._pending):
                if not future.done():
                    future.set_exception(RpcError("the server exited", SERVER_EXITED))

    async def request(self, method: str, params: Any = None) -> Any:
        if self.exited:
            raise RpcError("the server exited", SERVER_EXITED)
        msg_id = str(uuid.uuid4())
        future = self.protocol.send_request(method, params, msg_id=msg_id)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            # Given up on: a late answer must not be matched to a cancelled future.
            self.protocol._request_futures.pop(msg_id, None)
            raise

    def notify(self, method: str, params: Any = None) -> None:
        self.protocol.notify(method, params)

    def send_raw(self, message: dict[str, Any]) -> None:
        """Send ``message`` as it is, whatever its shape (tests of malformed messages)."""
        self.protocol._send_data(message)

    async def close(self) -> None:
        proc = self._server
        if proc is None:
            return
        if not self.exited:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.request("shutdown"), timeout=5)
                self.notify("exit")
        try:
            await asyncio.wait_for(proc.wait(), timeout=5)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
        self._stop_event.set()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


def server_command() -> list[str]:
    return [sys.executable, "-m", "opencode_lsp", "--stdio"]

"""One MCP server: started in its own task, connected while the LSP server lives, closed on stop.

The SDK's client is an async context (anyio task groups inside), so it is entered and left in
one long-lived task per server; calls come from the loop's tool tasks. ``timeout`` bounds the
tool listing, and when configured also the spawn or connect and handshake (else 30 s): a server
that hangs or exits is ``failed`` with a readable error, never a stuck run. A server that dies later is noticed by the
next call, which fails that call and marks the server failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal, cast

from .. import __version__
from ..core.tools.base import ToolError
from .config import LocalServer, RemoteServer, ServerConfig
from .tools import McpTool

if TYPE_CHECKING:  # the SDK is imported where a connection starts, not with this module
    from mcp import Client

log = logging.getLogger(__name__)

State = Literal["disabled", "starting", "connected", "failed"]
# A tool call's own limit (the TypeScript SDK's default request timeout, which OpenCode keeps).
CALL_TIMEOUT_S = 60.0
CLOSE_TIMEOUT_S = 5.0
MAX_TOOL_PAGES = 50
CLIENT_NAME = "opencode-lsp"


class ServerConnection:
    def __init__(self, name: str, config: ServerConfig, root: Path, on_change: Callable[["ServerConnection"], None]):
        self.name = name
        self.config = config
        self.root = root
        self.on_change = on_change
        self.state: State = "starting"
        self.error: str | None = None
        self.tools: dict[str, McpTool] = {}
        self.client: Client | None = None
        self.settled = asyncio.Event()  # set once connected or failed
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stderr: Any = None

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        self._stop.set()
        task = self._task
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), CLOSE_TIMEOUT_S)
            except (asyncio.TimeoutError, Exception):
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        self.client = None
        self.tools = {}
        self.settled.set()

    async def _run(self) -> None:
        try:
            async with contextlib.AsyncExitStack() as stack:
                client = await _within(self.config.connect_timeout_s, self._connect(stack), "to start")
                await _within(self.config.timeout_s, self._list_tools(client), "to list its tools")
                self.client = client
                self._set("connected")
                await self._stop.wait()
        except asyncio.CancelledError:
            if not self._stop.is_set():
                raise
        except BaseException as exc:  # any start failure: report it, keep the server running
            if not self._stop.is_set():
                self._fail(describe_error(exc, self._stderr_tail()))
        finally:
            self.client = None
            self._close_stderr()
            self.settled.set()

    async def _connect(self, stack: contextlib.AsyncExitStack) -> Client:
        if isinstance(self.config, LocalServer):
            return await self._connect_local(stack)
        return await self._connect_remote(stack)

    async def _connect_local(self, stack: contextlib.AsyncExitStack) -> Client:
        from mcp import Client, StdioServerParameters
        from mcp.client.stdio import stdio_client

        assert isinstance(self.config, LocalServer)
        program, *args = self.config.command
        # OpenCode's choice: the server gets the user's whole environment plus its own entries.
        params = StdioServerParameters(command=program, args=args, cwd=str(self.root),
                                       env={**os.environ, **self.config.environment})
        # stderr goes to a scratch file: kept out of the editor's log, quoted when start-up fails.
        self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
        client = Client(stdio_client(params, errlog=self._stderr), mode="legacy",
                        client_info=_client_info(), message_handler=self._on_message)
        return await stack.enter_async_context(client)

    async def _connect_remote(self, stack: contextlib.AsyncExitStack) -> Client:
        """Streamable HTTP first, then the older HTTP+SSE transport, as OpenCode tries them."""
        from mcp import Client
        from mcp.client.sse import sse_client
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        assert isinstance(self.config, RemoteServer)
        url, headers = self.config.url, dict(self.config.headers)
        errors: list[str] = []
        for kind in ("streamable HTTP", "SSE"):
            attempt = contextlib.AsyncExitStack()
            try:
                if kind == "SSE":
                    transport = sse_client(url, headers=headers)
                else:
                    http = await attempt.enter_async_context(create_mcp_http_client(headers=headers))
                    transport = streamable_http_client(url, http_client=http)
                client = Client(transport, mode="legacy", client_info=_client_info(),
                                message_handler=self._on_message)
                await attempt.enter_async_context(client)
            except Exception as exc:
                with contextlib.suppress(BaseException):
                    await attempt.aclose()
                errors.append(f"{kind}: {describe_error(exc)}")
                log.debug("mcp %s: %s failed: %s", self.name, kind, errors[-1])
                continue
            stack.push_async_exit(attempt)
            return client
        raise ConnectError("; ".join(errors))

    async def _list_tools(self, client: Client) -> None:
        found: dict[str, McpTool] = {}
        cursor = None
        for _ in range(MAX_TOOL_PAGES):
            page = await client.list_tools(cursor=cursor, cache_mode="refresh")
            for tool in page.tools:
                item = McpTool(self, tool.name, tool.description, tool.input_schema)
                if item.id in found:
                    log.warning("mcp %s: two tools are both named %s; keeping the first", self.name, item.id)
                    continue
                found[item.id] = item
            cursor = page.next_cursor
            if not cursor:
                break
        self.tools = found

    async def _on_message(self, message: Any) -> None:
        if getattr(message, "method", None) == "notifications/tools/list_changed" and self.client is not None:
            asyncio.ensure_future(self._refresh_tools())

    async def _refresh_tools(self) -> None:
        client = self.client
        if client is None:
            return
        try:
            await asyncio.wait_for(self._list_tools(client), self.config.timeout_s)
        except Exception as exc:
            log.warning("mcp %s: could not list its changed tools: %s", self.name, describe_error(exc))
            return
        self.on_change(self)

    # --- calls ------------------------------------------------------------------------------

    async def call(self, tool: str, args: dict[str, Any], abort: asyncio.Event) -> Any:
        """Call ``tool``; an abort (or cancelling the caller) cancels the request on the server."""
        from mcp import MCPError
        from mcp_types import CONNECTION_CLOSED

        client = self.client
        if client is None or self.state != "connected":
            raise ToolError(f"The MCP server {self.name!r} is not connected ({self.error or self.state}).")
        request = asyncio.ensure_future(client.call_tool(tool, args, read_timeout_seconds=CALL_TIMEOUT_S))
        aborted = asyncio.ensure_future(abort.wait())
        try:
            await asyncio.wait({request, aborted}, return_when=asyncio.FIRST_COMPLETED)
            if not request.done():
                raise ToolError("The tool call was aborted.")
            return request.result()
        except MCPError as exc:
            if exc.code == CONNECTION_CLOSED:
                self._fail(f"the connection closed during a call to {tool}")
                raise ToolError(f"The MCP server {self.name!r} went away during the call.") from None
            raise ToolError(f"MCP error {exc.code}: {exc}") from None
        except (OSError, EOFError) as exc:
            self._fail(describe_error(exc))
            raise ToolError(f"The MCP server {self.name!r} failed: {describe_error(exc)}") from None
        except ToolError:
            raise
        except Exception as exc:  # e.g. a result that does not fit the protocol: this call fails
            raise ToolError(f"The MCP server {self.name!r} answered with an error: {describe_error(exc)}") from None
        finally:
            for task in (request, aborted):
                if not task.done():
                    task.cancel()
            # Let the SDK send its cancel notification before the caller moves on.
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.gather(request, return_exceptions=True), 2)

    # --- state ------------------------------------------------------------------------------

    def _set(self, state: State, error: str | None = None) -> None:
        self.state, self.error = state, error
        if state != "connected":
            self.tools = {}
        if state in ("connected", "failed"):
            self.settled.set()
        self.on_change(self)

    def _fail(self, error: str) -> None:
        if self.state == "failed":
            return
        self._set("failed", error)
        self._stop.set()  # leave the context: the process is ended, the connection closed

    def _stderr_tail(self, limit: int = 400) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.flush()
            self._stderr.seek(0)
            text = self._stderr.read()
        except (OSError, ValueError):
            return ""
        lines = [line for line in text.strip().splitlines() if line.strip()]
        return "\n".join(lines[-5:])[-limit:]

    def _close_stderr(self) -> None:
        if self._stderr is not None:
            with contextlib.suppress(OSError):
                self._stderr.close()
            self._stderr = None


async def _within(seconds: float, work: Any, what: str) -> Any:
    try:
        async with asyncio.timeout(seconds):
            return await work
    except TimeoutError:
        raise ConnectError(f"no answer within {int(seconds * 1000)} ms {what}") from None


_USERINFO = re.compile(r"//[^/@\s]*@")


class ConnectError(Exception):
    pass


def _client_info() -> Any:
    from mcp import Implementation

    return Implementation(name=CLIENT_NAME, version=__version__)


def describe_error(exc: BaseException, stderr: str = "") -> str:
    """One line a person can act on: the innermost messages of (nested) exception groups."""
    leaves: list[str] = []

    def walk(error: BaseException) -> None:
        if isinstance(error, BaseExceptionGroup):
            for inner in cast("BaseExceptionGroup[BaseException]", error).exceptions:
                walk(inner)
            return
        text = (str(error).strip() or type(error).__name__).splitlines()[0]
        text = _USERINFO.sub("//<redacted>@", text)  # a URL's credentials stay out of errors and logs
        if isinstance(error, FileNotFoundError) and error.filename:
            text = f"command not found: {error.filename}"
        if text not in leaves:
            leaves.append(text)

    walk(exc)
    message = "; ".join(leaves)
    if stderr:
        message += f" (stderr: {stderr})"
    return message

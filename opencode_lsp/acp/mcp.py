"""MCP servers the ACP client passes in session/new, load, resume and fork, added to the
workspace's MCP servers (the ones opencode.json configures) in OpenCode's config shape."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Union

from acp.schema import AcpMcpServer, HttpMcpServer, McpServerStdio, SseMcpServer

from ..core.store import is_record

if TYPE_CHECKING:  # imported where an app is built (it loads the core)
    from ..app import App

log = logging.getLogger(__name__)

# What the SDK parses a session request's ``mcpServers`` entries into.
ClientMcpServer = Union[HttpMcpServer, SseMcpServer, AcpMcpServer, McpServerStdio]


def as_config(servers: list[ClientMcpServer] | None) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for server in servers or []:
        if isinstance(server, (HttpMcpServer, SseMcpServer)):
            out[server.name] = {"type": "remote", "url": server.url,
                                "headers": {h.name: h.value for h in server.headers or []}}
        elif isinstance(server, McpServerStdio) and server.command:
            out[server.name] = {"type": "local", "command": [server.command, *(server.args or [])],
                                "environment": {e.name: e.value for e in server.env or []}}
        else:
            kind = server.type if isinstance(server, AcpMcpServer) else None
            log.info("MCP server %s: transport %r is not supported; skipped", server.name, kind)
    return out


async def add_client_servers(app: App, servers: list[ClientMcpServer] | None) -> None:
    """Merge the client's servers into the app's MCP config (a client entry wins over a configured
    one of the same name) and start them; the first run waits for them like for configured ones."""
    wanted = as_config(servers)
    if not wanted or app.mcp is None:
        return
    current: dict[str, Any] = app.mcp.raw if is_record(app.mcp.raw) else {}
    merged = {**current, **wanted}
    if merged != current:
        await app.mcp.reconfigure(merged)
    app.mcp.start()

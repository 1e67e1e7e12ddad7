"""MCP servers the ACP client passes in session/new, load, resume and fork, added to the
workspace's MCP servers (the ones opencode.json configures) in OpenCode's config shape."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def as_config(servers: list[Any] | None) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for server in servers or []:
        kind = getattr(server, "type", None)
        if kind in ("http", "sse"):
            out[server.name] = {"type": "remote", "url": server.url,
                                "headers": {h.name: h.value for h in server.headers or []}}
        elif kind is None and getattr(server, "command", None):
            out[server.name] = {"type": "local", "command": [server.command, *(server.args or [])],
                                "environment": {e.name: e.value for e in server.env or []}}
        else:
            log.info("MCP server %s: transport %r is not supported; skipped", getattr(server, "name", "?"), kind)
    return out


async def add_client_servers(app: Any, servers: list[Any] | None) -> None:
    """Merge the client's servers into the app's MCP config (a client entry wins over a configured
    one of the same name) and start them; the first run waits for them like for configured ones."""
    wanted = as_config(servers)
    if not wanted or getattr(app, "mcp", None) is None:
        return
    current = app.mcp.raw if isinstance(app.mcp.raw, dict) else {}
    merged = {**current, **wanted}
    if merged != current:
        await app.mcp.reconfigure(merged)
    app.mcp.start()

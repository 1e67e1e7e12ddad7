"""MCP servers: their status, the workspace's on/off switch, and telling the user of failures."""

from __future__ import annotations

from typing import Any, Callable

from pydantic import Field, StrictBool, StrictStr

from ...core.events import Event
from .. import methods as m
from .. import params as p
from ..host import ServerHost
from ..rpc import method

WARNING = 2  # window/showMessage MessageType.Warning


class McpToggle(p.Params):
    name: StrictStr = Field(min_length=1)
    enabled: StrictBool


@method(m.MCP_STATUS, p.Empty)
def mcp_status(ls: ServerHost, params: p.Empty) -> list[dict[str, Any]]:
    return ls.app.mcp.status() if ls.app.mcp is not None else []


@method(m.MCP_TOGGLE, McpToggle)
async def mcp_toggle(ls: ServerHost, params: McpToggle) -> dict[str, Any]:
    from ...core.errors import NotFoundError

    if ls.app.mcp is None:
        raise NotFoundError(f"no MCP server named {params.name!r} is configured")
    return await ls.app.mcp.toggle(params.name, params.enabled)


def show_failures(ls: ServerHost) -> Callable[[Event], None]:
    """A bus subscriber: each MCP server failure becomes one ``window/showMessage`` warning
    (the event itself reaches ``opencode/event`` clients like any other)."""
    shown: set[tuple[str, str]] = set()

    def on_event(event: Event) -> None:
        if event.type != "mcp.status.updated":
            return
        props = event.properties
        name, state = props.get("name", ""), props.get("state")
        if state != "failed":
            shown.discard(name)  # a later failure of the same server is news again
            return
        key = (name, "failed")
        if key in shown:
            return
        shown.add(key)
        ls.send_soon("window/showMessage", {
            "type": WARNING,
            "message": f"opencode: MCP server {name!r} failed; its tools are not available. "
                       f"{props.get('error') or ''}".strip(),
        })

    return on_event

"""Tools that come from outside the core (MCP servers), behind one narrow protocol.

The core knows nothing of where such tools live or how they are called: a source hands over
objects shaped like any built-in ``Tool`` (``id``, ``description``, ``parameters``,
``execute``), and the loop offers them beside the built-ins, under the same permission rules.
"""

from __future__ import annotations

import logging
from typing import Any, Iterable, Protocol

from .base import Tool

log = logging.getLogger(__name__)


class ToolSource(Protocol):
    def start(self) -> None:
        """Begin connecting in the background (returns at once)."""
        ...

    async def close(self) -> None: ...

    async def ready(self) -> None:
        """Return once the source's tools are known (servers connected or given up on).

        Bounded by the source's own start-up timeouts; never raises."""
        ...

    def tools(self) -> dict[str, Tool]:
        """The tools available right now, by the id the model calls them with."""
        ...


async def sources_ready(sources: Iterable[ToolSource]) -> None:
    for source in sources:
        try:
            await source.ready()
        except Exception:  # a broken source loses its tools, never the run
            log.exception("tool source failed to get ready")


def external_tools(sources: Iterable[ToolSource], taken: Iterable[str]) -> dict[str, Tool]:
    """Every source's tools; a name already taken (a built-in or an earlier source) keeps its
    owner, so an outside server can never stand in for ``bash`` or ``edit``."""
    seen = set(taken)
    found: dict[str, Any] = {}
    for source in sources:
        try:
            offered = source.tools()
        except Exception:
            log.exception("tool source failed to list its tools")
            continue
        for tool_id, tool in offered.items():
            if tool_id in seen:
                log.warning("tool %s is already defined; the outside one is ignored", tool_id)
                continue
            seen.add(tool_id)
            found[tool_id] = tool
    return found

"""Every configured MCP server of one workspace: start, status, toggle, tools, close.

Implements the core's ``ToolSource``. Servers start in the background once the editor has
initialized (``start()``), or on the first run that needs tools (``ready()``), never on the
``initialize`` path: the SDK alone takes about a second to import, and that happens in a thread.
A server that fails is reported once per failure: a log line and an ``mcp.status.updated``
event (the LSP layer turns a failure into ``window/showMessage``).

The workspace's own on/off switches (``opencode/mcp/toggle``) are kept in a small JSON file
beside the store and override the config's ``enabled``.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
from pathlib import Path
from typing import Any

from ..core.atomic_file import atomic_write
from ..core.errors import NotFoundError
from ..core.events import Bus, Event
from ..core.store import is_record
from .config import BadEntry, ServerConfig, parse_servers
from .connection import ServerConnection

log = logging.getLogger(__name__)


class McpServers:
    def __init__(self, config: Any, *, root: Path, bus: Bus, state_path: Path):
        self.root = root
        self.bus = bus
        self.state_path = state_path
        self.entries: dict[str, ServerConfig | BadEntry] = parse_servers(config)
        self.raw: Any = config
        self.connections: dict[str, ServerConnection] = {}
        self.toggles: dict[str, bool] = self._load_toggles()
        self._started: asyncio.Task[None] | None = None
        self._reported: set[str] = set()
        self._offered: dict[str, tuple[str, ...]] = {}  # tool ids each server offers, for mcp.tools.changed
        self._bad_config_logged = False
        self._sdk_error: str | None = None

    # --- ToolSource -------------------------------------------------------------------------

    def start(self) -> None:
        """Start every enabled server in the background; returns at once."""
        if self._started is None:
            self._started = asyncio.ensure_future(self._start_all())

    async def ready(self) -> None:
        if not self.entries:
            return
        self.start()
        assert self._started is not None
        await asyncio.shield(self._started)
        pending = [c.settled.wait() for c in self.connections.values() if c.state == "starting"]
        if pending:
            await asyncio.gather(*pending)

    def tools(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for connection in self.connections.values():
            if connection.state == "connected":
                for tool_id, tool in connection.tools.items():
                    found.setdefault(tool_id, tool)
        return found

    # --- starting and stopping --------------------------------------------------------------

    async def _start_all(self) -> None:
        if self.raw not in (None, {}) and not isinstance(self.raw, dict) and not self._bad_config_logged:
            self._bad_config_logged = True
            log.error("config: mcp must be an object of server name -> server config; ignoring it")
        wanted = [name for name in self.entries if self._wants(name)]
        for name in self.entries:
            entry = self.entries[name]
            if isinstance(entry, BadEntry) and self.enabled(name):
                self._report_failure(name, entry.error)
        if not wanted:
            return
        # The SDK (and its HTTP stack) is imported off the event loop.
        try:
            await asyncio.to_thread(_import_sdk)
        except Exception as exc:  # a broken install costs the MCP tools, not the server
            self._sdk_error = f"the mcp SDK could not be loaded: {exc}"
            for name in wanted:
                self._report_failure(name, self._sdk_error)
            return
        for name in wanted:
            if name not in self.connections and self._wants(name):
                self._open(name)

    def _wants(self, name: str) -> bool:
        return self.enabled(name) and not isinstance(self.entries.get(name), BadEntry)

    def _open(self, name: str) -> ServerConnection:
        entry = self.entries[name]
        assert not isinstance(entry, BadEntry)
        connection = ServerConnection(name, entry, self.root, self._changed)
        self.connections[name] = connection
        self._reported.discard(name)
        log.info("mcp %s: starting (%s)", name, entry.type)
        connection.start()
        self._publish(name)
        return connection

    async def _close(self, name: str) -> None:
        connection = self.connections.pop(name, None)
        if connection is not None:
            await connection.stop()
            log.info("mcp %s: stopped", name)
            self._tools_changed(name, ())

    async def close(self) -> None:
        """Close every server (the LSP server is shutting down)."""
        if self._started is not None and not self._started.done():
            self._started.cancel()
        await asyncio.gather(*(self._close(name) for name in list(self.connections)), return_exceptions=True)

    async def reconfigure(self, config: Any) -> None:
        """The config changed: stop removed or changed servers, start new or changed ones."""
        if config == self.raw:
            return
        old, self.entries, self.raw = self.entries, parse_servers(config), config
        for name in list(self.connections):
            if name not in self.entries or old.get(name) != self.entries[name] or not self._wants(name):
                await self._close(name)
                self._publish(name)
        if self._started is not None:
            self._started = asyncio.ensure_future(self._start_all())

    # --- status and toggles -----------------------------------------------------------------

    def enabled(self, name: str) -> bool:
        entry = self.entries.get(name)
        return self.toggles.get(name, entry.enabled if entry is not None else False)

    def status(self) -> list[dict[str, Any]]:
        return [self.status_of(name) for name in self.entries]

    def status_of(self, name: str) -> dict[str, Any]:
        entry = self.entries.get(name)
        if entry is None:
            raise NotFoundError(f"no MCP server named {name!r} is configured")
        item: dict[str, Any] = {"name": name, "type": entry.type, "enabled": self.enabled(name),
                                "state": "disabled", "tools": []}
        connection = self.connections.get(name)
        if isinstance(entry, BadEntry):
            if item["enabled"]:
                item.update(state="failed", error=entry.error)
        elif connection is not None:
            item["state"] = connection.state
            item["tools"] = sorted(connection.tools) if connection.state == "connected" else []
            if connection.error:
                item["error"] = connection.error
        elif item["enabled"] and self._sdk_error:
            item.update(state="failed", error=self._sdk_error)
        elif item["enabled"]:
            item["state"] = "starting"  # configured and wanted, waiting for the SDK to load
        return item

    async def toggle(self, name: str, enabled: bool) -> dict[str, Any]:
        """Switch a server on or off for this workspace (remembered); answers its status once
        it has settled (started within its timeout, or failed, or stopped)."""
        self.status_of(name)  # unknown names are an error
        self.toggles[name] = enabled
        self._save_toggles()
        if not enabled:
            await self._close(name)
            self._publish(name)
        elif self._wants(name) and (name not in self.connections or self.connections[name].state == "failed"):
            await self._close(name)
            await asyncio.to_thread(_import_sdk)
            await self._open(name).settled.wait()
        elif isinstance(self.entries[name], BadEntry):
            self._report_failure(name, self.entries[name].error)  # type: ignore[union-attr]
        return self.status_of(name)

    def _load_toggles(self) -> dict[str, bool]:
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        toggles = data.get("enabled") if is_record(data) else None
        if not is_record(toggles):
            return {}
        return {str(k): v for k, v in toggles.items() if isinstance(v, bool)}

    def _save_toggles(self) -> None:
        try:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.state_path, json.dumps({"enabled": self.toggles}, indent=2).encode("utf-8"))
        except OSError as exc:
            log.error("could not save the MCP switches to %s: %s", self.state_path, exc)

    # --- reporting --------------------------------------------------------------------------

    def _changed(self, connection: ServerConnection) -> None:
        if self.connections.get(connection.name) is not connection:
            return  # a stopped connection winding down
        if connection.state == "failed":
            self._report_failure(connection.name, connection.error or "failed", publish=False)
        elif connection.state == "connected":
            log.info("mcp %s: connected, %d tools", connection.name, len(connection.tools))
        self._publish(connection.name)
        self._tools_changed(connection.name, tuple(sorted(connection.tools)) if connection.state == "connected" else ())

    def _tools_changed(self, name: str, offered: tuple[str, ...]) -> None:
        if self._offered.get(name, ()) != offered:
            self._offered[name] = offered
            self.bus.publish(Event(type="mcp.tools.changed", properties={"server": name}))

    def _report_failure(self, name: str, error: str, *, publish: bool = True) -> None:
        if name in self._reported:
            return
        self._reported.add(name)
        log.error("mcp %s: failed: %s", name, error)
        if publish:
            self._publish(name)

    def _publish(self, name: str) -> None:
        if name in self.entries:
            self.bus.publish(Event(type="mcp.status.updated", properties=self.status_of(name)))


def _import_sdk() -> None:
    # The SDK's HTTP client logs every request at INFO; that is noise in the editor's log.
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    for module in ("mcp", "mcp.client.sse", "mcp.client.stdio", "mcp.client.streamable_http"):
        importlib.import_module(module)

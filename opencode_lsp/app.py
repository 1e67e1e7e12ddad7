"""The composition root: one workspace's store, bus, core services and model provider.

The LSP server builds one ``App`` at ``initialize``. Only here do the pure core, the TinyDB store
and the litellm provider meet. The provider, the workspace and the runner are built on first use
so that ``initialize`` imports as little as possible.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from pathlib import Path
from typing import Any

from .core.config import Config, load_config
from .core.events import Bus
from .core.session import SessionManager

log = logging.getLogger(__name__)


class App:
    def __init__(self, root: Path, config: Config, store: Any, *, server: Any = None, provider: Any = None,
                 workspace: Any = None, data_dir: Path | None = None):
        from .core.permission import PermissionBroker

        self.root = root
        self.config = config
        self.server = server
        self.bus = Bus()
        self.store = store
        self.sessions = SessionManager(store, self.bus, str(root))
        # Where tools keep large outputs they truncated: beside the store, never in the repo.
        self.data_dir = data_dir or root / ".opencode-lsp"
        self._agent_registry: Any = None
        self._agent_files: tuple[Any, ...] = ()
        self.permissions = PermissionBroker(self.bus, store.list_approvals, store.add_approval,
                                            getattr(store, "remove_approvals", None))
        # Outside tool providers (MCP servers) the loop offers beside the built-in tools.
        self.tool_sources: list[Any] = []
        self.mcp: Any = None
        if provider is not None:
            self.provider = provider
        if workspace is not None:
            self.workspace = workspace

    @classmethod
    def create(cls, root: Path, settings: dict[str, Any], *, server: Any = None, provider: Any = None) -> "App":
        from .storage import TinyDBStore, default_store_root

        config = load_config(root, settings)
        store_root = default_store_root(root, config.storage.path)
        store = TinyDBStore(store_root)
        app = cls(root, config, store, server=server, provider=provider, data_dir=store_root / "data")
        app.attach_mcp()
        return app

    def attach_mcp(self) -> None:
        """The config's MCP servers as a tool source (nothing starts until ``start_tool_sources``
        or the first run that needs tools)."""
        from .mcp import McpServers

        self.mcp = McpServers(self.config.mcp, root=self.root, bus=self.bus,
                              state_path=self.data_dir / "mcp.json")
        self.tool_sources.append(self.mcp)

    def start_tool_sources(self) -> None:
        """Start outside tool servers in the background (after ``initialize`` answered)."""
        for source in self.tool_sources:
            start = getattr(source, "start", None)
            if start is not None:
                start()

    @functools.cached_property
    def provider(self) -> Any:
        from .providers import LitellmProvider

        return LitellmProvider(self.provider_config())

    @functools.cached_property
    def workspace(self) -> Any:
        """What tools see: the editor's buffers when served over LSP, else the disk."""
        if self.server is not None:
            from .lsp.editor_workspace import EditorWorkspace

            return EditorWorkspace(self.server, self.root)
        from .core.workspace import DiskWorkspace

        return DiskWorkspace(self.root)

    @functools.cached_property
    def runner(self) -> Any:
        from .core.prompt import SessionRunner

        return SessionRunner(self)

    @functools.cached_property
    def snapshots(self) -> Any:
        """Workspace snapshots in a shadow git repository beside the store (not in the repo)."""
        from .core.snapshot import Snapshots

        enabled = (self.config.model_extra or {}).get("snapshot") is not False
        return Snapshots(self.root, self.data_dir / "snapshot", exclude=[self.data_dir], enabled=enabled)

    @functools.cached_property
    def compaction(self) -> Any:
        from .core.compaction import Compaction

        return Compaction(self)

    @functools.cached_property
    def summaries(self) -> Any:
        from .core.summary import Summaries

        return Summaries(self)

    @functools.cached_property
    def revert(self) -> Any:
        from .core.revert import Reverts

        return Reverts(self)

    @property
    def agents(self) -> Any:
        """The agent registry, rebuilt when the config or an agent file changed."""
        from .core.agent import AgentRegistry

        files = self._agent_file_stamps()
        if self._agent_registry is None or files != self._agent_files:
            # Truncated tool output is saved outside the workspace; reading it back must not ask.
            self._agent_registry = AgentRegistry(self.opencode_config(), self.root,
                                                 allowed_external=[f"{self.data_dir}/tool-output/*"])
            self._agent_files = files
        return self._agent_registry

    def _agent_file_stamps(self) -> tuple[Any, ...]:
        stamps = []
        for folder in (".opencode/agent", ".opencode/agents"):
            base = self.root / folder
            if base.is_dir():
                stamps.extend((str(p), p.stat().st_mtime_ns) for p in sorted(base.rglob("*.md")))
        return tuple(stamps)

    def opencode_config(self) -> dict[str, Any]:
        """The config in OpenCode's own file shape (``agent`` is the map of agent configs)."""
        data = self.config.model_dump(mode="json", exclude_none=True)
        data["agent"] = data.pop("agents", {})
        if self.config.agent:
            data["default_agent"] = self.config.agent
        return data

    def provider_config(self) -> dict[str, Any]:
        return self.opencode_config()

    def reload_config(self, settings: dict[str, Any]) -> None:
        self.config = load_config(self.root, settings)
        self._agent_registry = None
        if self.mcp is not None and self.config.mcp != self.mcp.raw:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                log.warning("MCP config changed outside the event loop; it applies after a restart")
            else:
                asyncio.ensure_future(self.mcp.reconfigure(self.config.mcp))
        if "provider" in self.__dict__:
            reconfigure = getattr(self.provider, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(self.provider_config())
            else:
                del self.__dict__["provider"]  # rebuilt from the new config on next use

    def warm_up(self) -> None:
        """Import the LLM library off the request path so the first prompt does not pay for it."""

        def warm() -> None:
            try:
                getattr(self.provider, "warm_up", lambda: None)()
            except Exception:  # warming is an optimisation; the first prompt reports real errors
                log.exception("provider warm-up failed")

        threading.Thread(target=warm, name="opencode-warm-up", daemon=True).start()

    async def models_ready(self) -> None:
        """Wait, off the event loop, until the LLM library is imported: the first prompt must
        not freeze every other request for the ~2 s litellm takes to import."""
        if type(self.provider).__module__.startswith("opencode_lsp.providers"):
            from .providers import runtime

            if not runtime.is_loaded():
                await asyncio.to_thread(runtime.litellm)

    async def abort_tree(self, session_id: str) -> None:
        """Stop runs of a session and its children; nothing to do before any run started."""
        if "runner" in self.__dict__:
            await self.runner.abort_tree(session_id)

    async def shutdown(self) -> None:
        if "runner" in self.__dict__:
            await self.runner.abort_all()
        for source in self.tool_sources:
            close = getattr(source, "close", None)
            if close is not None:
                try:
                    await close()
                except Exception:  # closing is best effort; the store must still be flushed
                    log.exception("closing a tool source failed")
        self.store.flush()

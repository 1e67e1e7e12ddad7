"""The composition root: one workspace's store, bus, core services and model provider.

The LSP server builds one ``App`` at ``initialize``. Only here do the pure core, the TinyDB store
and the litellm provider meet. The provider, the workspace and the runner are built on first use
so that ``initialize`` imports as little as possible.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .core.config import Config, load_config
from .core.events import Bus
from .core.llm import LibraryProvider, ModelProvider
from .core.permission import PermissionBroker
from .core.session import SessionManager
from .core.store import Store
from .core.tools.base import Workspace
from .core.tools.external import ToolSource

if TYPE_CHECKING:  # built on first use, so imported there
    from .core.agent import AgentRegistry
    from .core.compaction import Compaction
    from .core.prompt import SessionRunner
    from .core.revert import Reverts
    from .core.run_state import Run
    from .core.snapshot import Snapshots
    from .core.summary import Summaries
    from .mcp import McpServers

log = logging.getLogger(__name__)


class App:
    def __init__(self, root: Path, config: Config, store: Store, *,
                 provider: ModelProvider | None = None, workspace: Workspace | None = None,
                 data_dir: Path | None = None):
        self.root = root
        self.config = config
        self.bus = Bus()
        self.store = store
        # The runs of this process by session: the runner keeps them, and the session manager
        # reads it to tell a run in progress from one a crash left unfinished.
        self.runs: dict[str, Run] = {}
        self.sessions = SessionManager(store, self.bus, str(root), running=self.runs)
        # Where tools keep large outputs they truncated: beside the store, never in the repo.
        self.data_dir = data_dir or root / ".opencode-lsp"
        self._agent_registry: AgentRegistry | None = None
        self._agent_files: tuple[tuple[str, int], ...] = ()
        self.permissions = PermissionBroker(self.bus, store.list_approvals, store.add_approval,
                                            store.remove_approvals)
        # Outside tool providers (MCP servers) the loop offers beside the built-in tools.
        self.tool_sources: list[ToolSource] = []
        self.mcp: McpServers | None = None
        # Built on first use (see the properties below) unless given.
        self._provider = provider
        self._workspace = workspace
        self._runner: SessionRunner | None = None
        self._snapshots: Snapshots | None = None
        self._compaction: Compaction | None = None
        self._summaries: Summaries | None = None
        self._revert: Reverts | None = None

    @classmethod
    def create(cls, root: Path, settings: dict[str, Any], *, workspace: Workspace | None = None,
               provider: ModelProvider | None = None) -> App:
        """``workspace``: what tools see (the LSP server passes the editor's buffers); the disk
        when not given."""
        from .storage import TinyDBStore, default_store_root

        config = load_config(root, settings)
        store_root = default_store_root(root, config.storage.path)
        store = TinyDBStore(store_root)
        app = cls(root, config, store, provider=provider, workspace=workspace, data_dir=store_root / "data")
        app.attach_mcp()
        return app

    def attach_mcp(self) -> None:
        """The config's MCP servers as a tool source (nothing starts until ``start_tool_sources``
        or the first run that needs tools)."""
        from .mcp import McpServers

        self.mcp = mcp = McpServers(self.config.mcp, root=self.root, bus=self.bus,
                                    state_path=self.data_dir / "mcp.json")
        self.tool_sources.append(mcp)

    def start_tool_sources(self) -> None:
        """Start outside tool servers in the background (after ``initialize`` answered)."""
        for source in self.tool_sources:
            source.start()

    @property
    def provider(self) -> ModelProvider:
        if self._provider is None:
            from .providers import LitellmProvider

            self._provider = LitellmProvider(self.opencode_config())
        return self._provider

    @property
    def workspace(self) -> Workspace:
        """What tools see: the one given (the editor's buffers over LSP), else the disk."""
        if self._workspace is None:
            from .core.workspace import DiskWorkspace

            self._workspace = DiskWorkspace(self.root)
        return self._workspace

    @workspace.setter
    def workspace(self, workspace: Workspace) -> None:
        self._workspace = workspace

    @property
    def runner(self) -> SessionRunner:
        if self._runner is None:
            from .core.prompt import SessionRunner

            self._runner = SessionRunner(self, self.runs)
        return self._runner

    @property
    def snapshots(self) -> Snapshots:
        """Workspace snapshots in a shadow git repository beside the store (not in the repo)."""
        if self._snapshots is None:
            from .core.snapshot import Snapshots

            enabled = (self.config.model_extra or {}).get("snapshot") is not False
            self._snapshots = Snapshots(self.root, self.data_dir / "snapshot", exclude=[self.data_dir],
                                        enabled=enabled)
        return self._snapshots

    @property
    def compaction(self) -> Compaction:
        if self._compaction is None:
            from .core.compaction import Compaction

            self._compaction = Compaction(self)
        return self._compaction

    @property
    def summaries(self) -> Summaries:
        if self._summaries is None:
            from .core.summary import Summaries

            self._summaries = Summaries(self)
        return self._summaries

    @property
    def revert(self) -> Reverts:
        if self._revert is None:
            from .core.revert import Reverts

            self._revert = Reverts(self)
        return self._revert

    @property
    def agents(self) -> AgentRegistry:
        """The agent registry, rebuilt when the config or an agent file changed."""
        from .core.agent import AgentRegistry

        files = self._agent_file_stamps()
        if self._agent_registry is None or files != self._agent_files:
            # Truncated tool output is saved outside the workspace; reading it back must not ask.
            self._agent_registry = registry = AgentRegistry(self.opencode_config(), self.root,
                                                            allowed_external=[f"{self.data_dir}/tool-output/*"])
            self._agent_files = files
            return registry
        return self._agent_registry

    def _agent_file_stamps(self) -> tuple[tuple[str, int], ...]:
        stamps: list[tuple[str, int]] = []
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
        if isinstance(self._provider, LibraryProvider):
            self._provider.reconfigure(self.opencode_config())
        else:
            self._provider = None  # rebuilt from the new config on next use

    def warm_up(self) -> None:
        """Import the LLM library off the request path so the first prompt does not pay for it."""

        def warm() -> None:
            try:
                provider = self.provider
                if isinstance(provider, LibraryProvider):
                    provider.warm_up()
            except Exception:  # warming is an optimisation; the first prompt reports real errors
                log.exception("provider warm-up failed")

        threading.Thread(target=warm, name="opencode-warm-up", daemon=True).start()

    async def models_ready(self) -> None:
        """Wait, off the event loop, until the LLM library is imported: the first prompt must
        not freeze every other request for the ~2 s litellm takes to import."""
        provider = self.provider
        if isinstance(provider, LibraryProvider):
            await provider.ready()

    async def abort_tree(self, session_id: str) -> None:
        """Stop runs of a session and its children; nothing to do before any run started."""
        if self._runner is not None:
            await self._runner.abort_tree(session_id)

    async def shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.abort_all()
        for source in self.tool_sources:
            try:
                await source.close()
            except Exception:  # closing is best effort; the store must still be flushed
                log.exception("closing a tool source failed")
        self.store.flush()

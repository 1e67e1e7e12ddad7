"""What the core's services need of the composition root, as Protocols.

``opencode_lsp.app.App`` is the one implementation. The runner, compaction, summaries and
reverts take it as ``app: CoreApp``; typing against these Protocols (instead of importing
``app.py``, or each other) keeps the core free of import cycles. A leaf module: it imports only
modules that never import a service.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from .agent import AgentRegistry
from .config import CompactionConfig, Config
from .events import Bus
from .llm import ChatRequest, LanguageModel, ModelProvider
from .message import AssistantMessage, MessageWithParts, ModelRef, PatchPart, UserMessage
from .permission import PermissionBroker
from .processor import StepResult, ToolExecutor
from .run_plan import RunPlan
from .session import SessionManager
from .snapshot import Snapshots
from .tools.base import Workspace
from .tools.external import ToolSource
from .user_input import PromptInput


class Runner(Protocol):
    """The session runner (``prompt.SessionRunner``) as other services use it."""

    async def prompt(self, session_id: str, request: PromptInput, *,
                     agents: AgentRegistry | None = None) -> MessageWithParts: ...

    async def run_existing(self, session_id: str) -> MessageWithParts: ...

    def ensure_idle(self, session_id: str) -> None: ...

    def resolve(self, session_id: str, agent: str | None, model: dict[str, str] | None,
                agents: AgentRegistry | None = None) -> RunPlan: ...

    def resolve_agent(self, session_id: str, requested: str | None, agents: AgentRegistry | None = None) -> str: ...

    def resolve_model(self, session_id: str, request_model: dict[str, str] | None, agent_name: str,
                      agents: AgentRegistry | None = None) -> ModelRef: ...


class Stepper(Protocol):
    """The session loop's step runner (``step.StepRunner``) as compaction drives it."""

    session_id: str
    current: AssistantMessage | None

    async def process_with_retries(self, message: AssistantMessage, model: LanguageModel, request: ChatRequest,
                                   execute_tool: ToolExecutor, before: str | None = None) -> StepResult | None: ...


class CompactionHooks(Protocol):
    """Compaction (``compaction.Compaction``) as a step sees it."""

    @property
    def config(self) -> CompactionConfig: ...

    async def before_step(self, stepper: Stepper, entries: list[Any], last_user: MessageWithParts) -> str: ...

    def request_after_overflow(self, session_id: str, user: UserMessage) -> bool: ...


class SummaryHooks(Protocol):
    """Per-step snapshots and patch parts (``summary.Summaries``)."""

    async def before_step(self) -> str | None: ...

    async def after_step(self, message: Any, before: str | None) -> PatchPart | None: ...


class RevertHooks(Protocol):
    """Reverts (``revert.Reverts``) as the runner sees them."""

    async def cleanup(self, session_id: str) -> None: ...


class CoreApp(Protocol):
    """One workspace's services, as the core uses them."""

    root: Path
    config: Config
    data_dir: Path
    bus: Bus
    sessions: SessionManager
    permissions: PermissionBroker
    # Outside tool providers (MCP servers) offered beside the built-in tools.
    tool_sources: list[ToolSource]

    @property
    def provider(self) -> ModelProvider: ...

    @property
    def workspace(self) -> Workspace: ...

    @property
    def agents(self) -> AgentRegistry: ...

    @property
    def snapshots(self) -> Snapshots: ...

    @property
    def runner(self) -> Runner: ...

    @property
    def compaction(self) -> CompactionHooks: ...

    @property
    def summaries(self) -> SummaryHooks: ...

    @property
    def revert(self) -> RevertHooks: ...

    async def models_ready(self) -> None:
        """Return once the model library is imported (it may load in a thread at start-up)."""
        ...

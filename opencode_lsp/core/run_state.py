"""The state of one session run and the narrow views of the runner that a step and its tools use.

A leaf module: ``prompt.py`` (the runner) builds ``step.StepRunner``, which builds ``tool_exec.ToolBox``;
both type their collaborators against the Protocols here instead of importing the modules above them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from .agent import AgentRegistry
from .host import CoreApp
from .session import SessionManager


@dataclass
class Run:
    session_id: str
    # The agents (and so the permission rules) as they were when the run started: config and
    # agent files written during the run, by the agent itself perhaps, never widen this run.
    agents: AgentRegistry
    task: asyncio.Task[None] | None = None
    abort: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    status: dict[str, Any] = field(default_factory=lambda: {"type": "busy"})
    release: Callable[[], None] = lambda: None  # drops the cross-process run lease


class RunHost(Protocol):
    """What a step needs of the session runner (``prompt.SessionRunner`` is one)."""

    app: CoreApp

    @property
    def sessions(self) -> SessionManager: ...

    def set_status(self, session_id: str, status: dict[str, Any]) -> None: ...


class RunStep(Protocol):
    """What a tool box needs of the step that made it (``step.StepRunner`` is one)."""

    app: CoreApp
    run: Run

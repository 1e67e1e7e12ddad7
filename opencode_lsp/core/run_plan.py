"""What one prompt runs with, resolved once.

A leaf module: the runner (``prompt.SessionRunner.plan``) makes a ``RunPlan``, the user message
records its agent and model (each step reads them from there), and the LSP layer names them in
the progress ``begin`` report. One resolution, so the label cannot name another model than the
run uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from .agent import AgentRegistry
from .message import ModelRef


@dataclass(frozen=True)
class RunPlan:
    agent: str
    model: ModelRef
    # The registry ``agent`` was found in; the run keeps it (see ``run_state.Run.agents``).
    agents: AgentRegistry

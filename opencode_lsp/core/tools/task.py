"""The ``task`` tool: hand a self-contained job to a subagent running in a child session."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .args import ArgsTool, NonBlank, ToolArgs
from .base import SubagentEntry, ToolContext, ToolError, ToolResult, ToolServices

INTRO = """\
Start a subagent: a separate agent that works on its own in a child session and reports back
once. Use it for open-ended searches or multi-step jobs whose details you do not need to see,
to keep your own context small.

- Write a complete prompt: the subagent sees nothing of this conversation. Say exactly what to
  do and what to return (e.g. file paths and line numbers, a summary, a yes/no).
- description is a short (3-5 word) label for the user.
- Independent jobs can run in parallel: call the tool several times in one message.
- Its result is for you, not the user: relay what matters in your own answer.
- To continue an earlier subagent with its context, pass its task_id from the earlier result.
- Do not use it to read one known file or search for one symbol: read, glob and grep are
  faster for that.
"""


def _description(subagents: list[SubagentEntry]) -> str:
    if not subagents:
        return INTRO + "\nNo subagents are configured."
    listed = "\n".join(f"- {a['name']}: {a.get('description') or '(no description)'}" for a in subagents)
    return INTRO + "\nAvailable subagent_type values:\n" + listed


class TaskArgs(ToolArgs):
    description: NonBlank = Field(description="Short (3-5 word) label for the job.")
    prompt: NonBlank = Field(description="The full instructions for the subagent.")
    subagent_type: NonBlank = Field(description="Which subagent to run.")
    task_id: str | None = Field(None, description="Resume the subagent of an earlier task result.")
    command: str | None = Field(None, description="The command that started this task, if any.")


class TaskTool(ArgsTool[TaskArgs]):
    id = "task"
    description = _description([{"name": "general", "description": "General-purpose agent for research and multi-step work."}])
    Args = TaskArgs

    def describe(self, services: ToolServices) -> str:
        return _description(services.subagents)

    async def run(self, args: TaskArgs, ctx: ToolContext) -> ToolResult:
        description, prompt, agent = args.description, args.prompt, args.subagent_type
        known = [a["name"] for a in ctx.services.subagents]
        if known and agent not in known:
            raise ToolError(f"Unknown subagent_type {agent!r}. Available: {', '.join(known)}.")
        run = ctx.services.run_subagent
        if run is None:
            raise ToolError("Subagents are not available in this session.")
        await ctx.ask("task", [agent], always=["*"], metadata={"description": description, "subagent_type": agent})
        ctx.update(description, {"sessionId": args.task_id or None})
        result = await run(agent=agent, prompt=prompt, description=description,
                           task_id=args.task_id or None, command=args.command or None)
        session_id = result["session_id"]
        text = result.get("text") or ""
        output = task_envelope(session_id, "completed", text)
        metadata: dict[str, Any] = {"sessionId": session_id}
        summary = result.get("summary")
        if summary is not None:
            metadata["summary"] = summary
        return ToolResult(title=str(description), output=output, metadata=metadata)


def task_envelope(session_id: str, state: str, text: str) -> str:
    """The result as OpenCode 1.18.33 hands it to the model: the subagent's session id (which
    ``task_id`` takes to continue it) and state around its last text."""
    body = "task_error" if state == "error" else "task_result"
    return f'<task id="{session_id}" state="{state}">\n<{body}>\n{text}\n</{body}>\n</task>'


tool = TaskTool()

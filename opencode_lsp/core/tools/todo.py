"""The ``todowrite`` tool: the model's task list for the session, replaced as a whole each call."""

from __future__ import annotations

import json
from pydantic import Field

from .args import ArgsTool, ToolArgs
from .base import ToolContext, ToolError, ToolResult

STATUSES = ("pending", "in_progress", "completed", "cancelled")
PRIORITIES = ("high", "medium", "low")

DESCRIPTION = """\
Create or update the task list for this session, to plan multi-step work and show the user
your progress. Each call replaces the whole list.

When to use it: the task needs three or more distinct steps, the user gave several tasks or
asked for a todo list, or new requirements came up while working. Skip it for a single
trivial step or a purely conversational answer.

Each item has content (what to do, imperative and specific), status (pending, in_progress,
completed or cancelled) and priority (high, medium or low).
- Keep exactly one item in_progress while you work; mark it completed as soon as it is done
  (not in batches), then move the next one to in_progress.
- Only mark an item completed when it is really finished: not if tests fail, the change is
  partial or you hit an unresolved error. Add an item for the blocker instead.
- Cancel items that turned out to be unnecessary.
"""


class TodoItem(ToolArgs):
    content: str = Field(description="What the task is.")
    status: str = Field(description="pending, in_progress, completed or cancelled.")
    priority: str = Field(description="high, medium or low.")


class TodoWriteArgs(ToolArgs):
    todos: list[TodoItem] = Field(description="The complete, updated task list.")


class TodoWriteTool(ArgsTool[TodoWriteArgs]):
    id = "todowrite"
    description = DESCRIPTION
    Args = TodoWriteArgs

    async def run(self, args: TodoWriteArgs, ctx: ToolContext) -> ToolResult:
        todos = [item.model_dump() for item in args.todos]
        setter = ctx.services.set_todos
        if setter is None:
            raise ToolError("The task list is not available in this session.")
        saved = setter(todos)
        saved = saved if isinstance(saved, list) else todos
        remaining = [t for t in saved if t.get("status") != "completed"]
        # The model reads the whole list as it sent it (no ids), as OpenCode 1.18.33 answers.
        listed = [{k: t[k] for k in ("content", "status", "priority")} for t in todos]
        return ToolResult(
            title=f"{len(remaining)} todos",
            output=json.dumps(listed, indent=2, ensure_ascii=False),
            metadata={"todos": saved},
        )


tool = TodoWriteTool()

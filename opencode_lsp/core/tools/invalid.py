"""The ``invalid`` tool: where the loop routes calls it could not run as asked (unknown tool,
arguments that are not JSON or do not fit the schema), so the model reads why and retries."""

from __future__ import annotations

from .args import ArgsTool, ToolArgs
from .base import ToolContext, ToolResult


class InvalidArgs(ToolArgs):
    tool: str
    error: str


class InvalidTool(ArgsTool[InvalidArgs]):
    id = "invalid"
    description = "Do not use. Reports a malformed tool call back to the model."
    Args = InvalidArgs

    async def run(self, args: InvalidArgs, ctx: ToolContext) -> ToolResult:
        name = args.tool or "unknown"
        error = args.error or "no reason given"
        # As OpenCode 1.18.33 words it in substance: one line, the reason after a fixed lead.
        return ToolResult(title="Invalid tool call", output=f"The tool call was not valid, so it did not run: {error}",
                          metadata={"tool": name})


tool = InvalidTool()

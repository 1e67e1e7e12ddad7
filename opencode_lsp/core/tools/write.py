"""The ``write`` tool: create a file or replace its whole content."""

from __future__ import annotations

from pydantic import Field

from .args import ArgsTool, NonBlank, ToolArgs
from .base import ToolContext, ToolError, ToolResult
from .diffs import file_diff, unified_diff
from .paths import ask_config_writes, edit_patterns, ensure_inside, relative_title

DESCRIPTION = """\
Write a file, creating it (and any missing parent directories) or replacing everything in it.

- filePath should be absolute; a relative path is taken from the workspace root.
- To change part of an existing file use the edit tool instead: it is safer and cheaper. If
  you do overwrite an existing file, read it first so nothing in it is lost by accident.
- Do not create documentation or README files unless the user asked for them.
"""


class WriteArgs(ToolArgs):
    content: str = Field(description="The complete new content of the file.")
    filePath: NonBlank = Field(description="Absolute path of the file to write.")


class WriteTool(ArgsTool[WriteArgs]):
    id = "write"
    description = DESCRIPTION
    Args = WriteArgs

    async def run(self, args: WriteArgs, ctx: ToolContext) -> ToolResult:
        content = args.content
        path = ctx.workspace.resolve(args.filePath)
        await ensure_inside(ctx, path)
        title = relative_title(ctx, path)
        if await ctx.workspace.is_dir(path):
            raise ToolError(f"{path} is a directory; give the path of a file.")
        exists = await ctx.workspace.exists(path)
        before = await ctx.workspace.read_text(path) if exists else ""
        diff = unified_diff(str(path), before, content)
        await ask_config_writes(ctx, path)
        await ctx.ask("edit", edit_patterns(ctx, path), always=["*"], metadata={"filepath": str(path), "diff": diff})
        await ctx.workspace.write_text(path, content)
        output = f"Overwrote {path}." if exists else f"Created {path}."
        return ToolResult(
            title=title, output=output,
            metadata={"filepath": str(path), "exists": exists, "diff": diff,
                      "filediff": file_diff(str(path), before, content)},
        )


tool = WriteTool()

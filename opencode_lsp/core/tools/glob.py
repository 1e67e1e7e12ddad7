"""The ``glob`` tool: files whose path matches a glob pattern, newest first."""

from __future__ import annotations

from pydantic import Field

from . import search
from .args import ArgsTool, NonBlank, ToolArgs
from .base import ToolContext, ToolError, ToolResult
from .paths import ensure_inside, glob_root, relative_title
from .truncate import truncate_output

MAX_RESULTS = 100

DESCRIPTION = """\
Find files by name with a glob pattern such as "**/*.py", "src/**/*.{ts,tsx}" or "*.md".

- A pattern without "/" matches file names at any depth; a pattern with "/" is matched against
  the path relative to the searched directory.
- path is the directory to search (default: the workspace root). Leave it out rather than
  passing "." or "undefined".
- Files ignored by .gitignore and the .git directory are skipped.
- Results are absolute paths, most recently modified first, at most 100.
- To search file contents use grep. For open-ended searches that may take several rounds,
  consider a subagent via the task tool. Running several searches in parallel is fine.
"""


class GlobArgs(ToolArgs):
    pattern: NonBlank = Field(description="Glob pattern to match file paths against.")
    path: str | None = Field(None, description="Directory to search in (default: workspace root).")


class GlobTool(ArgsTool[GlobArgs]):
    id = "glob"
    description = DESCRIPTION
    Args = GlobArgs

    async def run(self, args: GlobArgs, ctx: ToolContext) -> ToolResult:
        raw = args.path
        root = ctx.workspace.resolve(raw) if raw and raw.strip() else ctx.workspace.root
        root, pattern = glob_root(root, args.pattern)
        await ensure_inside(ctx, root, kind="directory")
        start = search.literal_dir(pattern)
        if start:  # the listing starts there: a symlinked directory in it may lead out
            await ensure_inside(ctx, root / start, kind="directory")
        if not await ctx.workspace.is_dir(root):
            raise ToolError(f"{root} is not a directory.")
        files = search.by_newest(await search.list_files(root, pattern))
        truncated = len(files) > MAX_RESULTS
        shown = files[:MAX_RESULTS]
        if not shown:
            output = "No files found."
        else:
            output = "\n".join(str(p) for p in shown)
            if truncated:
                output += (f"\n\n(Results truncated: showing the {MAX_RESULTS} most recently modified of "
                           f"{len(files)} files. Use a more specific pattern or path.)")
        output, _, _ = truncate_output(output, ctx.services.data_dir)
        return ToolResult(title=relative_title(ctx, root), output=output,
                          metadata={"count": len(shown), "truncated": truncated})


tool = GlobTool()

"""The ``grep`` tool: lines matching a regular expression, grouped by file, newest files first."""

from __future__ import annotations

import json
import os
from pathlib import Path
from pydantic import Field

from . import search
from .args import ArgsTool, NonEmpty, ToolArgs
from .base import ToolContext, ToolError, ToolResult
from .paths import ensure_inside, relative_title
from .truncate import truncate_output

MAX_RESULTS = 100

DESCRIPTION = """\
Search file contents with a regular expression and list the matching lines.

- pattern is a regular expression ("def \\w+\\(", "TODO|FIXME", "import .*requests").
  Escape regex characters to search for them literally ("foo\\(\\)").
- include limits the search to files matching a glob ("*.py", "*.{ts,tsx}", "src/**/*.go").
- path is the directory (or a single file) to search; default is the workspace root.
- Files ignored by .gitignore, the .git directory and binary files are skipped.
- Results are grouped by file, most recently modified files first, at most 100 matching lines.
- To find files by name use glob; to count or post-process matches, bash with rg may suit.
"""

Match = tuple[Path, int, str]


async def _rg_matches(root: Path, target: Path, pattern: str, include: str | None) -> list[Match]:
    args = ["--json", *search.RG_COMMON, *search.include_args(include), "--regexp", pattern]
    # Search relative to ``root`` so anchored include globs ("src/**/*.go") mean what they say.
    where = "." if target == root else target.name
    code, out, err = await search.run_rg(args + ["--", where], root)
    if code == 2 and not out:
        raise ToolError(f"grep failed: {err.strip() or 'ripgrep exit 2'}")
    matches: list[Match] = []
    for line in out.splitlines():
        event = json.loads(line)
        if event.get("type") != "match":
            continue
        data = event["data"]
        path = data["path"].get("text") or ""
        text = data["lines"].get("text")
        if text is None:  # not valid UTF-8: ripgrep sends base64 bytes
            continue
        matches.append((Path(os.path.normpath(root / path)), data["line_number"], text.rstrip("\r\n")))
    if include:
        keep = set(search.filter_paths(list({m[0] for m in matches}), root, include))
        matches = [m for m in matches if m[0] in keep]
    return matches


class GrepArgs(ToolArgs):
    pattern: NonEmpty = Field(description="Regular expression to search for.")
    path: str | None = Field(None, description="Directory or file to search (default: workspace root).")
    include: str | None = Field(None, description='Glob of the files to search, e.g. "*.py".')


class GrepTool(ArgsTool[GrepArgs]):
    id = "grep"
    description = DESCRIPTION
    Args = GrepArgs

    async def run(self, args: GrepArgs, ctx: ToolContext) -> ToolResult:
        pattern = args.pattern
        include = args.include or None
        raw = args.path
        target = ctx.workspace.resolve(raw) if raw and raw.strip() else ctx.workspace.root
        if not await ctx.workspace.exists(target):
            raise ToolError(f"{target} does not exist.")
        is_dir = await ctx.workspace.is_dir(target)
        await ensure_inside(ctx, target, kind="directory" if is_dir else "file")
        cwd = target if is_dir else target.parent
        matches = await _rg_matches(cwd, target, pattern, include)

        order = {p: i for i, p in enumerate(search.by_newest(list({m[0] for m in matches})))}
        matches.sort(key=lambda m: (order[m[0]], m[1]))
        total = len(matches)
        shown = matches[:MAX_RESULTS]
        title = pattern
        if not shown:
            return ToolResult(title=title, output="No matches found.", metadata={"matches": 0, "truncated": False})
        lines = [f"Found {total} matching lines" + (f" (showing the first {MAX_RESULTS})" if total > MAX_RESULTS else "") + ":"]
        current: Path | None = None
        for path, number, text in shown:
            if path != current:
                lines.append(f"\n{path}:")
                current = path
            if len(text) > search.MAX_LINE_CHARS:
                text = text[:search.MAX_LINE_CHARS] + "..."
            lines.append(f"  {number}: {text}")
        if total > MAX_RESULTS:
            lines.append(f"\n(Results truncated: {total - MAX_RESULTS} more matching lines not shown. "
                         "Narrow the pattern, path or include glob.)")
        output, _, _ = truncate_output("\n".join(lines), ctx.services.data_dir)
        return ToolResult(title=title, output=output,
                          metadata={"matches": total, "truncated": total > MAX_RESULTS,
                                    "path": relative_title(ctx, target)})


tool = GrepTool()

"""The ``edit`` tool: replace one exact (or nearly exact) piece of a file with new text."""

from __future__ import annotations

from typing import Any

from . import matchers
from .base import ToolContext, ToolError, ToolResult
from .diffs import file_diff, unified_diff
from .paths import ensure_inside, relative_title

BOM = "\ufeff"

DESCRIPTION = """\
Replace text in a file: oldString is found in the file and replaced with newString.

- Read the file first so oldString is copied from its real content. Leave out the line-number
  prefix the read tool shows ("12: "); keep the indentation exactly as it follows that prefix.
- oldString must identify one place in the file. If it occurs more than once the edit fails:
  include more surrounding lines to make it unique, or set replaceAll to true to change every
  occurrence (handy for renaming a variable across the file).
- newString must differ from oldString.
- An empty oldString creates the file with newString as its content (or replaces all of it).
- Line endings (CRLF) and a UTF-8 byte order mark in the file are kept.
- Prefer editing existing files to writing new ones; make several small edits rather than one
  huge one, and do not add emojis or commentary the user did not ask for.
"""


def split_encoding(text: str) -> tuple[str, bool, bool]:
    """``(text with LF line endings and no BOM, had_bom, used_crlf)``."""
    bom = text.startswith(BOM)
    if bom:
        text = text[1:]
    crlf = "\r\n" in text
    if crlf:
        text = text.replace("\r\n", "\n")
    return text, bom, crlf


def join_encoding(text: str, bom: bool, crlf: bool) -> str:
    if crlf:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return (BOM if bom else "") + text


class EditTool:
    id = "edit"
    description = DESCRIPTION
    parameters: dict[str, Any] = {
        "type": "object",
        "properties": {
            "filePath": {"type": "string", "description": "Absolute path of the file to change."},
            "oldString": {"type": "string", "description": "The text to replace, copied from the file."},
            "newString": {"type": "string", "description": "The text to put in its place."},
            "replaceAll": {"type": "boolean", "description": "Replace every occurrence (default false)."},
        },
        "required": ["filePath", "oldString", "newString"],
    }

    async def execute(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        raw = args.get("filePath")
        old = args.get("oldString")
        new = args.get("newString")
        if not isinstance(raw, str) or not raw.strip():
            raise ToolError("filePath is required.")
        if not isinstance(old, str) or not isinstance(new, str):
            raise ToolError("oldString and newString must be strings.")
        if old == new:
            raise ToolError("No change to make: oldString and newString are identical.")
        path = ctx.workspace.resolve(raw)
        await ensure_inside(ctx, path)
        title = relative_title(ctx, path)
        if await ctx.workspace.is_dir(path):
            raise ToolError(f"{path} is a directory, not a file.")
        exists = await ctx.workspace.exists(path)

        if old == "":
            original = await ctx.workspace.read_text(path) if exists else ""
            body, bom, crlf = split_encoding(original)
            after_body = new.replace("\r\n", "\n")
        else:
            if not exists:
                raise ToolError(f"File not found: {path}")
            original = await ctx.workspace.read_text(path)
            body, bom, crlf = split_encoding(original)
            try:
                after_body, _ = matchers.replace(
                    body, old.replace("\r\n", "\n"), new.replace("\r\n", "\n"), bool(args.get("replaceAll"))
                )
            except matchers.Ambiguous:
                raise ToolError(
                    "oldString was found several times in the file. Add more surrounding lines to "
                    "oldString so it matches only the place you mean, or set replaceAll to true to "
                    "change every occurrence."
                ) from None
            except matchers.NotFound:
                raise ToolError(
                    "oldString was not found in the file. It has to match the file's text, "
                    "including indentation and whitespace; read the file again and copy the text "
                    "exactly (without the line-number prefixes)."
                ) from None

        diff = unified_diff(str(path), body, after_body)
        await ctx.ask("edit", [title], always=["*"], metadata={"filepath": str(path), "diff": diff})
        await ctx.workspace.write_text(path, join_encoding(after_body, bom, crlf))
        output = "Edit applied successfully." if exists else f"Created {path}."
        return ToolResult(
            title=title, output=output,
            metadata={"diff": diff, "filediff": file_diff(str(path), body, after_body)},
        )


tool = EditTool()

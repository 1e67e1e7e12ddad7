"""The ``edit`` tool: replace one exact (or nearly exact) piece of a file with new text."""

from __future__ import annotations

from pydantic import Field

from . import matchers
from .args import ArgsTool, NonBlank, ToolArgs
from .base import ToolContext, ToolError, ToolResult
from .diffs import file_diff, unified_diff
from .paths import ask_config_writes, edit_patterns, ensure_inside, relative_title

BOM = "\ufeff"

DESCRIPTION = """\
Replace text in a file: oldString is found in the file and replaced with newString.

- Read the file first so oldString is copied from its real content. Leave out the line-number
  prefix the read tool shows ("12: "); keep the indentation exactly as it follows that prefix.
- oldString must identify one place in the file. If it occurs more than once the edit fails:
  include more surrounding lines to make it unique, or set replaceAll to true to change every
  occurrence (handy for renaming a variable across the file).
- newString must differ from oldString.
- An empty oldString creates a new file with newString as its content; it is refused when the
  file already exists (use write to replace a whole file).
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


def _split_bom(text: str) -> tuple[str, bool]:
    return (text[1:], True) if text.startswith(BOM) else (text, False)


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def _with_eol(text: str, eol: str) -> str:
    text = _lf(text)
    return text if eol == "\n" else text.replace("\n", eol)


NO_CHANGE = "Nothing to change: oldString and newString are the same."
EMPTY_OLD = (
    "oldString is empty but the file already exists. Give the exact text to replace, or use the "
    "write tool if you really mean to replace the whole file."
)
# What the model reads when the edit cannot be made (kinds from matchers.MatchError).
MATCH_ERRORS = {
    "not_found": (
        "Could not find oldString in the file. It has to match the file's text exactly: "
        "whitespace, indentation and line endings included. Read the file again and copy it."
    ),
    "multiple": (
        "oldString matches more than one place in the file. Add surrounding lines so it matches "
        "only the place you mean, or set replaceAll to true to change every occurrence."
    ),
    "span_too_large": (
        "Refused: the text that loosely matched oldString is much larger than oldString, so the "
        "replacement could drop code. Read the file again and give the exact, complete oldString."
    ),
    "empty_old": EMPTY_OLD,
    "no_change": NO_CHANGE,
}


def join_encoding(text: str, bom: bool, crlf: bool) -> str:
    if crlf:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return (BOM if bom else "") + text


class EditArgs(ToolArgs):
    filePath: NonBlank = Field(description="Absolute path of the file to change.")
    oldString: str = Field(description="The text to replace, copied from the file.")
    newString: str = Field(description="The text to put in its place.")
    replaceAll: bool | None = Field(None, description="Replace every occurrence (default false).")


class EditTool(ArgsTool[EditArgs]):
    id = "edit"
    description = DESCRIPTION
    Args = EditArgs

    async def run(self, args: EditArgs, ctx: ToolContext) -> ToolResult:
        old, new = args.oldString, args.newString
        if old == new:
            raise ToolError(NO_CHANGE)
        path = ctx.workspace.resolve(args.filePath)
        await ensure_inside(ctx, path)
        title = relative_title(ctx, path)
        exists = await ctx.workspace.exists(path)

        if old == "":
            # Creating a file is fine; silently overwriting one that exists is not (use write).
            if exists:
                raise ToolError(EMPTY_OLD)
            body, bom = _split_bom(new)
            before_lf, after_lf = "", body
            after = body
        else:
            if not exists:
                raise ToolError(f"File {path} not found")
            if await ctx.workspace.is_dir(path):
                raise ToolError(f"Path is a directory, not a file: {path}")
            body, bom = _split_bom(await ctx.workspace.read_text(path))
            # oldString/newString take the file's line endings (so a CRLF file matches LF input).
            eol = "\r\n" if "\r\n" in body else "\n"
            try:
                replaced, _ = matchers.replace(
                    body, _with_eol(old, eol), _with_eol(new, eol), args.replaceAll is True
                )
            except matchers.MatchError as error:
                raise ToolError(MATCH_ERRORS[error.kind]) from None
            after, new_bom = _split_bom(replaced)
            bom = bom or new_bom
            before_lf, after_lf = _lf(body), _lf(after)

        diff = unified_diff(str(path), before_lf, after_lf)
        await ask_config_writes(ctx, path)
        await ctx.ask("edit", edit_patterns(ctx, path), always=["*"], metadata={"filepath": str(path), "diff": diff})
        await ctx.workspace.write_text(path, (BOM if bom else "") + after)
        return ToolResult(
            title=title, output="Edit applied successfully.",
            metadata={"diff": diff, "filediff": file_diff(str(path), before_lf, after_lf)},
        )

tool = EditTool()

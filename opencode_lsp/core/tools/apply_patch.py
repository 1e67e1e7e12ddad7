"""The ``apply_patch`` tool: add, update, move and delete several files from one patch text.

The whole patch is parsed and every hunk is located before anything is written, so a patch
either applies completely or changes nothing (short of a write failing half way).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pydantic import Field

from .args import ArgsTool, NonBlank, ToolArgs
from .base import ToolContext, ToolError, ToolResult
from .diffs import file_diff, unified_diff
from .edit import join_encoding, split_encoding
from .paths import ask_config_writes, edit_patterns, ensure_inside, relative_title

BEGIN, END = "*** Begin Patch", "*** End Patch"
ADD, UPDATE, DELETE, MOVE = "*** Add File: ", "*** Update File: ", "*** Delete File: ", "*** Move to: "
END_OF_FILE = "*** End of File"

DESCRIPTION = """\
Apply a patch that adds, changes, renames or deletes files. The patch text looks like this:

*** Begin Patch
*** Add File: path/to/new.py
+every line of the new file, each starting with +
*** Update File: path/to/existing.py
*** Move to: path/to/renamed.py   (optional: rename the file as well)
@@ def some_function():          (optional: a line above the change, to locate it)
 an unchanged line, starting with a space
-a line to remove
+a line to add
*** Delete File: path/to/obsolete.py
*** End Patch

- Paths are relative to the workspace root (absolute paths work too).
- In an update, give about three unchanged lines before and after each change so the place is
  unambiguous; start each further change in the same file with another @@ line.
- Nothing is written unless every part of the patch applies.
"""


@dataclass
class Chunk:
    anchor: str | None
    ops: list[tuple[str, str]] = field(default_factory=list[tuple[str, str]])  # (" " | "-" | "+", text)
    at_end: bool = False

    @property
    def old(self) -> list[str]:
        return [text for tag, text in self.ops if tag != "+"]


@dataclass
class FileOp:
    kind: str  # "add" | "update" | "delete"
    path: str
    move_to: str | None = None
    added: list[str] = field(default_factory=list[str])
    chunks: list[Chunk] = field(default_factory=list[Chunk])


def parse_patch(text: str) -> list[FileOp]:
    lines = text.strip().replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != BEGIN:
        raise ToolError(f"The patch must start with the line '{BEGIN}'.")
    if lines[-1].strip() != END:
        raise ToolError(f"The patch must end with the line '{END}'.")
    ops: list[FileOp] = []
    i, body = 0, lines[1:-1]
    while i < len(body):
        line = body[i]
        if line.startswith(ADD):
            op = FileOp("add", line[len(ADD):].strip())
            i += 1
            while i < len(body) and not body[i].startswith("*** "):
                if not body[i].startswith("+"):
                    raise ToolError(f"In '{ADD}{op.path}' every line must start with '+': {body[i]!r}")
                op.added.append(body[i][1:])
                i += 1
        elif line.startswith(DELETE):
            op = FileOp("delete", line[len(DELETE):].strip())
            i += 1
        elif line.startswith(UPDATE):
            op = FileOp("update", line[len(UPDATE):].strip())
            i += 1
            if i < len(body) and body[i].startswith(MOVE):
                op.move_to = body[i][len(MOVE):].strip()
                i += 1
            i = _parse_chunks(body, i, op)
        elif not line.strip():
            i += 1
            continue
        else:
            raise ToolError(f"Unexpected line in the patch: {line!r}. Expected a '*** Add File:', "
                            "'*** Update File:' or '*** Delete File:' header.")
        if not op.path:
            raise ToolError("A file header in the patch has no path.")
        ops.append(op)
    if not ops:
        raise ToolError("The patch contains no file operations.")
    return ops


def _parse_chunks(body: list[str], i: int, op: FileOp) -> int:
    chunk: Chunk | None = None
    while i < len(body) and not (body[i].startswith("*** ") and body[i] != END_OF_FILE):
        line = body[i]
        if line.startswith("@@"):
            chunk = Chunk(anchor=line[2:].strip() or None)
            op.chunks.append(chunk)
        elif line == END_OF_FILE:
            if chunk is not None:
                chunk.at_end = True
        else:
            if chunk is None:  # a hunk may start without an @@ line
                chunk = Chunk(anchor=None)
                op.chunks.append(chunk)
            tag, rest = (line[0], line[1:]) if line else (" ", "")
            if tag in (" ", "-", "+"):
                chunk.ops.append((tag, rest))
            else:
                raise ToolError(f"In '{UPDATE}{op.path}' a hunk line must start with ' ', '-' or '+': {line!r}")
        i += 1
    if not any(tag != " " for c in op.chunks for tag, _ in c.ops):
        raise ToolError(f"'{UPDATE}{op.path}' has no changes.")
    return i


def _seek(lines: list[str], wanted: list[str], start: int, at_end: bool) -> int:
    """Index where ``wanted`` occurs at or after ``start``; exact, then ignoring trailing and
    then surrounding whitespace. -1 when it does not occur."""
    if not wanted:
        return len(lines) if at_end else start
    norms: tuple[Callable[[str], str], ...] = (lambda s: s, str.rstrip, str.strip)
    for norm in norms:
        target = [norm(w) for w in wanted]
        positions = range(len(lines) - len(wanted), start - 1, -1) if at_end else \
            range(start, len(lines) - len(wanted) + 1)
        for pos in positions:
            if [norm(x) for x in lines[pos:pos + len(wanted)]] == target:
                return pos
    return -1


def apply_chunks(text: str, op: FileOp) -> str:
    lines = text.split("\n")
    trailing_newline = bool(lines) and lines[-1] == ""
    if trailing_newline:
        lines.pop()
    cursor = 0
    edits: list[tuple[int, int, list[str]]] = []
    for chunk in op.chunks:
        if chunk.anchor:
            found = _seek(lines, [chunk.anchor], cursor, False)
            if found == -1:
                raise ToolError(f"In {op.path}: could not find the context line {chunk.anchor!r}.")
            cursor = found + 1
        ops = chunk.ops
        pos = _seek(lines, chunk.old, cursor, chunk.at_end)
        if pos == -1 and ops and ops[-1] == (" ", ""):
            # A blank context line at the end of a hunk is often just the patch's final newline.
            ops = ops[:-1]
            pos = _seek(lines, [t for tag, t in ops if tag != "+"], cursor, chunk.at_end)
        if pos == -1:
            shown = "\n".join(chunk.old)
            raise ToolError(f"In {op.path}: could not find these lines of a hunk:\n{shown}")
        # Context lines keep the file's own text: the match may have ignored whitespace.
        new: list[str] = []
        k = pos
        for tag, text in ops:
            if tag == " ":
                new.append(lines[k])
                k += 1
            elif tag == "-":
                k += 1
            else:
                new.append(text)
        edits.append((pos, k - pos, new))
        cursor = k
    for pos, count, new in reversed(edits):
        lines[pos:pos + count] = new
    return "\n".join(lines) + ("\n" if trailing_newline or not lines else "")


class ApplyPatchArgs(ToolArgs):
    patchText: NonBlank = Field(description="The full patch, from '*** Begin Patch' to '*** End Patch'.")


class ApplyPatchTool(ArgsTool[ApplyPatchArgs]):
    id = "apply_patch"
    description = DESCRIPTION
    Args = ApplyPatchArgs

    async def run(self, args: ApplyPatchArgs, ctx: ToolContext) -> ToolResult:
        ops = parse_patch(args.patchText)
        ws = ctx.workspace
        # Plan: (op, source path, destination path or None, before, after-with-encoding)
        plan: list[tuple[FileOp, Path, Path | None, str, str | None]] = []
        for op in ops:
            source = ws.resolve(op.path)
            await ensure_inside(ctx, source)
            if op.kind == "add":
                if await ws.exists(source):
                    raise ToolError(f"Cannot add {op.path}: it already exists (use '*** Update File:').")
                plan.append((op, source, source, "", "\n".join(op.added) + "\n"))
                continue
            if not await ws.exists(source) or await ws.is_dir(source):
                raise ToolError(f"Cannot {op.kind} {op.path}: no such file.")
            before = await ws.read_text(source)
            if op.kind == "delete":
                plan.append((op, source, None, before, None))
                continue
            body, bom, crlf = split_encoding(before)
            after = join_encoding(apply_chunks(body, op), bom, crlf)
            target = source
            if op.move_to:
                target = ws.resolve(op.move_to)
                await ensure_inside(ctx, target)
                if target != source and await ws.exists(target):
                    raise ToolError(f"Cannot move {op.path} to {op.move_to}: the destination exists.")
            plan.append((op, source, target, before, after))

        titles: list[str] = []
        diffs: list[str] = []
        files: list[dict[str, Any]] = []
        summary: list[str] = []
        patterns: list[str] = []
        for op, source, target, before, after in plan:
            shown = target or source
            # A move deletes its source: both ends are edits the rules must allow.
            patterns.extend(edit_patterns(ctx, *dict.fromkeys(p for p in (source, target) if p is not None)))
            titles.append(relative_title(ctx, shown))
            diff = unified_diff(str(shown), split_encoding(before)[0], split_encoding(after or "")[0])
            diffs.append(diff)
            fd = file_diff(str(shown), before, after or "")
            files.append({**fd, "type": op.kind if not op.move_to else "move",
                          **({"movePath": str(target)} if op.move_to else {})})
            letter = {"add": "A", "update": "M", "delete": "D"}[op.kind]
            summary.append(f"{letter} {relative_title(ctx, shown)}")
        combined = "".join(diffs)
        await ask_config_writes(ctx, *[p for _op, src, dst, _b, _a in plan for p in (src, dst) if p is not None])
        await ctx.ask("edit", list(dict.fromkeys(patterns)), always=["*"], metadata={"diff": combined, "files": files})

        for op, source, target, _before, after in plan:
            if target is None:
                await ws.delete(source)
                continue
            await ws.write_text(target, after or "")
            if target != source:
                await ws.delete(source)
        output = "The patch was applied. Files changed:\n" + "\n".join(summary)
        title = titles[0] if len(titles) == 1 else f"{len(titles)} files"
        return ToolResult(title=title, output=output, metadata={"diff": combined, "files": files})


tool = ApplyPatchTool()

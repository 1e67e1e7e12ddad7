"""The ``read`` tool: a file with numbered lines, a directory listing, or an image/PDF attachment."""

from __future__ import annotations

import base64
import difflib
import mimetypes
import os
from pathlib import Path
from typing import Any

from pydantic import Field

from .args import MAX_SAFE_INTEGER, ArgsTool, NonBlank, ToolArgs
from .base import ToolContext, ToolError, ToolResult
from .paths import ensure_inside, relative_title

DEFAULT_LIMIT = 2000
MAX_LINE_CHARS = 2000
MAX_OUTPUT_BYTES = 50 * 1024
PREVIEW_LINES = 20

# Formats that are never text; sniffing would catch most, but the name is cheaper and surer.
BINARY_EXTENSIONS = frozenset(
    ".zip .tar .gz .tgz .bz2 .xz .7z .rar .zst .jar .war .ear .class .exe .dll .so .dylib .o .a "
    ".lib .obj .bin .dat .wasm .pyc .pyo .pyd .whl .egg .doc .docx .xls .xlsx .ppt .pptx .odt "
    ".ods .odp .sqlite .sqlite3 .db .mp3 .mp4 .m4a .wav .flac .ogg .avi .mov .mkv .webm .ttf "
    ".otf .woff .woff2 .eot .ico .psd .iso .dmg .deb .rpm .apk".split()
)

DESCRIPTION = """\
Read a file or list a directory from the local filesystem.

- filePath should be an absolute path; a relative one is taken from the workspace root.
- By default up to 2000 lines are returned from the start of the file. For long files pass
  offset (the 1-based line number to start at) and limit (how many lines) to read the part you
  need, and read further parts the same way when the output says there is more.
- Each line is shown as "<line number>: <text>". The number and the ": " are not part of the
  file: never copy them into an edit. Lines longer than 2000 characters are cut short.
- The whole output is capped at 50 KB; the end of the output says which lines were shown.
- A directory path returns its entries, one per line, with a trailing "/" on subdirectories.
- Images and PDFs are returned as attachments you can look at. Other binary files are refused.
- Reading several files you will probably need in one turn (parallel calls) is encouraged.
- Use this instead of cat/head/tail in the shell.
"""


def _is_binary_text(text: str) -> bool:
    """A decoded sample looks like binary: NUL bytes, or mostly control/undecodable characters."""
    sample = text[:4096]
    if not sample:
        return False
    if "\x00" in sample:
        return True
    odd = sum(1 for ch in sample if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\n\r\f\b\x1b"))
    return odd / len(sample) > 0.3


def _split_lines(text: str) -> list[str]:
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # a final newline ends the last line, it does not start another
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _suggestions(path: Path) -> list[str]:
    parent = path.parent
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    wanted = path.name.lower()
    close = difflib.get_close_matches(path.name, names, n=3, cutoff=0.6)
    contains = [n for n in names if wanted and (wanted in n.lower() or n.lower() in wanted)]
    picked = list(dict.fromkeys([*close, *contains]))[:3]
    return [str(parent / n) for n in picked]


class ReadArgs(ToolArgs):
    filePath: NonBlank = Field(description="Absolute path of the file or directory to read.")
    offset: int | None = Field(None, ge=0, le=MAX_SAFE_INTEGER,
                               description="1-based line number to start reading at (default 1).")
    limit: int | None = Field(None, ge=0, le=MAX_SAFE_INTEGER,
                              description="Maximum number of lines to read (default 2000).")


class ReadTool(ArgsTool[ReadArgs]):
    id = "read"
    description = DESCRIPTION
    Args = ReadArgs

    async def run(self, args: ReadArgs, ctx: ToolContext) -> ToolResult:
        path = ctx.workspace.resolve(args.filePath)
        offset = max(args.offset or 1, 1)
        limit = args.limit or DEFAULT_LIMIT
        is_dir = await ctx.workspace.is_dir(path)
        await ensure_inside(ctx, path, kind="directory" if is_dir else "file")
        await ctx.ask("read", [str(path)], always=["*"], metadata={})
        title = relative_title(ctx, path)

        if is_dir:
            return self.render_directory(path, title, offset, limit)
        if not await ctx.workspace.exists(path):
            hints = _suggestions(path)
            message = f"File not found: {path}"
            if hints:
                message += "\n\nDid you mean one of these?\n" + "\n".join(hints)
            raise ToolError(message)

        mime = mimetypes.guess_type(path.name)[0] or ""
        if (mime.startswith("image/") and mime != "image/svg+xml") or mime == "application/pdf":
            data = await ctx.workspace.read_bytes(path)
            kind = "PDF" if mime == "application/pdf" else "Image"
            url = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
            return ToolResult(
                title=title, output=f"{kind} read successfully ({len(data)} bytes, attached).",
                metadata={"preview": f"{kind} read successfully", "truncated": False, "loaded": []},
                attachments=[{"type": "file", "mime": mime, "url": url, "filename": path.name}],
            )
        if path.suffix.lower() in BINARY_EXTENSIONS:
            raise ToolError(f"Cannot read binary file: {path}")
        text = await ctx.workspace.read_text(path)
        if _is_binary_text(text):
            raise ToolError(f"Cannot read binary file: {path}")
        return self.render_file(path, title, text, offset, limit)

    def render_file(self, path: Path, title: str, text: str, offset: int, limit: int) -> ToolResult:
        lines = _split_lines(text)
        total = len(lines)
        if offset > max(total, 1):
            raise ToolError(f"Offset {offset} is past the end of {path}, which has {total} lines.")
        shown: list[str] = []
        numbered: list[str] = []
        size = 0
        capped = False
        for number in range(offset, min(offset - 1 + limit, total) + 1):
            line = lines[number - 1]
            if len(line) > MAX_LINE_CHARS:
                line = line[:MAX_LINE_CHARS] + f"... (line cut at {MAX_LINE_CHARS} characters)"
            entry = f"{number}: {line}"
            cost = len(entry.encode("utf-8", "replace")) + 1
            if size + cost > MAX_OUTPUT_BYTES and numbered:
                capped = True
                break
            numbered.append(entry)
            shown.append(line)
            size += cost
        last = offset + len(numbered) - 1
        truncated = last < total
        if capped:
            note = (f"(Output capped at 50 KB: showing lines {offset}-{last} of {total}. "
                    f"Use offset={last + 1} to read on.)")
        elif truncated:
            note = f"(Showing lines {offset}-{last} of {total}. Use offset={last + 1} to read on.)"
        else:
            note = f"(End of file - total {total} lines)"
        body = "\n".join(numbered)
        output = (f"<path>{path}</path>\n<type>file</type>\n<content>\n"
                  + (body + "\n\n" if body else "\n") + note + "\n</content>")
        display_text = "\n".join(shown)
        metadata: dict[str, Any] = {
            "preview": "\n".join(shown[:PREVIEW_LINES]),
            "truncated": truncated,
            "loaded": [],
            "display": {
                "type": "file", "path": str(path), "text": display_text,
                "lineStart": offset, "lineEnd": max(last, offset if total else 0),
                "totalLines": total, "truncated": truncated,
            },
        }
        return ToolResult(title=title, output=output, metadata=metadata)

    def render_directory(self, path: Path, title: str, offset: int, limit: int) -> ToolResult:
        try:
            entries = sorted(
                (e.name + "/" if e.is_dir() else e.name) for e in os.scandir(path)
            )
        except OSError as exc:
            raise ToolError(f"Cannot list {path}: {exc.strerror or exc}") from exc
        total = len(entries)
        if offset > max(total, 1):
            raise ToolError(f"Offset {offset} is past the end of {path}, which has {total} entries.")
        window = entries[offset - 1: offset - 1 + limit]
        last = offset + len(window) - 1
        truncated = last < total
        note = (f"(Showing entries {offset}-{last} of {total}. Use offset={last + 1} to list more.)"
                if truncated else f"({total} entries)")
        output = (f"<path>{path}</path>\n<type>directory</type>\n<entries>\n"
                  + ("\n".join(window) + "\n" if window else "") + note + "\n</entries>")
        metadata: dict[str, Any] = {"preview": "\n".join(window[:PREVIEW_LINES]), "truncated": truncated,
                                    "loaded": []}
        return ToolResult(title=title, output=output, metadata=metadata)


tool = ReadTool()

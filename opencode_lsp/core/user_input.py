"""A prompt's parts -> the stored user message and its parts.

File parts are expanded into their content right away, as OpenCode 1.18.33 does: a synthetic
text naming the read call, a synthetic text with the read tool's output, then the file part, so
the model sees what the file held when the user sent it. Open editor buffers win over the disk
copy because reading goes through the workspace.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from .errors import InvalidInputError
from .ids import new_id, now_ms
from .message import (
    AgentPart,
    FilePart,
    FileSource,
    ModelRef,
    PartOwner,
    SourceText,
    SubtaskPart,
    TextPart,
    UserMessage,
    UserTime,
)
from .tools.base import ToolError, Workspace
from .tools.read import DEFAULT_LIMIT
from .tools.read import tool as read_tool

@dataclass
class PromptInput:
    """One prompt as the loop receives it (parts in the protocol's PromptPart shape)."""

    parts: list[dict[str, Any]]
    agent: str | None = None
    model: dict[str, str] | None = None
    no_reply: bool = False
    format: dict[str, Any] | None = None
    system: str | None = None
    message_id: str | None = None


def parse_file_url(url: str) -> tuple[Path, int | None, int | None]:
    parsed = urlparse(url)
    if parsed.scheme != "file":
        raise InvalidInputError(f"parts: file url must be file:///absolute/path, got {url!r}", "parts")
    query = parse_qs(parsed.query)

    def line(key: str) -> int | None:
        value = query.get(key, [None])[0]
        return int(value) if value and value.isdigit() else None

    return Path(unquote(parsed.path)), line("start"), line("end")


def _read_note(ids: PartOwner, args: dict[str, Any]) -> TextPart:
    """What OpenCode 1.18.33 stores first for an attached file: the read call it made for it."""
    return TextPart(id=new_id("prt"), **ids, synthetic=True,
                    text=f"The read tool was called with this input: {json.dumps(args, separators=(',', ':'))}")


async def expand_file(workspace: Workspace, ids: PartOwner, url: str, mime: str,
                      filename: str | None) -> list[Any]:
    """An attached file or folder as OpenCode 1.18.33 stores it: a synthetic text naming the read
    call, a synthetic text with the read tool's output, then the file part itself."""
    path, start, end = parse_file_url(url)
    name = filename or path.name
    if await workspace.is_dir(path):
        listing = read_tool.render_directory(path, name, 1, DEFAULT_LIMIT).output
        return [_read_note(ids, {"filePath": str(path)}),
                TextPart(id=new_id("prt"), **ids, synthetic=True, text=listing),
                FilePart(id=new_id("prt"), **ids, mime="application/x-directory", url=url, filename=name)]
    guessed = mime if mime and mime != "text/plain" else (mimetypes.guess_type(str(path))[0] or mime or "text/plain")
    if guessed.startswith("image/") or guessed == "application/pdf":
        data = await workspace.read_bytes(path)
        data_url = f"data:{guessed};base64,{base64.b64encode(data).decode()}"
        return [FilePart(id=new_id("prt"), **ids, mime=guessed, url=data_url, filename=name)]
    text = await workspace.read_text(path)
    args: dict[str, Any] = {"filePath": str(path)}
    if start is not None:
        args["offset"] = max(start, 1)
        if end is not None:
            args["limit"] = max(end - (args["offset"] - 1), 1)
    note = _read_note(ids, args)
    try:
        output = read_tool.render_file(path, name, text, args.get("offset", 1), args.get("limit", DEFAULT_LIMIT)).output
    except ToolError as exc:
        return [TextPart(id=new_id("prt"), **ids, synthetic=True,
                         text=f"Reading {path} with the read tool failed: {exc}")]
    first = args.get("offset", 1)
    lines = text.splitlines()
    last = min(first - 1 + args.get("limit", len(lines)), len(lines))
    selected = "\n".join(lines[first - 1:last]) if start is not None else text
    source = FileSource(path=str(path), text=SourceText(value=selected[:4000], start=first, end=last))
    return [note, TextPart(id=new_id("prt"), **ids, synthetic=True, text=output),
            FilePart(id=new_id("prt"), **ids, mime="text/plain", url=url, filename=name, source=source)]


async def build_user_message(
    *,
    session_id: str,
    parts: list[dict[str, Any]],
    agent: str,
    model: ModelRef,
    workspace: Workspace,
    system: str | None = None,
    format: dict[str, Any] | None = None,
    message_id: str | None = None,
) -> tuple[UserMessage, list[Any]]:
    info = UserMessage(
        id=message_id or new_id("msg"), sessionID=session_id, time=UserTime(created=now_ms()),
        agent=agent, model=model, system=system, format=format,
    )
    ids = PartOwner(sessionID=session_id, messageID=info.id)
    stored: list[Any] = []
    for raw in parts:
        kind = raw.get("type")
        if kind == "text":
            stored.append(TextPart(id=new_id("prt"), **ids, text=raw["text"], synthetic=raw.get("synthetic")))
        elif kind == "file" and str(raw.get("url", "")).startswith("data:"):
            # Inline content (a pasted image, an ACP image block) is kept as sent, like OpenCode.
            stored.append(FilePart(id=new_id("prt"), **ids, mime=raw.get("mime") or "application/octet-stream",
                                   url=raw["url"], filename=raw.get("filename")))
        elif kind == "file":
            try:
                stored.extend(await expand_file(workspace, ids, raw["url"], raw.get("mime", ""), raw.get("filename")))
            except (OSError, UnicodeDecodeError) as exc:
                stored.append(TextPart(id=new_id("prt"), **ids, synthetic=True,
                                       text=f"The attached file {raw['url']} could not be read: {exc}"))
        elif kind == "agent":
            stored.append(AgentPart(id=new_id("prt"), **ids, name=raw["name"]))
            stored.append(TextPart(
                id=new_id("prt"), **ids, synthetic=True,
                text=("Using the message above and its context, write a prompt for the "
                      f"{raw['name']} subagent and hand the work to it with the task tool."),
            ))
        elif kind == "subtask":
            stored.append(SubtaskPart(id=new_id("prt"), **ids, prompt=raw["prompt"],
                                      description=raw["description"], agent=raw["agent"]))
    return info, stored

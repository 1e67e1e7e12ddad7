"""A prompt's parts -> the stored user message and its parts.

File parts are expanded into their content right away (as OpenCode does), as a synthetic text
part beside the file part, so the model sees what the file held when the user sent it. Open
editor buffers win over the disk copy because reading goes through the workspace.
"""

from __future__ import annotations

import base64
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
from .tools.base import Workspace

MAX_INLINE_BYTES = 256 * 1024


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


def _numbered(text: str, start: int | None, end: int | None) -> tuple[str, int, int]:
    lines = text.splitlines()
    first = max(start or 1, 1)
    last = min(end or len(lines), len(lines))
    body = "\n".join(f"{n}: {lines[n - 1]}" for n in range(first, last + 1))
    return body, first, last


async def expand_file(workspace: Workspace, ids: PartOwner, url: str, mime: str,
                      filename: str | None) -> list[Any]:
    path, start, end = parse_file_url(url)
    name = filename or path.name
    if await workspace.is_dir(path):
        entries = sorted(p.name + ("/" if p.is_dir() else "") for p in path.iterdir())
        listing = "\n".join(entries)
        note = TextPart(id=new_id("prt"), **ids, synthetic=True,
                        text=f"Contents of the directory {path}:\n{listing}")
        return [note, FilePart(id=new_id("prt"), **ids, mime="application/x-directory", url=url, filename=name)]
    guessed = mime if mime and mime != "text/plain" else (mimetypes.guess_type(str(path))[0] or mime or "text/plain")
    if guessed.startswith("image/") or guessed == "application/pdf":
        data = await workspace.read_bytes(path)
        data_url = f"data:{guessed};base64,{base64.b64encode(data).decode()}"
        return [FilePart(id=new_id("prt"), **ids, mime=guessed, url=data_url, filename=name)]
    text = await workspace.read_text(path)
    if len(text.encode("utf-8", "replace")) > MAX_INLINE_BYTES and start is None:
        text = text[:MAX_INLINE_BYTES]
    body, first, last = _numbered(text, start, end)
    lines = f" (lines {first}-{last})" if start or end else ""
    note = TextPart(
        id=new_id("prt"), **ids, synthetic=True,
        text=f"The user attached the file {path}{lines}:\n<file>\n{body}\n</file>",
    )
    selected = "\n".join(text.splitlines()[first - 1:last]) if (start or end) else text
    source = FileSource(path=str(path), text=SourceText(value=selected[:4000], start=first, end=last))
    return [note, FilePart(id=new_id("prt"), **ids, mime="text/plain", url=url, filename=name, source=source)]


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

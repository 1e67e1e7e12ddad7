"""MCP tools as the loop's tools: OpenCode's names, schemas, permission and result shape.

- Name: ``<server>_<tool>``, each half with every character outside ``[A-Za-z0-9_-]`` made ``_``.
- Schema: the server's input schema, forced to an object with ``properties`` and no extra keys.
- Permission: every call asks ``<name>`` with pattern ``*`` (so ``"myserver_*": "deny"`` in an
  agent's permissions hides the server's tools, and "always" remembers the whole tool).
- Result: text blocks (and embedded text resources) joined by blank lines, truncated like any
  tool output; images and supported binary resources become file attachments (data URLs) of
  the tool part; the title is empty.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
from typing import Any, Protocol

from ..core.tools.base import ToolContext, ToolResult
from ..core.tools.truncate import truncate_output

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
# Binary resources a model can take as an attachment; others are named in the text instead.
ATTACHABLE_MIMES = frozenset({"application/pdf", "image/gif", "image/jpeg", "image/png", "image/webp"})
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def sanitize(name: str) -> str:
    return _UNSAFE.sub("_", name)


def tool_id(server: str, tool: str) -> str:
    return f"{sanitize(server)}_{sanitize(tool)}"


def input_schema(schema: dict[str, Any] | None) -> dict[str, Any]:
    schema = dict(schema or {})
    return {**schema, "type": "object", "properties": schema.get("properties") or {},
            "additionalProperties": False}


class ToolServer(Protocol):
    """What a tool needs of its server's connection (``connection.ServerConnection`` is one);
    typed here so this module does not import the connection, which imports it."""

    name: str

    async def call(self, tool: str, args: dict[str, Any], abort: asyncio.Event) -> Any: ...


class McpTool:
    """One tool of one connected server, offered to the model under ``id``."""

    def __init__(self, connection: ToolServer, remote_name: str, description: str | None,
                 schema: dict[str, Any] | None):
        self.connection = connection
        self.remote_name = remote_name
        self.id = tool_id(connection.name, remote_name)
        self.description = description or ""
        self.parameters = input_schema(schema)

    async def execute(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        await ctx.ask(self.id, ["*"], always=["*"], metadata={})
        result = await self.connection.call(self.remote_name, args, ctx.abort)
        return convert_result(result, ctx.services.data_dir)


def convert_result(result: Any, data_dir: str | None = None) -> ToolResult:
    """A ``CallToolResult`` (SDK model or its JSON) as the tool part OpenCode stores."""
    data: dict[str, Any] = (result.model_dump(by_alias=True, exclude_none=True) if hasattr(result, "model_dump")
                            else dict(result))
    texts: list[str] = []
    attachments: list[dict[str, Any]] = []
    content: list[Any] = data.get("content") or []
    for item in content:
        kind = item.get("type")
        if kind == "text":
            texts.append(item.get("text", ""))
        elif kind == "image":
            mime = item.get("mimeType") or "application/octet-stream"
            attachments.append({"type": "file", "mime": mime, "url": f"data:{mime};base64,{item.get('data', '')}"})
        elif kind == "resource":
            _embedded(item.get("resource") or {}, texts, attachments)
        elif kind == "resource_link":
            texts.append(f"[Resource link: {item.get('uri', '')}]")
        elif kind == "audio":
            texts.append(f"[Audio content omitted ({item.get('mimeType', 'audio')})]")
    output, truncated, saved = truncate_output("\n\n".join(texts), data_dir)
    metadata: dict[str, Any] = {"truncated": truncated}
    if saved:
        metadata["outputPath"] = saved
    return ToolResult(title="", output=output, metadata=metadata, attachments=attachments or None)


def _embedded(resource: dict[str, Any], texts: list[str], attachments: list[dict[str, Any]]) -> None:
    if resource.get("text"):
        texts.append(resource["text"])
    blob = resource.get("blob")
    if not blob:
        return
    uri = resource.get("uri", "")
    mime = resource.get("mimeType") or "application/octet-stream"
    size = _decoded_size(blob)
    if mime not in ATTACHABLE_MIMES:
        texts.append(f"[Binary MCP resource omitted: {uri} ({mime}, {size} bytes) cannot be attached]")
    elif size > MAX_ATTACHMENT_BYTES:
        texts.append(f"[Binary MCP resource omitted: {uri} ({mime}, {size} bytes) is larger than "
                     f"{MAX_ATTACHMENT_BYTES} bytes]")
    else:
        attachments.append({"type": "file", "mime": mime, "url": f"data:{mime};base64,{blob}", "filename": uri})


def _decoded_size(blob: str) -> int:
    try:
        return len(base64.b64decode(blob, validate=False))
    except (binascii.Error, ValueError):
        return len(blob) * 3 // 4

"""What a tool is, and what it may use while it runs.

A tool is a module-level object with an ``id``, a ``description`` (our own words), a JSON
schema of ``parameters`` (OpenCode's, see shared/reference), and ``execute(args, ctx)``.
Tools touch files only through ``ctx.workspace`` so that open editor buffers are seen and edits
land in the editor's undo history, and ask permission only through ``ctx.ask``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Protocol, runtime_checkable


class ToolError(Exception):
    """A tool failed in a way the model should read and can recover from."""


@dataclass
class ToolResult:
    title: str
    output: str
    metadata: dict[str, Any] = field(default_factory=dict)
    # FilePart-shaped dicts without ids: {"type": "file", "mime", "url", "filename"?}
    attachments: list[dict[str, Any]] | None = None


class Workspace(Protocol):
    """The files a tool may see. Paths are absolute or relative to ``root``."""

    root: Path

    def resolve(self, path: str) -> Path:
        """Absolute, normalised path (relative ones are taken from ``root``)."""
        ...

    def contains(self, path: Path) -> bool:
        """True when ``path`` (symlinks resolved) lies inside one of the workspace folders."""
        ...

    async def read_text(self, path: Path) -> str:
        """The open editor buffer's text when the file is open, else the file on disk."""
        ...

    async def read_bytes(self, path: Path) -> bytes: ...

    async def write_text(self, path: Path, text: str) -> None:
        """Through the editor (``workspace/applyEdit``) when it can, else to disk.

        Raises ``ToolError`` when the editor refuses or the buffer changed meanwhile."""
        ...

    async def exists(self, path: Path) -> bool: ...

    async def is_dir(self, path: Path) -> bool: ...

    async def delete(self, path: Path) -> None: ...

    async def show_disk(self, path: Path) -> None:
        """The disk copy of ``path`` changed behind the workspace (a revert): open buffers follow."""
        ...


Ask = Callable[..., Awaitable[None]]


@dataclass
class ToolContext:
    """Everything a running tool may use. Built by the agent loop for each call."""

    session_id: str
    message_id: str
    call_id: str
    agent: str
    workspace: Workspace
    abort: asyncio.Event
    # ask(permission, patterns, always=[...], metadata={...}); raises PermissionRejected /
    # PermissionDenied (see core.permission) when the user or a rule says no.
    ask: Ask
    # Push a new title/metadata into the running tool part (e.g. streamed bash output).
    update: Callable[[str | None, dict[str, Any]], None] = lambda title, metadata: None
    # Loop services some tools need (task: run_subagent; todowrite: set_todos/get_todos;
    # output truncation directory: data_dir). Kept as a dict so tools stay decoupled.
    services: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


class Tool(Protocol):
    id: str
    description: str
    parameters: dict[str, Any]

    async def execute(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult: ...


@runtime_checkable
class DescribedTool(Tool, Protocol):
    """A tool whose description depends on the session (the subagents or skills it lists)."""

    def describe(self, services: dict[str, Any]) -> str: ...

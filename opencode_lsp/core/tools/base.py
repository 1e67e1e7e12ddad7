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
from typing import Any, Awaitable, Callable, Mapping, NotRequired, Protocol, TypedDict, runtime_checkable


class ToolError(Exception):
    """A tool failed in a way the model should read and can recover from."""


@dataclass
class ToolResult:
    title: str
    output: str
    metadata: dict[str, Any] = field(default_factory=dict[str, Any])
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


class Ask(Protocol):
    """Ask before an action, under the session's permission rules; raises when it is refused."""

    def __call__(self, permission: str, patterns: list[str], *, always: list[str] | None = None,
                 metadata: dict[str, Any] | None = None) -> Awaitable[None]: ...


class SubagentEntry(TypedDict):
    """A subagent the ``task`` tool may start."""

    name: str
    description: str


class SubagentResult(TypedDict):
    session_id: str
    text: str
    summary: NotRequired[Any]


class RunSubagent(Protocol):
    async def __call__(self, *, agent: str, prompt: str, description: str, task_id: str | None = None,
                       command: str | None = None) -> SubagentResult: ...


@dataclass
class ToolServices:
    """What the loop lends the tools that need more than files and asks. The loop builds one per
    call (``ToolBox.services``); a field left at its default means the service is not there."""

    # Where long output is saved in full (``truncate``); None: it is not saved.
    data_dir: str | None = None
    # The workspace root, for describing tools before any call (skill discovery).
    root: str | None = None
    # webfetch may reach loopback and private hosts (the config's allowPrivateNetwork).
    allow_private_network: bool = False
    # task: the subagents it may start, and how to run one.
    subagents: list[SubagentEntry] = field(default_factory=list[SubagentEntry])
    run_subagent: RunSubagent | None = None
    # todowrite: store the session's list; returns what was stored.
    set_todos: Callable[[list[dict[str, Any]]], list[dict[str, Any]] | None] | None = None


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
    services: ToolServices = field(default_factory=ToolServices)


class Tool(Protocol):
    id: str
    description: str
    parameters: dict[str, Any]

    async def execute(self, args: Mapping[str, Any], ctx: ToolContext) -> ToolResult: ...


@runtime_checkable
class DescribedTool(Tool, Protocol):
    """A tool whose description depends on the session (the subagents or skills it lists)."""

    def describe(self, services: ToolServices) -> str: ...

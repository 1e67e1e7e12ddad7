"""Slash commands in an ACP prompt: the configured commands (``/init``, ``command`` in opencode.json,
``.opencode/command/*.md``) and ``/compact``, announced with ``available_commands_update``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from acp.helpers import update_available_commands
from acp.schema import AvailableCommand, AvailableCommandInput, UnstructuredCommandInput

from ..core.command import CommandRegistry
from ..core.user_input import PromptInput

if TYPE_CHECKING:  # imported where an app is built (it loads the core)
    from ..app import App

COMPACT = "compact"


def registry(app: App) -> CommandRegistry:
    return CommandRegistry(app.opencode_config(), app.root)


def announcement(app: App) -> Any:
    commands: list[AvailableCommand] = []
    for info in registry(app).list():
        # The template's placeholders, in words: what the user should type after the name.
        hint = " ".join("arguments" if h == "$ARGUMENTS" else h for h in info.hints) or None
        commands.append(AvailableCommand(
            name=info.name, description=info.description or info.name,
            input=AvailableCommandInput(root=UnstructuredCommandInput(hint=hint)) if hint else None))
    if COMPACT not in [c.name for c in commands]:
        commands.append(AvailableCommand(name=COMPACT, description="summarize the session so far to free context"))
    return update_available_commands(commands)


def parse(parts: list[dict[str, Any]]) -> tuple[str, str] | None:
    """``(name, arguments)`` when the prompt is one text starting with ``/``."""
    if len(parts) != 1 or parts[0].get("type") != "text":
        return None
    text = parts[0]["text"].strip()
    if not text.startswith("/") or len(text) < 2:
        return None
    name, _, arguments = text[1:].partition(" ")
    return name, arguments.strip()


def command_request(app: App, name: str, arguments: str, agent: str, model: dict[str, str]) -> PromptInput | None:
    """The prompt a configured command expands to, or None when no such command exists."""
    info = registry(app).get(name)
    if info is None:
        return None
    text = info.render(arguments)
    chosen_model = info.model_ref.model_dump() if info.model_ref else model
    if info.subtask:
        parts = [{"type": "subtask", "prompt": text, "description": info.description or info.name,
                  "agent": info.agent or "general"}]
        return PromptInput(parts=parts, agent=agent, model=chosen_model)
    return PromptInput(parts=[{"type": "text", "text": text}], agent=info.agent or agent, model=chosen_model)

"""The built-in tools, by id, and the permission each one answers to."""

from __future__ import annotations

from .base import Tool

# Tools that change files share the one ``edit`` permission (OpenCode's mapping).
EDIT_TOOLS = frozenset({"edit", "write", "apply_patch"})


def builtin_tools() -> dict[str, Tool]:
    # Imported here so importing the registry stays cheap until tools are needed.
    from . import apply_patch, bash, edit, glob, grep, invalid, read, skill, task, todo, webfetch, write

    tools = [bash.tool, read.tool, glob.tool, grep.tool, edit.tool, write.tool, apply_patch.tool,
             task.tool, webfetch.tool, todo.tool, skill.tool, invalid.tool]
    return {t.id: t for t in tools}


def tool_permission(tool_id: str) -> str:
    return "edit" if tool_id in EDIT_TOOLS else tool_id

"""The built-in tools, by id (the permission each answers to is ``core.permission.tool_permission``)."""

from __future__ import annotations

from .base import Tool


def builtin_tools() -> dict[str, Tool]:
    # Imported here so importing the registry stays cheap until tools are needed.
    from . import apply_patch, bash, edit, glob, grep, invalid, read, skill, task, todo, webfetch, write

    tools: list[Tool] = [bash.tool, read.tool, glob.tool, grep.tool, edit.tool, write.tool, apply_patch.tool,
             task.tool, webfetch.tool, todo.tool, skill.tool, invalid.tool]
    return {t.id: t for t in tools}

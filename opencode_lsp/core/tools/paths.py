"""Where a tool's path lands, and the permission it needs when that is outside the workspace."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .base import ToolContext, ToolError


def relative_title(ctx: ToolContext, path: Path) -> str:
    """The path as a user reads it in a title: relative to the root when below it."""
    try:
        return str(Path(path).relative_to(ctx.workspace.root))
    except ValueError:
        return str(path)


# Files that set the rules or steer the agent: opencode.json(c), anything under .opencode/,
# and the instruction files read into every system prompt.
CONFIG_NAMES = frozenset({"opencode.json", "opencode.jsonc", "AGENTS.md", "CLAUDE.md", "CONTEXT.md"})


def is_config_file(path: Path) -> bool:
    for candidate in {Path(path), Path(path).resolve()}:
        if candidate.name in CONFIG_NAMES or ".opencode" in candidate.parts:
            return True
        if candidate.is_relative_to(Path(os.path.expanduser("~/.config/opencode"))):
            return True
    return False


async def ask_config_writes(ctx: ToolContext, *paths: Path) -> None:
    """Writing a config or instruction file asks (``config_edit``) even when edits are allowed.

    The current run's rules are fixed at its start, so such a write cannot widen it; asking
    keeps it from widening the next run behind the user's back."""
    touched = [p for p in paths if is_config_file(p)]
    if touched:
        patterns = [relative_title(ctx, p) for p in touched]
        await ctx.ask("config_edit", patterns, always=patterns, metadata={"filepath": str(touched[0])})


def edit_patterns(ctx: ToolContext, *paths: Path) -> list[str]:
    """The ``edit`` patterns for writing ``paths``: each as named and, when a symlink leads
    elsewhere, as its target too, so a rule denying the target also denies the link."""
    patterns: list[str] = []
    for path in paths:
        patterns.append(relative_title(ctx, path))
        real = Path(path).resolve()
        if real != Path(path):
            patterns.append(relative_title(ctx, real))
    return list(dict.fromkeys(patterns))


async def ensure_inside(ctx: ToolContext, path: Path, *, kind: str = "file",
                        metadata: dict[str, Any] | None = None) -> None:
    """Ask ``external_directory`` before a tool touches ``path`` outside the workspace.

    ``contains`` resolves symlinks and ``..``, so a link inside the workspace pointing out of it
    asks too. The pattern is the directory holding the target (or the directory itself when
    ``kind`` is "directory") followed by ``/*``, so "always" covers the neighbours as well."""
    if ctx.workspace.contains(path):
        return
    # Name the path as given when it is plainly outside (so rules written with that spelling,
    # like the allowed tool-output directory, match); name the link's target when a symlink
    # inside the workspace leads out, since that is where the tool really goes.
    real = Path(path).resolve()
    lexical = Path(path)
    shown = real if lexical.is_relative_to(ctx.workspace.root) else lexical
    directory = shown if kind == "directory" else shown.parent
    pattern = str(directory).rstrip("/") + "/*"
    await ctx.ask(
        "external_directory", [pattern], always=[pattern],
        metadata={"filepath": str(shown), "parentDir": str(directory), **(metadata or {})},
    )


GLOB_CHARS = frozenset("*?[{")


def glob_root(base: Path, pattern: str) -> tuple[Path, str]:
    """Where a glob pattern really searches: ``(directory, pattern below it)``.

    A pattern's literal leading directories can leave ``base`` (``../../x/*``, ``/etc/pass*``,
    ``~/.ssh/*``); then they become the search root, so the caller checks that root like any
    other path. ``..`` after a wildcard could climb from a directory nobody checked: refused."""
    pattern = os.path.expanduser(pattern) if pattern.startswith("~") else pattern
    parts = pattern.split("/")
    literal: list[str] = []
    for part in parts[:-1]:
        if GLOB_CHARS & set(part):
            break
        literal.append(part)
    rest = parts[len(literal):]
    if ".." in rest:
        raise ToolError("A glob pattern may not use '..' after a wildcard; pass the directory as path.")
    if not literal or not (pattern.startswith("/") or ".." in literal):
        return base, pattern  # stays below base: searched as written
    root = Path(os.path.normpath(base / ("/".join(literal) or "/")))
    return root, "/".join(rest)

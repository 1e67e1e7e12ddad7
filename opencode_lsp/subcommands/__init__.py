"""OpenCode's shell commands over this workspace's store: session list/delete, export, import,
models, agent list, stats. Each module adds its parsers with ``add_parsers(sub)`` and sets
``handler`` on them; the handler returns the exit status."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


class CommandError(Exception):
    """Bad input or a missing thing: printed as one line, exit status 1."""


def open_app() -> Any:
    """The current directory's App, as the language server builds it (same store, same config).

    The store's file lock keeps this safe while a server works on the same folder."""
    from ..app import App

    return App.create(Path.cwd().resolve(), {})


def run(handler: Any, args: Any) -> int:
    try:
        return handler(args) or 0
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. piped into head
        return 0


def add_parsers(sub: Any) -> None:
    from . import catalog, sessions, stats

    sessions.add_parsers(sub)
    catalog.add_parsers(sub)
    stats.add_parsers(sub)

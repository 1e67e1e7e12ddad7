"""OpenCode's shell commands over this workspace's store: session list/delete, export, import,
models, agent list, stats. Each module adds its parsers with ``add_parsers(sub)`` and sets
``handler`` on them; the handler returns the exit status."""

from __future__ import annotations

from typing import Any

from .common import CommandError, open_app, run

__all__ = ["CommandError", "add_parsers", "open_app", "run"]


def add_parsers(sub: Any) -> None:
    from . import catalog, sessions, stats

    sessions.add_parsers(sub)
    catalog.add_parsers(sub)
    stats.add_parsers(sub)

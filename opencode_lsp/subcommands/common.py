"""What every shell command shares: the error it raises, the App it opens, how it is run.

A leaf module, so the command modules and the package's ``add_parsers`` do not import each other."""

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

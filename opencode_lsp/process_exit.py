"""Leaving the process once its work is done and flushed, without tearing the interpreter down.

Interpreter teardown runs garbage collection and ``__del__`` methods while daemon threads are
frozen wherever they stood. With litellm loaded that is slow (seconds) and can deadlock: one of
litellm's client objects imports a module from its ``__del__``, and if a frozen thread (the
provider warm-up, a pool worker) held that import's lock, the process never exits and the editor
waits on it forever. Every server mode therefore flushes what it owns (the stores in its shutdown,
the streams here) and ends the process directly.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import NoReturn


def leave(code: int) -> NoReturn:
    """Flush logging and the standard streams, then end the process with ``code``."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # pygls closes stdout after `exit`
            stream.flush()
    os._exit(code)


def exit_code(exc: SystemExit) -> int:
    """The status a ``SystemExit`` asked for (pygls raises one on LSP ``exit``: 0 after
    ``shutdown``, 1 without)."""
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1

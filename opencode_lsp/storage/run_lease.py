"""Which process is running a session, across processes on one workspace.

A run holds an exclusive ``flock`` on ``runs/<sessionID>.lock`` for as long as it lasts; the
kernel drops it when the process dies, however it dies. Another process (the editor's second
server on the same folder) asks before treating an unfinished message as left over by a crash.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import Callable

log = logging.getLogger("opencode_lsp.storage")


class RunLeases:
    def __init__(self, root: Path):
        self.dir = root / "runs"
        self.held: dict[str, int] = {}

    def _path(self, session_id: str) -> Path:
        return self.dir / f"{session_id}.lock"

    def claim(self, session_id: str) -> Callable[[], None]:
        """Hold the session's lease until the returned callable is called."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            # flock needs no write access; a writable descriptor held for the whole run would
            # keep the store's file system from being remounted read-only.
            fd = os.open(self._path(session_id), os.O_RDONLY | os.O_CREAT, 0o600)
        except OSError as exc:  # a lease is a courtesy to other processes; the run goes on
            log.warning("could not take the run lease of %s: %s", session_id, exc)
            return lambda: None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("session %s is also running in another process", session_id)
        self.held[session_id] = fd

        def release() -> None:
            held = self.held.pop(session_id, None)
            if held is not None:
                os.close(held)  # closing the descriptor drops the lock

        return release

    def active_elsewhere(self, session_id: str) -> bool:
        """True while another process holds the session's lease."""
        if session_id in self.held:
            return False
        try:
            fd = os.open(self._path(session_id), os.O_RDONLY)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)

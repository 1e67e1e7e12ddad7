"""The workspace as an ACP client sees it: reads and writes through ``fs/*`` when it offers them.

Zed and other ACP editors answer ``fs/read_text_file`` from their open buffers (unsaved text
included) and apply ``fs/write_text_file`` to the buffer, so the agent and the user see the same
text. The file must still be on disk afterwards (the agent's next shell command reads the disk),
so after the client wrote it the disk copy is checked and written when it differs. Without the
capabilities, or for a call made outside any ACP session, this is the plain disk workspace.
"""

from __future__ import annotations

import contextvars
import logging
from pathlib import Path
from typing import Any

from acp import RequestError

from ..core.workspace import DiskWorkspace

log = logging.getLogger(__name__)

# The ACP session a run belongs to. Set by session/prompt before the run starts; the run's task
# inherits it, so tool calls know which session to name in fs/* requests.
current_session: contextvars.ContextVar[str | None] = contextvars.ContextVar("acp_session", default=None)


class ClientFiles:
    """What the connected client offers; filled in at ``initialize``."""

    def __init__(self) -> None:
        self.conn: Any = None
        self.can_read = False
        self.can_write = False


class AcpWorkspace(DiskWorkspace):
    def __init__(self, root: Path, files: ClientFiles):
        super().__init__(root)
        self.files = files

    def _session(self, wanted: bool) -> str | None:
        if not wanted or self.files.conn is None:
            return None
        return current_session.get()

    async def read_text(self, path: Path) -> str:
        session_id = self._session(self.files.can_read)
        if session_id is not None:
            try:
                response = await self.files.conn.read_text_file(session_id=session_id, path=str(path))
                return response.content
            except RequestError as exc:
                # e.g. the file does not exist: the disk gives the tool its usual error
                log.debug("client could not read %s (%s); reading the disk", path, exc)
        return await super().read_text(path)

    async def write_text(self, path: Path, text: str) -> None:
        session_id = self._session(self.files.can_write)
        if session_id is not None:
            try:
                await self.files.conn.write_text_file(session_id=session_id, path=str(path), content=text)
            except RequestError as exc:
                log.warning("client refused to write %s (%s); writing the disk", path, exc)
            else:
                if await self._disk_has(path, text):
                    return
        await super().write_text(path, text)

    async def _disk_has(self, path: Path, text: str) -> bool:
        try:
            return (await super().read_bytes(path)) == text.encode("utf-8")
        except Exception:
            return False

"""The workspace as the editor sees it: open buffers over the disk, edits through the editor.

Reads of a file that is open in the editor return the buffer's text, unsaved changes included.
Writes to an open file go through ``workspace/applyEdit`` as a versioned ``TextDocumentEdit``
so they land in the editor's undo history; if the buffer changed since the tool read it, the
write is refused and the model is told to read again. Files that are not open are written on
disk (an edit to a closed file through applyEdit would leave it unsaved in most editors, and the
agent's next shell command would not see it).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import from_fs_path

from ..core.tools.base import ToolError
from ..core.workspace import DiskWorkspace

if TYPE_CHECKING:
    from .server import OpencodeServer

log = logging.getLogger(__name__)

APPLY_EDIT_TIMEOUT = 30.0


def _end_position(text: str) -> types.Position:
    lines = text.split("\n")
    return types.Position(line=len(lines) - 1, character=len(lines[-1].encode("utf-16-le")) // 2)


class EditorWorkspace(DiskWorkspace):
    def __init__(self, ls: "OpencodeServer", root: Path, folders: list[Path] | None = None):
        super().__init__(root, folders)
        self.ls = ls
        self.read_versions: dict[str, int | None] = {}

    def _open_document(self, path: Path):
        uri = from_fs_path(str(path))
        if uri is None:
            return None
        return self.ls.workspace.text_documents.get(uri)

    async def read_text(self, path: Path) -> str:
        doc = self._open_document(path)
        if doc is None:
            return await super().read_text(path)
        self.read_versions[str(path)] = doc.version
        return doc.source

    async def exists(self, path: Path) -> bool:
        return self._open_document(path) is not None or await super().exists(path)

    async def write_text(self, path: Path, text: str) -> None:
        doc = self._open_document(path)
        if doc is None or not self.ls.client_can_apply_edit():
            await super().write_text(path, text)
            return
        seen = self.read_versions.get(str(path), doc.version)
        if seen is not None and doc.version is not None and seen != doc.version:
            raise ToolError(
                f"{path} was changed in the editor after it was read; read it again before editing."
            )
        edit = types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version),
            edits=[types.TextEdit(
                range=types.Range(start=types.Position(line=0, character=0), end=_end_position(doc.source)),
                new_text=text,
            )],
        )
        params = types.ApplyWorkspaceEditParams(
            label="opencode", edit=types.WorkspaceEdit(document_changes=[edit])
        )
        try:
            result = await asyncio.wait_for(self.ls.workspace_apply_edit_async(params), APPLY_EDIT_TIMEOUT)
        except asyncio.TimeoutError as exc:
            raise ToolError(f"the editor did not answer the edit of {path} in time") from exc
        if not result or not result.applied:
            reason = getattr(result, "failure_reason", None) or "no reason given"
            raise ToolError(f"the editor refused the edit of {path}: {reason}")
        self.read_versions.pop(str(path), None)

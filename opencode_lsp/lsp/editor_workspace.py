"""The workspace as the editor sees it: open buffers over the disk, edits to both.

One rule, whatever files happen to be open: what the agent changes lands on disk, so the next
tool (bash, tests, git) sees it, and in the editor's buffer through ``workspace/applyEdit`` (a
versioned ``TextDocumentEdit``), so it is in the editor's undo history.

What a tool reads of an open document is what the user looks at: the buffer when the user changed
it since it last matched the disk (unsaved changes), else the disk. A buffer that nobody touched
since it matched the disk is only a stale copy when the disk moved underneath (a ``bash`` step, a
client without applyEdit, a revert): the disk is then the truth. ``synced`` remembers, per open
document, the buffer version known to match the disk (set on open and save when the texts agree,
and after each write of ours).

A buffer holding unsaved user changes: the tool worked on those (it read the buffer), so the
result, user's changes included, goes to the buffer and to the disk, and the user is told with
``window/showMessage``. Nothing of theirs is lost: the old buffer text is one undo away.
If the buffer changed between the tool's read and its write, or the editor refuses the edit,
nothing is written (the model is told to read again).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path
from pygls.workspace import TextDocument

from ..core.tools.base import ToolError
from ..core.workspace import DiskWorkspace
from .host import ServerHost

log = logging.getLogger(__name__)

APPLY_EDIT_TIMEOUT = 30.0
# After an applied edit the editor reports the new text with didChange; Neovim debounces it
# (150 ms). Edits computed before it arrives would use a stale range, so they wait this long.
SETTLE_TIMEOUT = 3.0
_UNSET = object()  # "no entry", where None is a buffer version (a client may send none)


def _end_position(text: str) -> types.Position:
    lines = text.split("\n")
    return types.Position(line=len(lines) - 1, character=len(lines[-1].encode("utf-16-le")) // 2)


def _disk_text(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
        return None


def _disk_holds(path: Path, text: str) -> bool:
    try:
        return path.read_bytes() == text.encode("utf-8")
    except OSError:
        return False


class EditorWorkspace(DiskWorkspace):
    def __init__(self, ls: ServerHost, root: Path, folders: list[Path] | None = None):
        super().__init__(root, folders)
        self.ls = ls
        # What each tool call (task) read: path -> (buffer version, our write count then). Tool
        # calls of one step run side by side; a write based on a read older than another
        # call's write of the same file would silently undo that write.
        self.read_versions: dict[tuple[str, int], tuple[int | None, int]] = {}
        self.writes: dict[str, int] = {}
        self.locks: dict[str, asyncio.Lock] = {}  # a write in flight holds its file's lock
        self.synced: dict[str, int | None] = {}  # uri -> buffer version whose text matches the disk
        # uri -> that disk text: a buffer holding it is untouched whatever its version (Neovim
        # follows an applied edit with a second didChange that only bumps the version)
        self.synced_text: dict[str, str] = {}
        # uri -> (version our applied edit will replace, the text it puts in the buffer)
        self.awaited: dict[str, tuple[int | None, str]] = {}

    def _lock(self, path: Path) -> asyncio.Lock:
        return self.locks.setdefault(str(path), asyncio.Lock())

    # --- document lifecycle (called by the text-sync handlers) -------------------------------

    def document_opened(self, uri: str) -> None:
        doc = self.ls.workspace.text_documents.get(uri)
        if doc is not None and doc.path and _disk_text(Path(doc.path)) == doc.source:
            self._mark_synced(uri, doc.version, doc.source)

    def document_saved(self, uri: str) -> None:
        doc = self.ls.workspace.text_documents.get(uri)
        if doc is not None:
            self._mark_synced(uri, doc.version, doc.source)

    def document_closed(self, uri: str) -> None:
        self.synced.pop(uri, None)
        self.synced_text.pop(uri, None)
        self.awaited.pop(uri, None)

    # --- views ----------------------------------------------------------------------------------

    def _open_document(self, path: Path) -> TextDocument | None:
        uri = from_fs_path(str(path))
        if uri is None:
            return None
        return self.ls.workspace.text_documents.get(uri)

    async def _settle(self, doc: TextDocument) -> TextDocument | None:
        """Wait (boundedly) until the editor reported the text of our last applied edit."""
        awaited = self.awaited.get(doc.uri)
        if awaited is None:
            return doc
        pending, applied = awaited
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_TIMEOUT
        while loop.time() < deadline:
            current = self.ls.workspace.text_documents.get(doc.uri)
            if current is None or current.version != pending:
                break
            await asyncio.sleep(0.02)
        self.awaited.pop(doc.uri, None)
        current = self.ls.workspace.text_documents.get(doc.uri)
        if current is not None and current.version != pending and current.source == applied \
                and self.synced.get(doc.uri, _UNSET) == pending:
            # The buffer now holds exactly what we also wrote to disk: it is our text, not the
            # user's unsaved work (a later revert must not warn about "unsaved changes").
            self._mark_synced(doc.uri, current.version, applied)
        return current

    async def _view(self, path: Path) -> tuple[TextDocument | None, str | None, bool]:
        """(open document or None, the text the user sees or None, whether it is the buffer's)."""
        doc = self._open_document(path)
        if doc is None:
            return None, None, False
        doc = await self._settle(doc)
        if doc is None:
            return None, None, False
        disk = await asyncio.to_thread(_disk_text, path)
        if disk is not None and disk == doc.source:
            self._mark_synced(doc.uri, doc.version, disk)
            return doc, disk, False
        if self._untouched(doc):
            return doc, disk, False  # an untouched buffer behind a disk that moved
        return doc, doc.source, True

    def _mark_synced(self, uri: str, version: int | None, text: str) -> None:
        self.synced[uri] = version
        self.synced_text[uri] = text

    def _untouched(self, doc: TextDocument) -> bool:
        """The buffer holds no work of the user's: the version or the text known to match the disk."""
        return self.synced.get(doc.uri, _UNSET) == doc.version or self.synced_text.get(doc.uri) == doc.source

    def has_unsaved_changes(self, doc: TextDocument) -> bool:
        return not self._untouched(doc) and _disk_text(Path(doc.path)) != doc.source

    @staticmethod
    def _reader(path: Path) -> tuple[str, int]:
        return str(path), id(asyncio.current_task())

    async def read_text(self, path: Path) -> str:
        async with self._lock(path):  # never half of another call's write
            doc, text, _ = await self._view(path)
        self.read_versions[self._reader(path)] = (doc.version if doc else None, self.writes.get(str(path), 0))
        if doc is None:
            return await super().read_text(path)
        if text is None:
            raise ToolError(f"File not found: {path}")
        return text

    async def exists(self, path: Path) -> bool:
        doc, text, _ = await self._view(path)
        if doc is None:
            return await super().exists(path)
        return text is not None

    # --- changes ----------------------------------------------------------------------------------

    async def write_text(self, path: Path, text: str) -> None:
        async with self._lock(path):
            await self._write(path, text)

    async def _write(self, path: Path, text: str) -> None:
        # (buffer version, our write count) when this tool call read the file; None: not read
        seen = self.read_versions.pop(self._reader(path), None)
        if seen is not None and seen[1] != self.writes.get(str(path), 0):
            raise ToolError(f"{path} was changed by another tool call after it was read; read it again.")
        self.writes[str(path)] = self.writes.get(str(path), 0) + 1
        doc = self._open_document(path)
        if doc is None:
            await super().write_text(path, text)
            return
        doc = await self._settle(doc) or doc
        if seen is not None and seen[0] is not None and doc.version is not None and seen[0] != doc.version:
            raise ToolError(
                f"{path} was changed in the editor after it was read; read it again before editing."
            )
        unsaved = self.has_unsaved_changes(doc)
        sent = doc.version
        if self.ls.client_can_apply_edit() and doc.source != text:
            await self._apply(doc, path, text)
            current = self.ls.workspace.text_documents.get(doc.uri)
            if current is not None and current.version == sent:
                self.awaited[doc.uri] = (sent, text)
        if not await asyncio.to_thread(_disk_holds, path, text):
            # (An editor may already have saved the edited buffer, as VS Code's extension does:
            # writing the same bytes again would only move the file's mtime under it.)
            await super().write_text(path, text)
        current = self.ls.workspace.text_documents.get(doc.uri)
        # The buffer matches the disk once the edit's didChange arrives (or now, without
        # applyEdit, the disk alone is the truth until the user changes the buffer).
        self._mark_synced(doc.uri, current.version if current is not None and current.source == text else sent, text)
        if unsaved:
            self._tell_unsaved(path)
        elif not self.ls.client_can_apply_edit():
            self._tell(types.MessageType.Info, f"opencode changed {self.relative(path)} on disk; reload it in the editor.")

    async def show_disk(self, path: Path) -> None:
        """After the disk changed outside ``write_text`` (a revert): bring an open buffer in line."""
        doc = self._open_document(path)
        if doc is None:
            return
        doc = await self._settle(doc) or doc
        disk = await asyncio.to_thread(_disk_text, path)
        if disk is None or disk == doc.source:
            self.synced[doc.uri] = doc.version
            if disk is not None:
                self.synced_text[doc.uri] = disk
            return
        unsaved = self.has_unsaved_changes(doc)
        sent = doc.version
        if self.ls.client_can_apply_edit():
            try:
                await self._apply(doc, path, disk)
            except ToolError as exc:
                log.warning("%s", exc)
                self._tell(types.MessageType.Warning,
                           f"opencode restored {self.relative(path)} on disk, but the editor kept its old text.")
            current = self.ls.workspace.text_documents.get(doc.uri)
            if current is not None and current.version == sent:
                self.awaited[doc.uri] = (sent, disk)
        current = self.ls.workspace.text_documents.get(doc.uri)
        self._mark_synced(doc.uri, current.version if current is not None and current.source == disk else sent, disk)
        if unsaved:
            self._tell(types.MessageType.Warning,
                       f"opencode restored {self.relative(path)} on disk and in the editor, over unsaved changes: "
                       "they are not on disk; undo in the editor brings them back.")

    async def delete(self, path: Path) -> None:
        doc = self._open_document(path)
        if doc is not None and self.has_unsaved_changes(doc):
            self._tell(types.MessageType.Warning,
                       f"opencode deleted {self.relative(path)}; your unsaved changes are only in the editor's buffer now.")
        await super().delete(path)
        if doc is not None:
            self.synced[doc.uri] = doc.version
            self.synced_text.pop(doc.uri, None)

    async def _apply(self, doc: TextDocument, path: Path, text: str) -> None:
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
            reason = (result.failure_reason if result else None) or "no reason given"
            raise ToolError(f"the editor refused the edit of {path}: {reason}")

    # --- telling the user -----------------------------------------------------------------------

    def _tell_unsaved(self, path: Path) -> None:
        self._tell(types.MessageType.Warning,
                   f"opencode changed {self.relative(path)}, which had unsaved changes: the file on disk now "
                   "holds your changes and opencode's; undo in the editor brings the earlier text back.")

    def _tell(self, kind: types.MessageType, message: str) -> None:
        try:
            self.ls.window_show_message(types.ShowMessageParams(type=kind, message=message))
        except Exception as exc:  # the editor went away; the change itself is done
            log.info("could not tell the user: %s", exc)

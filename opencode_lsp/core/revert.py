"""Undo and redo what the agent did to the files, from any message onward.

``revert`` puts back the files that the ``patch`` parts from that point on changed (as they were
before each patch's step), marks the session reverted (``session.revert``), and keeps a snapshot
of the files as they were just before, so ``unrevert`` can bring those files back (deleting the
ones the revert had recreated). The reverted
messages stay visible until the next prompt, which deletes them for good (``cleanup``).

Reverting an assistant message reverts its whole turn, from the user message that started it
(OpenCode's rule); a part inside a message that already said something reverts from that part.
Unlike OpenCode, the patches undone are exactly those of the messages that ``cleanup`` deletes,
so earlier steps of a reverted turn are undone too.

Edits that went to an open editor buffer (``workspace/applyEdit``) never reached the disk, so
the snapshots cannot see them: after restoring the disk, every affected file whose buffer
differs is rewritten through the workspace, which sends it to the editor. The buffer texts at
revert time are kept as blobs in the shadow repository, so ``unrevert`` can give them back.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .errors import NotFoundError
from .message import FileDiff, Session, SessionRevert
from .summary import Summaries, patch_hashes
from .transcript import field

log = logging.getLogger(__name__)

EDIT_TOOLS = ("edit", "write", "multiedit")


def revert_point(entries: list[dict[str, Any]], message_id: str, part_id: str | None) -> tuple[str, str | None] | None:
    """``(messageID, partID)`` from which messages and parts are reverted, or None."""
    last_user: str | None = None
    for entry in entries:
        info = entry["info"]
        if info["role"] == "user":
            last_user = info["id"]
        if info["id"] != message_id:
            continue
        if part_id is not None:
            ids = [p["id"] for p in entry["parts"]]
            if part_id not in ids:
                return None
            before = entry["parts"][: ids.index(part_id)]
            # A part after real content keeps that content; otherwise it is the whole message.
            if any(p.get("type") in ("text", "tool") for p in before):
                return info["id"], part_id
        return (last_user or info["id"]), None
    return None


def reverted(entries: list[dict[str, Any]], point: tuple[str, str | None]) -> list[dict[str, Any]]:
    """The entries (with only their reverted parts) from ``point`` on."""
    message_id, part_id = point
    out = []
    for entry in entries:
        mid = entry["info"]["id"]
        if mid < message_id:
            continue
        if mid == message_id and part_id is not None:
            out.append({"info": entry["info"], "parts": [p for p in entry["parts"] if p["id"] >= part_id]})
        else:
            out.append(entry)
    return out


def touched_files(entries: list[dict[str, Any]]) -> list[str]:
    """Files named by patches and by edit/write tool calls, in order of first mention."""
    seen: list[str] = []
    for entry in entries:
        for part in entry["parts"]:
            names: list[str] = []
            if part.get("type") == "patch":
                names = list(part.get("files") or [])
            elif part.get("type") == "tool" and part.get("tool") in EDIT_TOOLS:
                path = (part.get("state") or {}).get("input", {}).get("filePath")
                names = [path] if isinstance(path, str) else []
            seen.extend(n for n in names if n not in seen)
    return seen


class Reverts:
    def __init__(self, app: Any):
        self.app = app

    @property
    def snapshots(self) -> Any:
        return self.app.snapshots

    def _absolute(self, name: str) -> Path:
        path = Path(name)
        return path if path.is_absolute() else Path(self.app.root) / path

    async def revert(self, session_id: str, message_id: str, part_id: str | None = None) -> Session:
        sessions = self.app.sessions
        self.app.runner.ensure_idle(session_id)
        info = sessions.get(session_id)
        entries = sessions.store.list_messages(session_id)
        point = revert_point(entries, message_id, part_id)
        if point is None:
            raise NotFoundError(f"message not found: {message_id}" if part_id is None else f"part not found: {part_id}")
        undone = reverted(entries, point)
        files = [str(self._absolute(f)) for f in touched_files(undone)]
        previous = info.revert
        snapshot = previous.snapshot if previous and previous.snapshot else await self.snapshots.track()
        buffers = dict(field(previous, "buffers") or {}) if previous else await self._save_buffers(files)
        patches = [(p["hash"], p["files"]) for e in undone for p in e["parts"] if p.get("type") == "patch"]
        await self.snapshots.revert(patches)
        await self._sync_editor(files)
        diff = await self.snapshots.diff_text(snapshot) if snapshot else None
        hashes = patch_hashes(undone)
        if hashes and snapshot:
            summaries = Summaries(self.app)
            summaries.publish(session_id, [FileDiff(**c.dump()) for c in await self.snapshots.diff(hashes[0], snapshot)])
        record = SessionRevert(messageID=point[0], partID=point[1], snapshot=snapshot, diff=diff or None,
                               buffers=buffers or None)
        return sessions.update(session_id, revert=record)

    async def unrevert(self, session_id: str) -> Session:
        sessions = self.app.sessions
        self.app.runner.ensure_idle(session_id)
        info = sessions.get(session_id)
        if info.revert is None:
            return info
        undone = reverted(sessions.store.list_messages(session_id), (info.revert.messageID, info.revert.partID))
        files = [str(self._absolute(f)) for f in touched_files(undone)]
        if info.revert.snapshot:
            # Only the files the reverted messages touched go back to the snapshot (recreated
            # ones deleted again); whatever else changed since the revert is left alone.
            await self.snapshots.revert([(info.revert.snapshot, files)])
        await self._sync_editor(files, field(info.revert, "buffers") or {})
        return sessions.update(session_id, revert=None)

    async def cleanup(self, session_id: str) -> None:
        """Delete the reverted messages and parts for good (the next prompt does this)."""
        sessions = self.app.sessions
        info = sessions.get(session_id)
        if info.revert is None:
            return
        message_id, part_id = info.revert.messageID, info.revert.partID
        for entry in sessions.store.list_messages(session_id):
            mid = entry["info"]["id"]
            if mid < message_id:
                continue
            if mid == message_id and part_id is not None:
                for part in entry["parts"]:
                    if part["id"] >= part_id:
                        sessions.remove_part(session_id, mid, part["id"])
            else:
                sessions.remove_message(session_id, mid)
        sessions.update(session_id, revert=None)

    # --- open editor buffers ----------------------------------------------------------------

    async def _save_buffers(self, files: list[str]) -> dict[str, str]:
        """Blobs of buffer texts that differ from the disk (edits that only the editor holds)."""
        saved: dict[str, str] = {}
        if not self.snapshots.enabled:
            return saved
        for name in files:
            view, disk = await self._texts(Path(name))
            if view is not None and view != disk:
                saved[name] = await self.snapshots.store_text(view)
        return saved

    async def _sync_editor(self, files: list[str], buffers: dict[str, str] | None = None) -> None:
        """Make what the workspace shows (open buffers) match the restored files."""
        workspace = self.app.workspace
        for name in files:
            path = Path(name)
            blob = (buffers or {}).get(name)
            wanted = await self.snapshots.blob_text(blob) if blob else None
            view, disk = await self._texts(path)
            if wanted is None:
                wanted = disk
            if wanted is None or view is None or view == wanted:
                continue
            try:
                await workspace.write_text(path, wanted)
            except Exception as exc:  # the editor refused: the disk is right, the buffer is not
                log.warning("could not update %s in the editor: %s", path, exc)

    async def _texts(self, path: Path) -> tuple[str | None, str | None]:
        """(what the workspace shows, what the disk holds); None where there is nothing."""
        try:
            disk = path.read_bytes().decode("utf-8", errors="replace") if path.is_file() else None
        except OSError:
            disk = None
        try:
            view = await self.app.workspace.read_text(path) if await self.app.workspace.exists(path) else None
        except Exception:
            view = None
        return view, disk

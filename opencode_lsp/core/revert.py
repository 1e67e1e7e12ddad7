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

Edits to open documents reach the disk too (see ``lsp/editor_workspace``), so the snapshots see
every change; after the disk is restored, open buffers are brought in line through the
workspace (``show_disk``), in the editor's undo history.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from . import events
from .errors import NotFoundError
from .host import CoreApp
from .message import FileDiff, Session, SessionRevert
from .permission import EDIT_TOOLS
from .snapshot import Snapshots
from .summary import Summaries, patch_hashes

log = logging.getLogger(__name__)


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
    out: list[dict[str, Any]] = []
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
                state: dict[str, Any] = part.get("state") or {}
                path = state.get("input", {}).get("filePath")
                names = [path] if isinstance(path, str) else []
            seen.extend(n for n in names if n not in seen)
    return seen


class Reverts:
    def __init__(self, app: CoreApp):
        self.app = app

    @property
    def snapshots(self) -> Snapshots:
        return self.app.snapshots

    def _absolute(self, name: str) -> Path:
        path = Path(name)
        return path if path.is_absolute() else Path(self.app.root) / path

    async def revert(self, session_id: str, message_id: str, part_id: str | None = None) -> Session:
        """Move the files to how they were at ``point``, from wherever earlier reverts left them.

        ``snapshot`` is the tree as it was before the first revert (kept while the session stays
        reverted). Every file touched from the earlier of the old and the new point on is set
        to its state before the first step from the new point that changed it, or, when no
        such step did (a move forward, "redo"), back to ``snapshot``: any sequence of reverts
        and unrevert gives back the exact files."""
        sessions = self.app.sessions
        self.app.runner.ensure_idle(session_id)
        info = sessions.get(session_id)
        entries = sessions.store.list_messages(session_id)
        point = revert_point(entries, message_id, part_id)
        if point is None:
            raise NotFoundError(f"message not found: {message_id}" if part_id is None else f"part not found: {part_id}")
        undone = reverted(entries, point)
        previous = info.revert
        earliest = point
        if previous is not None and _before((previous.messageID, previous.partID), point):
            earliest = (previous.messageID, previous.partID)
        files = [str(self._absolute(f)) for f in touched_files(reverted(entries, earliest))]
        snapshot = previous.snapshot if previous and previous.snapshot else await self.snapshots.track()
        patches = [(p["hash"], [str(self._absolute(f)) for f in p["files"]])
                   for e in undone for p in e["parts"] if p.get("type") == "patch"]
        restored = await self.snapshots.revert(patches + ([(snapshot, files)] if snapshot else []))
        await self._show(restored or files)
        diff = await self.snapshots.diff_text(snapshot) if snapshot else None
        hashes = patch_hashes(undone)
        if hashes and snapshot:
            summaries = Summaries(self.app)
            summaries.publish(session_id, [FileDiff.model_validate(c.dump()) for c in await self.snapshots.diff(hashes[0], snapshot)])
        record = SessionRevert(messageID=point[0], partID=point[1], snapshot=snapshot, diff=diff or None)
        info = sessions.update(session_id, revert=record)
        self._publish_todos(session_id)  # the undone turns' task lists go with them
        return info

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
        await self._show(files)
        info = sessions.update(session_id, revert=None)
        self._publish_todos(session_id)  # the kept list is the current one again
        return info

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
        # The undone turns' task lists are gone for good: keep the list the history now ends with.
        sessions.set_todos(session_id, sessions.todos(session_id))
        sessions.update(session_id, revert=None)

    def _publish_todos(self, session_id: str) -> None:
        sessions = self.app.sessions
        sessions.bus.publish(events.todo_updated(session_id, sessions.todos(session_id)))

    # --- open editor buffers ----------------------------------------------------------------

    async def _show(self, files: list[str]) -> None:
        """The disk is restored; open buffers follow it (through the editor, in its undo history)."""
        for name in files:
            try:
                await self.app.workspace.show_disk(Path(name))
            except Exception as exc:  # the disk is right; the editor's copy is not
                log.warning("could not update %s in the editor: %s", name, exc)


def _before(a: tuple[str, str | None], b: tuple[str, str | None]) -> bool:
    """Whether revert point ``a`` comes before ``b`` (a whole message before its parts)."""
    if a[0] != b[0]:
        return a[0] < b[0]
    return (a[1] or "") < (b[1] or "")

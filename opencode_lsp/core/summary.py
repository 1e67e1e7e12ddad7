"""What a run changed in the workspace: ``patch`` parts per step, diffs per turn and session.

Before each step the loop takes a snapshot; after it, the files that differ from that snapshot
are recorded as a ``patch`` part (``hash`` is the snapshot before the step), as OpenCode does.
The user message of the turn then gets ``summary.diffs`` (every file the turn changed, from its
first snapshot to now) and the session gets ``summary`` totals (additions, deletions, files
from the session's first snapshot to now), published as ``session.diff``.
"""

from __future__ import annotations

import logging
from typing import Any

from . import events
from .host import CoreApp
from .ids import new_id
from .message import FileDiff, PatchPart, SessionSummary, UserMessage, UserSummary
from .snapshot import Snapshots
from .transcript import field, info_of, parts_of

log = logging.getLogger(__name__)


def patch_hashes(entries: list[Any], parent_id: str | None = None) -> list[str]:
    """Snapshot hashes of the patch parts, oldest first (of one turn when ``parent_id``)."""
    out: list[str] = []
    for entry in entries:
        info = info_of(entry)
        if field(info, "role") != "assistant" or parent_id is not None and field(info, "parentID") != parent_id:
            continue
        out.extend(field(p, "hash") for p in parts_of(entry) if field(p, "type") == "patch")
    return out


def totals(diffs: list[Any]) -> SessionSummary:
    return SessionSummary(additions=sum(field(d, "additions") or 0 for d in diffs),
                          deletions=sum(field(d, "deletions") or 0 for d in diffs), files=len(diffs))


class Summaries:
    def __init__(self, app: CoreApp):
        self.app = app

    @property
    def snapshots(self) -> Snapshots:
        return self.app.snapshots

    async def before_step(self) -> str | None:
        """The snapshot a step starts from (None when snapshots are off or fail)."""
        try:
            return await self.snapshots.track()
        except Exception:  # snapshots help undo; they must never break a run
            log.exception("snapshot before a step failed")
            return None

    async def after_step(self, message: Any, before: str | None) -> PatchPart | None:
        """Record the files the step changed and refresh the turn's and session's diffs."""
        if not before:
            return None
        try:
            files = await self.snapshots.changed_files(before)
            if not files:
                return None
            part = PatchPart(id=new_id("prt"), sessionID=message.sessionID, messageID=message.id,
                             hash=before, files=files)
            self.app.sessions.update_part(part)
            await self.summarize(message.sessionID, message.parentID)
            return part
        except Exception:
            log.exception("recording the step's patch failed")
            return None

    async def summarize(self, session_id: str, user_id: str | None) -> list[FileDiff]:
        """Refresh ``summary.diffs`` of the user message ``user_id`` and the session totals."""
        sessions = self.app.sessions
        entries = sessions.store.list_messages(session_id)
        first = patch_hashes(entries)
        if not first:
            return []
        now = await self.snapshots.track()
        if now is None:  # snapshots are off or failed: nothing to compare with
            return []
        turn: list[FileDiff] = []
        if user_id is not None:
            hashes = patch_hashes(entries, user_id)
            if hashes:
                turn = [FileDiff.model_validate(c.dump()) for c in await self.snapshots.diff(hashes[0], now)]
                entry = sessions.store.get_message(session_id, user_id)
                if entry is not None:
                    user = sessions.message(session_id, user_id).info
                    assert isinstance(user, UserMessage), "a turn's diffs belong to its user message"
                    summary = user.summary or UserSummary()
                    summary.diffs = turn
                    user.summary = summary
                    sessions.update_message(user)
        diffs = [FileDiff.model_validate(c.dump()) for c in await self.snapshots.diff(first[0], now)]
        self.publish(session_id, diffs)
        return turn

    def publish(self, session_id: str, diffs: list[FileDiff]) -> None:
        """Session totals from ``diffs``, and ``session.diff`` with the diffs themselves."""
        sessions = self.app.sessions
        sessions.update(session_id, summary=totals(diffs))
        sessions.bus.publish(events.session_diff(session_id, [d.dump() for d in diffs]))

"""The storage protocol the core works against.

Records are plain JSON dicts in OpenCode's shapes; validation happens in the core. A store keeps
one workspace: an index (sessions, todos, permission approvals) and the messages and parts of
each session. ``durable=False`` writes may be held in memory and coalesced; every other write is
on disk when the call returns, and ``flush()`` makes the held ones durable.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Callable, Protocol, TypeGuard

Record = dict[str, Any]


def is_record(value: object) -> TypeGuard[Record]:
    """A JSON object: a dict, whose keys are strings in everything the core reads."""
    return isinstance(value, dict)


def sub_record(record: Record, key: str) -> Record:
    """``record[key]`` when it is an object; an empty one when it is missing or null."""
    value = record.get(key)
    return value if is_record(value) else {}


class Store(Protocol):
    # --- sessions (workspace index) -----------------------------------------------------
    def get_session(self, session_id: str) -> Record | None: ...

    def list_sessions(self) -> list[Record]: ...

    def recent_sessions(self) -> Iterator[Record]:
        """Sessions, newest ``time.updated`` first (ties: smaller id first), copied lazily:
        a caller that stops after a page pays for the page."""
        ...

    def put_session(self, info: Record) -> None: ...

    def delete_session(self, session_id: str) -> None:
        """Remove the session record, its messages and parts, and its todos."""
        ...

    # --- messages and parts (one file per session) --------------------------------------
    def list_messages(self, session_id: str, *, limit: int | None = None,
                      before: str | None = None) -> list[Record]:
        """``[{"info": message, "parts": [part, ...]}, ...]`` ordered by message id, parts by id.

        ``before`` keeps messages whose id sorts before it; ``limit`` keeps the last that many.
        A page costs the page, not the session."""
        ...

    def get_message(self, session_id: str, message_id: str) -> Record | None:
        """``{"info": message, "parts": [...]}`` or None."""
        ...

    def put_message(self, session_id: str, info: Record) -> None: ...

    def put_messages(self, session_id: str, entries: Iterable[Record]) -> None:
        """Write ``{"info", "parts"}`` entries in one durable write (imports)."""
        ...

    def delete_message(self, session_id: str, message_id: str) -> None:
        """Remove a message and all its parts."""
        ...

    def put_part(self, session_id: str, part: Record, *, durable: bool = True) -> None: ...

    def delete_part(self, session_id: str, message_id: str, part_id: str) -> None: ...

    # --- todos and approvals -------------------------------------------------------------
    def get_todos(self, session_id: str) -> list[Record]: ...

    def put_todos(self, session_id: str, todos: list[Record]) -> None: ...

    def list_approvals(self) -> list[Record]:
        """Permission rules the user answered "always" to, for this workspace."""
        ...

    def add_approval(self, rule: Record) -> None: ...

    def remove_approvals(self, match: Callable[[Record], bool]) -> int:
        """Drop the stored approvals ``match`` accepts; returns how many."""
        ...

    # --- runs across processes -------------------------------------------------------------
    def claim_run(self, session_id: str) -> Callable[[], None]:
        """Mark the session as running in this process until the returned callable is called."""
        ...

    def run_active_elsewhere(self, session_id: str) -> bool:
        """True while another live process runs the session (its open messages are not orphans)."""
        ...

    # --- lifecycle ------------------------------------------------------------------------
    def flush(self) -> None: ...

    def close(self) -> None: ...

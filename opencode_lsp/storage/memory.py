"""A dict-backed store with the same semantics as the TinyDB one, for unit tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator

from ..core.errors import InvalidInputError
from ..core.store import Record, is_record
from .records import approval_key, assemble, check_id, clone, message_entry, record_id, session_order


class MemoryStore:
    """Keeps one workspace in memory. Records are copied in and out, like a real store."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._sessions: dict[str, Record] = {}
        self._todos: dict[str, list[Record]] = {}
        self._approvals: dict[str, Record] = {}
        self._messages: dict[str, dict[str, Record]] = {}
        self._parts: dict[str, dict[str, Record]] = {}

    # --- sessions ---------------------------------------------------------------------------

    def get_session(self, session_id: str) -> Record | None:
        with self._lock:
            record = self._sessions.get(session_id)
            return clone(record) if record is not None else None

    def list_sessions(self) -> list[Record]:
        with self._lock:
            return clone([self._sessions[key] for key in sorted(self._sessions)])

    def recent_sessions(self) -> Iterator[Record]:
        with self._lock:
            records = [self._sessions[k] for k in session_order(self._sessions)]
        for record in records:
            yield clone(record)

    def put_session(self, info: Record) -> None:
        session_id = record_id(info)
        with self._lock:
            self._sessions[session_id] = clone(info)

    def delete_session(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)
            self._todos.pop(session_id, None)
            self._messages.pop(session_id, None)
            self._parts.pop(session_id, None)

    # --- messages and parts ------------------------------------------------------------------

    def list_messages(self, session_id: str, *, limit: int | None = None,
                      before: str | None = None) -> list[Record]:
        with self._lock:
            messages = self._messages.get(session_id, {})
            if before is not None:
                messages = {k: v for k, v in messages.items() if k < before}
            if limit is not None:
                messages = {k: messages[k] for k in sorted(messages)[-limit:]} if limit > 0 else {}
            parts = self._parts.get(session_id, {})
            return clone(assemble(messages, parts))

    def put_messages(self, session_id: str, entries: Iterable[Record]) -> None:
        check_id(session_id, "sessionID")
        entries = list(entries)
        for entry in entries:
            record_id(entry["info"])
            for part in entry.get("parts", ()):
                record_id(part)
                record_id(part, "messageID")
        with self._lock:
            for entry in clone(entries):
                self._messages.setdefault(session_id, {})[entry["info"]["id"]] = entry["info"]
                for part in entry.get("parts", ()):
                    self._parts.setdefault(session_id, {})[part["id"]] = part

    def get_message(self, session_id: str, message_id: str) -> Record | None:
        with self._lock:
            message = self._messages.get(session_id, {}).get(message_id)
            if message is None:
                return None
            return clone(message_entry(message, self._parts.get(session_id, {}).values()))

    def put_message(self, session_id: str, info: Record) -> None:
        check_id(session_id, "sessionID")
        message_id = record_id(info)
        with self._lock:
            self._messages.setdefault(session_id, {})[message_id] = clone(info)

    def delete_message(self, session_id: str, message_id: str) -> None:
        with self._lock:
            self._messages.get(session_id, {}).pop(message_id, None)
            parts = self._parts.get(session_id, {})
            for part_id in [k for k, p in parts.items() if p.get("messageID") == message_id]:
                del parts[part_id]

    def put_part(self, session_id: str, part: Record, *, durable: bool = True) -> None:
        check_id(session_id, "sessionID")
        part_id = record_id(part)
        record_id(part, "messageID")
        with self._lock:
            self._parts.setdefault(session_id, {})[part_id] = clone(part)

    def delete_part(self, session_id: str, message_id: str, part_id: str) -> None:
        with self._lock:
            parts = self._parts.get(session_id, {})
            if parts.get(part_id, {}).get("messageID") == message_id:
                del parts[part_id]

    # --- todos and approvals -----------------------------------------------------------------

    def get_todos(self, session_id: str) -> list[Record]:
        with self._lock:
            return clone(self._todos.get(session_id, []))

    def put_todos(self, session_id: str, todos: list[Record]) -> None:
        check_id(session_id, "sessionID")
        with self._lock:
            if todos:
                self._todos[session_id] = clone(list(todos))
            else:
                self._todos.pop(session_id, None)

    def list_approvals(self) -> list[Record]:
        with self._lock:
            return clone(list(self._approvals.values()))

    def add_approval(self, rule: object) -> None:
        # Checked whatever the annotation: a rule that is not an object must not reach the file.
        if not is_record(rule):
            raise InvalidInputError("an approval rule must be an object", "rule")
        clean = clone(rule)
        with self._lock:
            self._approvals.setdefault(approval_key(clean), clean)

    def remove_approvals(self, match: Callable[[Record], bool]) -> int:
        with self._lock:
            keys = [k for k, v in self._approvals.items() if match(v)]
            for key in keys:
                del self._approvals[key]
            return len(keys)

    # --- lifecycle -----------------------------------------------------------------------------

    def claim_run(self, session_id: str):
        """One process holds everything in memory: no other process can be running it."""
        return lambda: None

    def run_active_elsewhere(self, session_id: str) -> bool:
        return False

    def flush(self) -> None:
        """Nothing is held back in memory, so there is nothing to flush."""

    def close(self) -> None:
        """Nothing to release."""

"""The workspace store on disk: a TinyDB index plus one TinyDB database per session.

Layout under ``root``::

    index.json               tables "sessions", "todos", "approvals"
    index.jsonl              changes to the index not yet folded into index.json
    sessions/<ses_id>.json   tables "messages", "parts", keyed by OpenCode id
    sessions/<ses_id>.jsonl  changes to that session not yet folded in
    .lock                    cross-process lock taken by every mutation

Every database is a base file plus an append-only journal (``journal_storage``): writing a part
appends that part, so its cost follows the part, not the session or the workspace. The base
files are the previous layout's files unchanged, so a store written before journals existed
opens as is (its journals are simply absent). Two server processes (say VS Code and Neovim on
one folder) can share a root: each mutation happens under ``.lock`` after catching up with the
disk, and readers need no lock. Closing the store folds the journals back into the base files.
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from filelock import FileLock

from ..core.errors import InvalidInputError
from ..core.store import Record, is_record
from .errors import StorageError
from ..core.atomic_file import fsync_dir
from .journal_storage import JournaledJSONStorage
from .json_storage import JSONFileDB, holding
from .records import approval_key, check_id, clone, record_id, session_order
from .run_lease import RunLeases

log = logging.getLogger("opencode_lsp.storage")

_INDEX = "index.json"
_SESSIONS_DIR = "sessions"


class TinyDBStore:
    """The :class:`~opencode_lsp.core.store.Store` of one workspace, kept in ``root``.

    ``put_part(..., durable=False)`` keeps the part in memory (so a streaming run does not write
    per delta) until the next durable write to the same session, ``flush()`` or ``close()``.
    Every other call is on disk when it returns. Thread-safe within a process.
    """

    def __init__(self, root: Path, *, open_session_files: int = 64, lock_timeout: float = 30.0):
        self.root = Path(root)
        self._sessions_dir = self.root / _SESSIONS_DIR
        try:
            self._sessions_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create store directory {self._sessions_dir}: {exc}",
                               self._sessions_dir) from exc
        # A bounded wait: a writer stuck elsewhere turns into a StorageError, not a hung server.
        self._file_lock = FileLock(str(self.root / ".lock"), timeout=lock_timeout)
        self._leases = RunLeases(self.root)
        self._guard = threading.RLock()
        self._index = JSONFileDB(self.root / _INDEX, self._file_lock, JournaledJSONStorage)
        # Session files stay parsed in memory, least recently used dropped beyond the limit
        # (each cached file also holds one descriptor open).
        self._session_files: OrderedDict[str, JSONFileDB] = OrderedDict()
        self._open_limit = max(1, open_session_files)
        self._pending: dict[str, dict[str, Record]] = {}
        self._closed = False
        self._remove_stale_temp_files()

    # --- sessions -------------------------------------------------------------------------

    def get_session(self, session_id: str) -> Record | None:
        with self._guard:
            record = self._index.file.snapshot().get("sessions", {}).get(session_id)
            return clone(record) if record is not None else None

    def list_sessions(self) -> list[Record]:
        # Straight from the cached dict: going through TinyDB's query layer would build a
        # Document per record on every call.
        with self._guard:
            sessions = self._index.file.snapshot().get("sessions", {})
            return clone([sessions[key] for key in sorted(sessions)])

    def recent_sessions(self) -> Iterator[Record]:
        """Sessions newest update first, copied one at a time as the caller takes them.

        The order is sorted once per change of the index, so listing the first hundred of
        ten thousand sessions costs the hundred, not the ten thousand.
        """
        with self._guard:
            storage = self._index.file
            sessions = storage.snapshot().get("sessions", {})
            view = getattr(storage, "recent_view", None)
            if view is None or view[0] != storage.version or view[1] is not sessions:
                view = (storage.version, sessions, session_order(sessions))
                storage.recent_view = view
            order = view[2]
        for session_id in order:
            with self._guard:
                record = sessions.get(session_id)
                copy = clone(record) if record is not None else None
            if copy is not None:
                yield copy

    def put_session(self, info: Record) -> None:
        session_id = record_id(info)
        clean = clone(info)
        with self._guard, self._index.file.transaction():
            self._index.id_table("sessions").put(session_id, clean)

    def delete_session(self, session_id: str) -> None:
        check_id(session_id, "sessionID")
        path = self._session_path(session_id)
        with self._guard, holding(self._file_lock, path):
            self._pending.pop(session_id, None)
            db = self._session_files.pop(session_id, None)
            if db is not None:
                db.close()
            # The files go first: should we die between the two steps, the session is still
            # listed (and can be deleted again) instead of leaving an invisible orphan file.
            # The journal before the base: a half-deleted session is an older one, not a torn one.
            try:
                path.with_suffix(".jsonl").unlink(missing_ok=True)
                path.unlink(missing_ok=True)
                fsync_dir(path.parent)
            except OSError as exc:
                raise StorageError(f"cannot delete {path}: {exc.strerror or exc}", path) from exc
            with self._index.file.transaction():
                self._index.id_table("sessions").delete([session_id])
                self._index.id_table("todos").delete([session_id])

    # --- messages and parts -----------------------------------------------------------------

    def list_messages(self, session_id: str, *, limit: int | None = None,
                      before: str | None = None) -> list[Record]:
        with self._guard:
            messages, order, by_message = self._session_view(session_id)
            if before is not None:
                order = order[: bisect.bisect_left(order, before)]
            if limit is not None:
                order = order[-limit:] if limit > 0 else []
            return clone(self._entries(session_id, messages, order, by_message))

    def get_message(self, session_id: str, message_id: str) -> Record | None:
        with self._guard:
            messages, _, by_message = self._session_view(session_id)
            if message_id not in messages:
                return None
            return clone(self._entries(session_id, messages, [message_id], by_message)[0])

    def put_messages(self, session_id: str, entries: Iterable[Record]) -> None:
        """Write ``[{"info": message, "parts": [...]}, ...]`` in one durable write (imports)."""
        check_id(session_id, "sessionID")
        messages: dict[str, Record] = {}
        parts: dict[str, Record] = {}
        for entry in entries:
            info = entry["info"]
            messages[record_id(info)] = info
            for part in entry.get("parts", ()):
                record_id(part, "messageID")
                parts[record_id(part)] = part
        clean_messages, clean_parts = clone(messages), clone(parts)

        def write(db: JSONFileDB) -> None:
            db.id_table("messages").put_many(clean_messages)
            db.id_table("parts").put_many(clean_parts)

        with self._guard:
            self._mutate_session(session_id, write)

    def put_message(self, session_id: str, info: Record) -> None:
        message_id = record_id(info)
        clean = clone(info)
        with self._guard:
            self._mutate_session(session_id, lambda db: db.id_table("messages").put(message_id, clean))

    def delete_message(self, session_id: str, message_id: str) -> None:
        with self._guard:
            pending = self._pending.get(session_id, {})
            for part_id in [k for k, p in pending.items() if p.get("messageID") == message_id]:
                del pending[part_id]

            def remove(db: JSONFileDB) -> None:
                parts = db.file.read().get("parts", {})
                doomed = [k for k, p in parts.items() if p.get("messageID") == message_id]
                db.id_table("parts").delete(doomed)
                db.id_table("messages").delete([message_id])

            self._mutate_session(session_id, remove)

    def put_part(self, session_id: str, part: Record, *, durable: bool = True) -> None:
        check_id(session_id, "sessionID")
        part_id = record_id(part)
        record_id(part, "messageID")
        clean = clone(part)
        with self._guard:
            if not durable:
                self._pending.setdefault(session_id, {})[part_id] = clean
                return
            # An older held-back version of this part is applied first and then replaced in
            # the same write, so a failing write cannot lose it.
            self._mutate_session(session_id, lambda db: db.id_table("parts").put(part_id, clean))

    def delete_part(self, session_id: str, message_id: str, part_id: str) -> None:
        with self._guard:
            pending = self._pending.get(session_id, {})
            if pending.get(part_id, {}).get("messageID") == message_id:
                del pending[part_id]

            def remove(db: JSONFileDB) -> None:
                part = db.file.read().get("parts", {}).get(part_id)
                if part is not None and part.get("messageID") == message_id:
                    db.id_table("parts").delete([part_id])

            self._mutate_session(session_id, remove)

    # --- todos and approvals ----------------------------------------------------------------

    def get_todos(self, session_id: str) -> list[Record]:
        with self._guard:
            record = self._index.file.snapshot().get("todos", {}).get(session_id)
            return clone(record["todos"]) if record is not None else []

    def put_todos(self, session_id: str, todos: list[Record]) -> None:
        check_id(session_id, "sessionID")
        clean = clone(list(todos))
        with self._guard, self._index.file.transaction():
            table = self._index.id_table("todos")
            if clean:
                table.put(session_id, {"sessionID": session_id, "todos": clean})
            else:
                table.delete([session_id])

    def list_approvals(self) -> list[Record]:
        with self._guard:
            return clone(list(self._index.file.snapshot().get("approvals", {}).values()))

    def add_approval(self, rule: object) -> None:
        # Checked whatever the annotation: a rule that is not an object must not reach the file.
        if not is_record(rule):
            raise InvalidInputError("an approval rule must be an object", "rule")
        clean = clone(rule)
        key = approval_key(clean)
        with self._guard, self._index.file.transaction() as data:
            if key not in data.get("approvals", {}):
                self._index.id_table("approvals").put(key, clean)

    def remove_approvals(self, match: Callable[[Record], bool]) -> int:
        with self._guard, self._index.file.transaction() as data:
            keys = [k for k, v in data.get("approvals", {}).items() if match(v)]
            if keys:
                self._index.id_table("approvals").delete(keys)
            return len(keys)

    # --- lifecycle ------------------------------------------------------------------------------

    # --- runs across processes -------------------------------------------------------------

    def claim_run(self, session_id: str) -> Callable[[], None]:
        return self._leases.claim(session_id)

    def run_active_elsewhere(self, session_id: str) -> bool:
        return self._leases.active_elsewhere(session_id)

    def flush(self) -> None:
        """Write every part held back by ``durable=False`` calls."""
        with self._guard:
            for session_id in list(self._pending):
                if self._pending.get(session_id):
                    self._mutate_session(session_id, lambda db: None)
                else:
                    self._pending.pop(session_id, None)

    def close(self) -> None:
        with self._guard:
            if self._closed:
                return
            self.flush()
            # Leave plain JSON behind: a later reader (or an older version) needs no journal.
            for db in [*self._session_files.values(), self._index]:
                try:
                    db.file.fold()
                except StorageError as exc:
                    log.warning("journal left unfolded: %s", exc)
                db.close()
            self._session_files.clear()
            self._closed = True

    def __enter__(self) -> TinyDBStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- internals ------------------------------------------------------------------------------

    def _remove_stale_temp_files(self) -> None:
        """Delete temp files a killed writer left behind.

        Every write happens under the file lock, so while we hold it no live process can be
        in the middle of one: any temp file we see belongs to a writer that died.
        """
        with holding(self._file_lock, self.root):
            for directory in (self.root, self._sessions_dir):
                for leftover in directory.glob(".*.json.*.tmp"):
                    try:
                        leftover.unlink()
                    except FileNotFoundError:
                        pass
                    except OSError as exc:
                        raise StorageError(f"cannot remove stale {leftover}: {exc}", leftover) from exc

    def _session_path(self, session_id: str) -> Path:
        return self._sessions_dir / f"{check_id(session_id, 'sessionID')}.json"

    def _session_db(self, session_id: str) -> JSONFileDB:
        db = self._session_files.get(session_id)
        if db is not None:
            self._session_files.move_to_end(session_id)
            return db
        db = JSONFileDB(self._session_path(session_id), self._file_lock, JournaledJSONStorage)
        self._session_files[session_id] = db
        while len(self._session_files) > self._open_limit:
            _, evicted = self._session_files.popitem(last=False)
            evicted.close()
        return db

    def _session_view(self, session_id: str) -> tuple[dict[str, Record], list[str], dict[str, list[Record]]]:
        """The session's messages, their ids in order and its stored parts by message id.

        The order and grouping are rebuilt only when the session changed, so reading a page
        of a long session costs the page.
        """
        storage = self._session_db(session_id).file
        data = storage.snapshot()
        view = getattr(storage, "message_view", None)
        if view is None or view[0] != storage.version:
            by_message: dict[str, list[Record]] = {}
            for part in data.get("parts", {}).values():
                by_message.setdefault(part.get("messageID", ""), []).append(part)
            view = (storage.version, sorted(data.get("messages", {})), by_message)
            storage.message_view = view
        return data.get("messages", {}), view[1], view[2]

    def _entries(self, session_id: str, messages: dict[str, Record], order: list[str],
                 by_message: dict[str, list[Record]]) -> list[Record]:
        """``{info, parts}`` for the given message ids, parts held in memory overriding stored ones."""
        pending = self._pending.get(session_id) or {}
        entries: list[Record] = []
        for message_id in order:
            mine = {p["id"]: p for p in by_message.get(message_id, ()) if p["id"] not in pending}
            for part_id, part in pending.items():
                if part.get("messageID") == message_id:
                    mine[part_id] = part
            entries.append({"info": messages[message_id], "parts": [mine[k] for k in sorted(mine)]})
        return entries

    def _mutate_session(self, session_id: str, change: Callable[[JSONFileDB], None]) -> None:
        """One locked read-modify-write of a session file, carrying the held-back parts along.

        The held-back parts are forgotten only once the write succeeded, so a failed write
        loses nothing that is still in memory.
        """
        db = self._session_db(session_id)
        pending = self._pending.get(session_id)
        with db.file.transaction():
            if pending:
                db.id_table("parts").put_many(pending)
            change(db)
        if pending:
            self._pending.pop(session_id, None)

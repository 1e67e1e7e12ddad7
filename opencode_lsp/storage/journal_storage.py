"""A TinyDB storage whose writes append to a journal instead of rewriting the whole file.

On disk a database is ``<name>.json`` (the base: the same ``{table: {id: document}}`` file the
previous layout wrote, so an old store opens as is) plus ``<name>.jsonl``, a journal of committed
changes. Each journal line is one transaction, ``[[table, id, document or null], ...]``, written
with one ``write`` and fsynced, so a write costs the bytes of what changed, not of the database.
A line counts only once its closing newline is on disk: a crash mid-append leaves a torn tail
that readers ignore and the next writer (under the lock) cuts off before appending.

When the journal outgrows the base (and a floor), it is folded in: the base is replaced
atomically, then the journal unlinked. A crash between the two leaves a journal whose changes
the base already holds; replaying puts and deletes in order again gives the same result.

Readers take no lock. They keep the parsed data, the base's identity and how far into the
journal they have read; a refresh reads only the journal's new bytes. A reader that opened the
base just before a fold and the journal just after it would pair an old base with a new
journal, so the base's identity is checked again after the journal was read, and the load is
retried when it moved. Descriptors stay open on the inodes read (as in ``json_storage``), so
"same inode" reliably means "same file".
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeGuard, cast

import orjson
from filelock import BaseFileLock

from .errors import StorageError
from ..core.atomic_file import atomic_write, fsync_dir
from .files import move_aside
from .json_storage import LockedFileStorage, Tables, CorruptFile, holding, parse_tables

log = logging.getLogger("opencode_lsp.storage")

# Fold the journal into the base once it is larger than the base and than this floor: the
# bytes written per change stay O(change) amortized, and a reload never reads more than twice
# the database.
COMPACT_FLOOR = 4 * 1024 * 1024

Identity = tuple[int, int, int, int]
Change = list[Any]  # [table, doc_id, document | None]


def _identity(st: os.stat_result) -> Identity:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _read_all(fd: int, start: int = 0) -> bytes:
    chunks: list[bytes] = []
    offset = start
    while chunk := os.pread(fd, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _replay(data: Tables, raw: bytes) -> int:
    """Apply the complete lines of ``raw`` to ``data``; returns the bytes consumed."""
    end = raw.rfind(b"\n") + 1
    for line in raw[:end].split(b"\n"):
        if not line:
            continue
        try:
            changes = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise CorruptFile(f"invalid journal line: {exc}") from None
        if not isinstance(changes, list):
            raise CorruptFile("journal line is not a list")
        for change in cast("list[object]", changes):
            if not _is_change(change):
                raise CorruptFile("journal entry is not [table, id, document|null]")
            _apply(data, change)
    return end


def _is_change(entry: object) -> TypeGuard[Change]:
    if not isinstance(entry, list):
        return False
    items = cast("list[object]", entry)
    return (len(items) == 3 and isinstance(items[0], str) and isinstance(items[1], str)
            and (items[2] is None or isinstance(items[2], dict)))


def _apply(data: Tables, change: Change) -> None:
    table, doc_id, document = change
    if document is None:
        data.get(table, {}).pop(doc_id, None)
    else:
        data.setdefault(table, {})[doc_id] = document


class JournaledJSONStorage(LockedFileStorage):
    """TinyDB storage over a base JSON file and its journal; ``lock`` guards every write.

    ``apply()`` is the cheap path the id tables use; TinyDB's generic ``write()`` still works
    and rewrites the base.
    """

    def __init__(self, path: Path, lock: BaseFileLock, *, compact_floor: int = COMPACT_FLOOR):
        self.path = Path(path)
        self.journal_path = self.path.with_suffix(".jsonl")
        self._lock = lock
        self._compact_floor = compact_floor
        self._data: Tables | None = None
        self._identity: Identity | None = None
        self._pin: int | None = None
        self._journal_pin: int | None = None
        self._journal_ino: int | None = None
        self._journal_end = 0
        self._depth = 0
        self._changes: list[Change] = []
        self._rewrite = False
        # Bumped on every change seen or made, so derived views (sorted ids) know when to rebuild.
        self.version = 0

    # --- TinyDB's interface -------------------------------------------------------------

    def write(self, data: Tables) -> None:
        if self._depth:
            self._data = data
            self._rewrite = True
            self.version += 1
            return
        with holding(self._lock, self.path):
            self._fold(data)

    # --- the cheap path -----------------------------------------------------------------

    def apply(self, table: str, documents: Mapping[str, Mapping[str, Any] | None]) -> None:
        """Put (or, for None, delete) documents of ``table``: one journal line when committed."""
        if not documents:
            return
        if self._depth == 0:
            with self.transaction():
                self.apply(table, documents)
            return
        assert self._data is not None
        for doc_id, document in documents.items():
            change = [table, doc_id, None if document is None else dict(document)]
            _apply(self._data, change)
            self._changes.append(change)
        self.version += 1

    # --- reading ------------------------------------------------------------------------

    def refresh(self) -> None:
        """Catch up with the disk: read the journal's new bytes, or everything if the base moved."""
        try:
            base: Identity | None = _identity(os.stat(self.path))
        except FileNotFoundError:
            base = None
        if self._data is None or base != self._identity:
            self._load()
            return
        try:
            st = os.stat(self.journal_path)
        except FileNotFoundError:
            if self._journal_ino is not None:
                self._load()
            return
        if st.st_ino != self._journal_ino or st.st_size < self._journal_end:
            self._load()
        elif st.st_size > self._journal_end:
            self._read_tail()

    def _read_tail(self) -> None:
        assert self._journal_pin is not None and self._data is not None
        raw = _read_all(self._journal_pin, self._journal_end)
        try:
            used = _replay(self._data, raw)
        except CorruptFile as problem:
            self._data = None  # partly applied: start over, judging the journal under the lock
            self._load_locked_after(str(problem))
            return
        if used:
            self._journal_end += used
            self.version += 1

    def _load(self) -> None:
        for _ in range(20):
            try:
                if self._load_once(locked=False):
                    return
            except CorruptFile as problem:
                self._load_locked_after(str(problem))
                return
        # Folds keep landing between our two opens: read under the lock, where none can.
        with holding(self._lock, self.path):
            self._load_under_lock()

    def _load_locked_after(self, problem: str) -> None:
        log.info("re-reading %s under the lock (%s)", self.path, problem)
        with holding(self._lock, self.path):
            self._load_under_lock()

    def _load_under_lock(self) -> None:
        # Quarantining replaces the base, which makes one attempt report "moved": go again.
        while not self._load_once(locked=True):
            pass

    def _load_once(self, *, locked: bool) -> bool:
        """Read base and journal; False when the base changed meanwhile (try again)."""
        base_fd, identity, data = self._open_base(locked)
        journal_fd, journal_ino, end = None, None, 0
        try:
            try:
                journal_fd = os.open(self.journal_path, os.O_RDONLY)
            except FileNotFoundError:
                pass
            if journal_fd is not None:
                journal_ino = os.fstat(journal_fd).st_ino
                raw = _read_all(journal_fd)
                try:
                    end = _replay(data, raw)
                except CorruptFile as problem:
                    if not locked:
                        raise
                    end = self._quarantine_journal(data, str(problem))
                    os.close(journal_fd)
                    journal_fd, journal_ino = None, None
            try:
                now: Identity | None = _identity(os.stat(self.path))
            except FileNotFoundError:
                now = None
            if now != identity:
                for fd in (base_fd, journal_fd):
                    if fd is not None:
                        os.close(fd)
                return False
        except BaseException:
            for fd in (base_fd, journal_fd):
                if fd is not None:
                    os.close(fd)
            raise
        self._set(data, identity, base_fd, journal_fd, journal_ino, end)
        return True

    def _open_base(self, locked: bool) -> tuple[int | None, Identity | None, Tables]:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None, None, {}
        except OSError as exc:
            raise StorageError(f"cannot read {self.path}: {exc.strerror or exc}", self.path) from exc
        try:
            st = os.fstat(fd)
            data = parse_tables(_read_all(fd))
        except CorruptFile as problem:
            os.close(fd)
            if not locked:
                raise
            moved = move_aside(self.path)
            log.error("storage file %s is corrupt (%s); moved it to %s and started it empty",
                      self.path, problem, moved)
            try:
                atomic_write(self.path, b"{}")
            except OSError as exc:
                log.error("could not recreate %s after moving it aside: %s", self.path, exc)
                return None, None, {}
            return self._open_base(locked)
        except BaseException:
            os.close(fd)
            raise
        return fd, _identity(st), data

    def _quarantine_journal(self, data: Tables, problem: str) -> int:
        """A damaged journal (not a torn tail): keep what parsed, set the file aside, fold."""
        # Fold first: dying before the move replays the good lines again, which is harmless.
        try:
            atomic_write(self.path, orjson.dumps(data))
        except OSError as exc:
            log.error("could not fold %s before moving its journal aside: %s", self.path, exc)
            return 0
        moved = move_aside(self.journal_path)
        log.error("storage journal %s is corrupt (%s); moved it to %s, kept the lines before the damage",
                  self.journal_path, problem, moved)
        return 0

    def _set(self, data: Tables, identity: Identity | None, pin: int | None,
             journal_pin: int | None, journal_ino: int | None, journal_end: int) -> None:
        for fd in (self._pin, self._journal_pin):
            if fd is not None:
                os.close(fd)
        self._data, self._identity, self._pin = data, identity, pin
        self._journal_pin, self._journal_ino, self._journal_end = journal_pin, journal_ino, journal_end
        self.version += 1

    def _drop(self) -> None:
        """Forget the cache so the next access trusts only what is on disk."""
        self._set({}, None, None, None, None, 0)
        self._data = None
        self._changes = []
        self._rewrite = False

    # --- writing --------------------------------------------------------------------------

    # ``transaction()`` (LockedFileStorage) collects the changes; this commits them as one line.
    def _commit(self) -> None:
        changes, self._changes = self._changes, []
        assert self._data is not None
        if self._rewrite:
            self._rewrite = False
            self._fold(self._data)
            return
        if not changes:
            return
        try:
            line = orjson.dumps(changes) + b"\n"
        except TypeError as exc:
            self._drop()
            raise StorageError(f"cannot serialize data for {self.path}: {exc}", self.path) from exc
        self._append(line)
        base_size = self._identity[2] if self._identity else 0
        if self._journal_end > max(self._compact_floor, base_size):
            try:
                self._fold(self._data)
            except StorageError as exc:
                # The change itself is durable in the journal; folding can wait for next time.
                log.warning("could not fold the journal of %s: %s", self.path, exc)

    def _append(self, line: bytes) -> None:
        """Append one line and fsync it; the caller holds the lock and has refreshed."""
        created = self._journal_ino is None
        try:
            fd = os.open(self.journal_path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            self._drop()
            raise StorageError(f"cannot write {self.journal_path}: {exc.strerror or exc}", self.path) from exc
        try:
            if os.fstat(fd).st_size != self._journal_end:
                os.ftruncate(fd, self._journal_end)  # a torn tail left by a writer that died
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
            if created:
                fsync_dir(self.journal_path.parent)
        except OSError as exc:
            try:
                os.ftruncate(fd, self._journal_end)
            except OSError:
                pass  # what is left has no closing newline: readers skip it, the next writer cuts it
            os.close(fd)
            self._drop()
            raise StorageError(f"cannot write {self.journal_path}: {exc.strerror or exc}", self.path) from exc
        try:
            if self._journal_pin is None:
                # The pin is a read-only descriptor: a writable one held open for good would keep
                # the file system from being remounted read-only ("mount point is busy").
                pin = os.open(self.journal_path, os.O_RDONLY)
                self._journal_pin, self._journal_ino = pin, os.fstat(pin).st_ino
        except OSError:
            self._drop()  # the line is on disk; the next read loads it from there
            return
        finally:
            os.close(fd)
        self._journal_end += len(line)

    def _fold(self, data: Tables) -> None:
        """Replace the base with ``data`` and drop the journal; the caller holds the lock."""
        try:
            payload = orjson.dumps(data)
        except TypeError as exc:
            self._drop()
            raise StorageError(f"cannot serialize data for {self.path}: {exc}", self.path) from exc
        try:
            atomic_write(self.path, payload)
            self.journal_path.unlink(missing_ok=True)
            fsync_dir(self.path.parent)
            fd = os.open(self.path, os.O_RDONLY)
        except OSError as exc:
            self._drop()
            raise StorageError(f"cannot write {self.path}: {exc.strerror or exc}", self.path) from exc
        self._set(data, _identity(os.fstat(fd)), fd, None, None, 0)

    def fold(self) -> None:
        """Fold a non-empty journal into the base (on close: leave plain JSON behind)."""
        with holding(self._lock, self.path):
            self.refresh()
            if self._journal_ino is not None and self._data is not None:
                self._fold(self._data)

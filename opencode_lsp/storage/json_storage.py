"""A TinyDB storage for JSON files shared between processes.

TinyDB hands its storage the whole database (``{table: {doc_id: document}}``) on every read and
write. This storage

* serializes with orjson and replaces the file atomically on every write,
* keeps the parsed data in memory and re-reads the file only when its identity
  (device, inode, size, mtime) changed, so a read costs one ``stat`` while another process's
  writes are still seen on the next read,
* offers ``transaction()``: take the cross-process lock, refresh from disk, let TinyDB apply
  any number of table updates in memory, then write the file once on the way out,
* moves a corrupt file aside instead of failing or silently starting over.

Every write replaces the file with a new inode and the cache keeps a descriptor open on the
inode it parsed. That inode therefore cannot be recycled for a later version of the file, so
"same inode" reliably means "unchanged" even when two writes land inside one mtime tick.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, cast

import orjson
from filelock import BaseFileLock
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from .errors import StorageError
from ..core.atomic_file import atomic_write
from .files import move_aside

log = logging.getLogger("opencode_lsp.storage")

Tables = dict[str, dict[str, Any]]


class CorruptFile(ValueError):
    pass


def parse_tables(raw: bytes) -> Tables:
    """Parse a TinyDB file; anything but ``{table: {id: {..}}}`` counts as corrupt."""
    if not raw or raw.isspace():
        # We never write an empty file (an empty database is ``{}``), so zero bytes means
        # the file was truncated by something outside the store.
        raise CorruptFile("empty file")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CorruptFile(f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CorruptFile("top level is not an object")
    # JSON object keys are strings; what the checks below establish is the values' shape.
    tables = cast("dict[str, object]", data)
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise CorruptFile(f"table {name!r} is not an object")
        for doc_id, doc in cast("dict[str, object]", table).items():
            if not isinstance(doc, dict):
                raise CorruptFile(f"document {doc_id!r} in table {name!r} is not an object")
    return cast(Tables, tables)


@contextmanager
def holding(lock: BaseFileLock, path: Path) -> Generator[None]:
    """Hold the cross-process lock; failing to get it is a StorageError naming ``path``."""
    try:
        lock.acquire()
    except OSError as exc:  # includes filelock.Timeout when another process hangs on to it
        raise StorageError(f"cannot lock {lock.lock_file} to change {path}: {exc}", path) from exc
    try:
        yield
    finally:
        lock.release()


class LockedFileStorage(Storage):
    """What the file storages share: a cache that reads catch up with the disk (``refresh``), and
    transactions that hold the cross-process lock, nest, and ``_commit`` once when the outermost
    one ends. If a block raises, nothing is written and the cache is dropped (TinyDB updates the
    cached dict in place, so it may hold half an update)."""

    path: Path
    _lock: BaseFileLock
    _data: Tables | None
    _depth: int

    def read(self) -> Tables:
        if self._depth == 0:
            self.refresh()
        assert self._data is not None
        return self._data

    def close(self) -> None:
        self._drop()

    def snapshot(self) -> Tables:
        """The current parsed data, for plain reads that skip TinyDB's query layer.

        The caller must not modify it (copy what you hand out).
        """
        return self.read()

    def refresh(self) -> None:
        """Re-read what changed on disk since it was cached."""
        raise NotImplementedError

    def _drop(self) -> None:
        """Forget the cache so the next access trusts only what is on disk."""
        raise NotImplementedError

    def _commit(self) -> None:
        """Write what the outermost transaction changed (the lock is held)."""
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Generator[Tables]:
        with holding(self._lock, self.path):
            outermost = self._depth == 0
            if outermost:
                self.refresh()
            self._depth += 1
            try:
                yield self.read()
            except BaseException:
                self._depth -= 1
                if outermost:
                    self._drop()
                raise
            self._depth -= 1
            if outermost:
                self._commit()


class CachedJSONStorage(LockedFileStorage):
    """TinyDB storage over one JSON file, written whole; ``lock`` guards writes."""

    def __init__(self, path: Path, lock: BaseFileLock):
        self.path = Path(path)
        self._lock = lock
        self._data: Tables | None = None
        self._identity: tuple[int, int, int, int] | None = None
        self._pin: int | None = None
        self._depth = 0
        self._dirty = False

    # --- TinyDB's interface -------------------------------------------------------------

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        if self._depth:
            # Inside a transaction: keep it in memory, the transaction writes once at the end.
            self._data = data
            self._dirty = True
            return
        with holding(self._lock, self.path):
            self._persist(data)

    # --- cache ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the file if it changed on disk since it was cached."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._set({}, None, None)
            return
        identity = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        if self._data is not None and identity == self._identity:
            return
        self._load()

    def _load(self, *, locked: bool = False) -> None:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            self._set({}, None, None)
            return
        except OSError as exc:
            raise StorageError(f"cannot read {self.path}: {exc.strerror or exc}", self.path) from exc
        try:
            st = os.fstat(fd)
            chunks: list[bytes] = []
            while chunk := os.read(fd, max(st.st_size, 65536)):
                chunks.append(chunk)
            data = parse_tables(b"".join(chunks))
        except CorruptFile as problem:
            os.close(fd)
            if locked:
                self._quarantine(str(problem))
            else:
                # Judge again under the lock: the file may have been replaced meanwhile, and
                # only one process may move it aside.
                with holding(self._lock, self.path):
                    self._load(locked=True)
            return
        except BaseException:
            os.close(fd)
            raise
        self._set(data, (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns), fd)

    def _quarantine(self, problem: str) -> None:
        moved = move_aside(self.path)
        log.error("storage file %s is corrupt (%s); moved it to %s and started it empty",
                  self.path, problem, moved)
        self._set({}, None, None)
        try:
            self._persist({})
        except StorageError as exc:
            # Serving an empty database from memory still beats refusing to serve at all.
            log.error("could not recreate %s after moving it aside: %s", self.path, exc)

    def _set(self, data: Tables, identity: tuple[int, int, int, int] | None, pin: int | None) -> None:
        if self._pin is not None:
            os.close(self._pin)
        self._data, self._identity, self._pin = data, identity, pin

    def _drop(self) -> None:
        """Forget the cache so the next access trusts only what is on disk."""
        self._set({}, None, None)
        self._data = None
        self._dirty = False

    # --- writing --------------------------------------------------------------------------

    def _persist(self, data: Tables) -> None:
        """Write ``data`` atomically; the caller holds the cross-process lock."""
        try:
            payload = orjson.dumps(data)
        except TypeError as exc:
            self._drop()
            raise StorageError(f"cannot serialize data for {self.path}: {exc}", self.path) from exc
        try:
            atomic_write(self.path, payload)
            fd = os.open(self.path, os.O_RDONLY)
        except OSError as exc:
            self._drop()
            reason = exc.strerror or str(exc)
            raise StorageError(f"cannot write {self.path}: {reason}", self.path) from exc
        st = os.fstat(fd)
        self._set(data, (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns), fd)

    def _commit(self) -> None:
        if self._dirty:
            self._dirty = False
            assert self._data is not None
            self._persist(self._data)


class IdTable(Table):
    """A table keyed by OpenCode ids (strings) instead of TinyDB's counters."""

    document_id_class = str

    def put(self, doc_id: str, document: Mapping[str, Any]) -> None:
        """Insert or replace the document stored under ``doc_id`` (a full replace, not a merge)."""
        self.put_many({doc_id: document})

    def put_many(self, documents: Mapping[str, Mapping[str, Any]]) -> None:
        if not documents:
            return
        apply = getattr(self.storage, "apply", None)
        if apply is not None:
            # A journaled storage records just these documents (TinyDB's generic path would
            # copy the whole table twice per call).
            apply(self.name, documents)
            self.clear_cache()
        else:
            # TinyDB annotates document ids as int (this table's are str, document_id_class) and
            # its documents as a bare Mapping, which strict mode reports as partially unknown.
            self._update_table(_setter(documents))  # pyright: ignore[reportArgumentType, reportUnknownMemberType]

    def delete(self, doc_ids: list[str]) -> None:
        present = cast("dict[str, object]", self._read_table())  # pyright: ignore[reportUnknownMemberType] (bare Mapping, as above)
        doomed = [doc_id for doc_id in doc_ids if doc_id in present]
        if not doomed:  # deleting nothing must not cost a write
            return
        apply = getattr(self.storage, "apply", None)
        if apply is not None:
            apply(self.name, dict.fromkeys(doomed))
            self.clear_cache()
        else:
            self.remove(doc_ids=doomed)  # pyright: ignore[reportArgumentType] (str ids, as above)


def _setter(documents: Mapping[str, Mapping[str, Any]]) -> Callable[[dict[str, Any]], None]:
    def update(table: dict[str, Any]) -> None:
        for doc_id, document in documents.items():
            table[doc_id] = dict(document)

    return update


class JSONFileDB(TinyDB):
    """TinyDB over a :class:`CachedJSONStorage` (or a journaled one) with id-keyed tables."""

    table_class = IdTable

    def __init__(self, path: Path, lock: BaseFileLock, storage: type[Storage] = CachedJSONStorage):
        # TinyDB.__init__ takes *args/**kwargs (untyped) and hands them to the storage class.
        super().__init__(path, lock, storage=storage)  # pyright: ignore[reportUnknownMemberType]

    @property
    def file(self) -> Any:
        """The storage: ``snapshot()``, ``transaction()``, ``refresh()`` on either kind."""
        return self.storage

    def id_table(self, name: str) -> IdTable:
        table = self.table(name)  # pyright: ignore[reportUnknownMemberType] (TinyDB's **kwargs are unannotated)
        assert isinstance(table, IdTable)
        return table

"""Stores behind the core's ``Store`` protocol: TinyDB files on disk, or memory for tests."""

from .errors import StorageError
from .memory import MemoryStore
from .paths import DATA_DIR_ENV, default_store_root
from .tinydb_store import TinyDBStore

__all__ = ["DATA_DIR_ENV", "MemoryStore", "StorageError", "TinyDBStore", "default_store_root"]

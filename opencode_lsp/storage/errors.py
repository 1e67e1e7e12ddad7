"""The storage layer's own exception."""

from __future__ import annotations

from pathlib import Path


class StorageError(Exception):
    """A store file could not be written (or read) on disk; ``path`` names the file.

    Raised after the in-memory cache for that file has been dropped, so the next access
    re-reads what is really on disk rather than trusting a write that never landed.
    """

    def __init__(self, message: str, path: Path | str):
        super().__init__(message)
        self.path = Path(path)

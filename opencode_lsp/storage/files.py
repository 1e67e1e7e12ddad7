"""Low-level file helpers: atomic replace, directory fsync, moving a bad file aside."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path


def fsync_dir(directory: Path) -> None:
    """Make a rename inside ``directory`` durable (the new directory entry hits the disk)."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, payload: bytes) -> None:
    """Replace ``path`` with ``payload`` so readers see either the old or the new bytes, never a mix.

    The temp file lives in the same directory (``os.replace`` is only atomic within one file
    system) and is fsynced before the rename; the directory is fsynced after it, so a crash or
    power cut leaves the old or the new file, complete. On any error the temp file is removed
    and the OSError propagates.
    """
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path.parent)


def move_aside(path: Path) -> Path | None:
    """Rename a damaged file to ``<name>.corrupt-<epoch ms>`` and return the new path.

    Returns None when the file vanished in the meantime (another process moved it first).
    """
    target = path.with_name(f"{path.name}.corrupt-{int(time.time() * 1000)}")
    suffix = 0
    while target.exists():  # two moves inside one millisecond must not overwrite each other
        suffix += 1
        target = path.with_name(f"{path.name}.corrupt-{int(time.time() * 1000)}-{suffix}")
    try:
        os.replace(path, target)
    except FileNotFoundError:
        return None
    fsync_dir(path.parent)
    return target

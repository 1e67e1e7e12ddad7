"""Replacing a file so that readers, crashes and power cuts see the old bytes or the new ones,
never a mix: the one writer the store (``storage/``) and the workspace's disk writes share."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def fsync_dir(directory: Path) -> None:
    """Make a rename inside ``directory`` durable (the new directory entry hits the disk)."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, payload: bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``payload``.

    The temp file lives in the same directory (``os.replace`` is only atomic within one file
    system) and is fsynced before the rename; the directory is fsynced after it, so a crash
    leaves the old or the new file, complete. ``mode`` gives the new file its permission bits
    (else it keeps mkstemp's private 0600). On any error the temp file is removed and the
    OSError propagates.
    """
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path.parent)

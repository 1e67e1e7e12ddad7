"""Moving a damaged store file aside (the atomic writer is ``core.atomic_file``)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..core.atomic_file import fsync_dir


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

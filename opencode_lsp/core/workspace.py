"""The workspace on the real filesystem: what tools see when no editor overlays it.

The LSP layer subclasses ``DiskWorkspace`` to serve open editor buffers and route writes through
``workspace/applyEdit``; tools therefore read and write text only through ``read_text`` and
``write_text`` here, never with ``open()`` of their own.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from .atomic_file import atomic_write
from .tools.base import ToolError


def _read_umask() -> int:
    # Read once at import: flipping the process umask later could race other threads.
    current = os.umask(0)
    os.umask(current)
    return current


_UMASK = _read_umask()


class DiskWorkspace:
    def __init__(self, root: Path, folders: list[Path] | None = None):
        self.root = Path(os.path.abspath(Path(root).expanduser()))
        # Folder membership is checked on resolved paths, so resolve the folders once too.
        self.folders = [Path(f).expanduser().resolve() for f in (folders or [self.root])]

    def resolve(self, path: str) -> Path:
        """Absolute and normalised (``..`` folded); symlinks are kept so titles stay readable."""
        p = Path(str(path)).expanduser()
        if not p.is_absolute():
            p = self.root / p
        return Path(os.path.normpath(p))

    def contains(self, path: Path) -> bool:
        real = Path(path).resolve()
        return any(real == folder or real.is_relative_to(folder) for folder in self.folders)

    def relative(self, path: Path) -> str:
        """``path`` relative to the root when it lies below it, else the absolute path."""
        try:
            return str(Path(path).relative_to(self.root))
        except ValueError:
            return str(path)

    async def read_text(self, path: Path) -> str:
        data = await self.read_bytes(path)
        text = data.decode("utf-8", errors="replace")
        return text

    async def read_bytes(self, path: Path) -> bytes:
        try:
            return await asyncio.to_thread(Path(path).read_bytes)
        except FileNotFoundError as exc:
            raise ToolError(f"File not found: {path}") from exc
        except IsADirectoryError as exc:
            raise ToolError(f"{path} is a directory, not a file") from exc
        except PermissionError as exc:
            raise ToolError(f"Permission denied reading {path}") from exc

    async def write_text(self, path: Path, text: str) -> None:
        await asyncio.to_thread(_write_file, Path(path), text.encode("utf-8"))

    async def exists(self, path: Path) -> bool:
        return Path(path).exists()

    async def is_dir(self, path: Path) -> bool:
        return Path(path).is_dir()

    async def show_disk(self, path: Path) -> None:
        """The disk copy of ``path`` changed behind the workspace (a revert); nothing to show here."""

    async def delete(self, path: Path) -> None:
        try:
            await asyncio.to_thread(Path(path).unlink)
        except FileNotFoundError as exc:
            raise ToolError(f"File not found: {path}") from exc


def _write_file(path: Path, data: bytes) -> None:
    """Replace the file atomically (a crash never leaves half of it), creating its folders.

    The existing file's mode is kept (a script stays executable after an edit); a new file gets
    the umask's default, as an editor would give it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write through a symlink to its target rather than replacing the link with a file.
    target = path.resolve() if path.is_symlink() else path
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_UMASK
    atomic_write(target, data, mode=mode)

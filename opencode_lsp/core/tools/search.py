"""File listing and text search shared by ``glob`` and ``grep``, always through ripgrep.

ripgrep comes with the package (the ``ripgrep`` wheel puts ``rg`` beside the interpreter), so
there is one search path whatever the machine has installed. It lists hidden files, skips
``.git`` and honours ``.gitignore``/``.ignore`` even outside a git repository. Path globs that
ripgrep cannot apply without overriding the ignore files are matched with ``pathspec``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from functools import lru_cache
from pathlib import Path

import pathspec

from .base import ToolError

IGNORE_FILES = (".gitignore", ".ignore")
MAX_LINE_CHARS = 2000


@lru_cache(maxsize=1)
def ripgrep() -> str:
    beside = Path(sys.executable).parent / "rg"
    found = str(beside) if os.access(beside, os.X_OK) else shutil.which("rg")
    if found is None:
        raise ToolError("ripgrep (rg) is not installed; reinstall opencode-lsp to get it")
    return found


def expand_braces(pattern: str) -> list[str]:
    """``*.{ts,tsx}`` -> ``*.ts``, ``*.tsx``: ripgrep's globs allow braces, gitignore's do not."""
    open_at = pattern.find("{")
    close_at = pattern.find("}", open_at + 1)
    if open_at == -1 or close_at == -1:
        return [pattern]
    head, body, rest = pattern[:open_at], pattern[open_at + 1:close_at], pattern[close_at + 1:]
    return [expanded for option in body.split(",") for expanded in expand_braces(head + option + rest)]


@lru_cache(maxsize=64)
def path_glob(pattern: str) -> pathspec.PathSpec[pathspec.Pattern]:
    """A glob as ripgrep reads ``--glob``: without a ``/`` it matches a name at any depth."""
    return pathspec.PathSpec.from_lines("gitignore", expand_braces(pattern))


def _ignore_spec(directory: Path) -> pathspec.GitIgnoreSpec | None:
    lines: list[str] = []
    for name in IGNORE_FILES:
        try:
            lines += (directory / name).read_text("utf-8", "replace").splitlines()
        except OSError:
            pass
    return pathspec.GitIgnoreSpec.from_lines(lines) if lines else None


def is_ignored_dir(root: Path, rel_dir: str) -> bool:
    """Whether ``rel_dir`` (root-relative) or a directory above it is ignored or is ``.git``.

    ripgrep searches a path it is given even when that path is ignored, so a listing that
    starts below the root asks here first. Ignore files of every directory from the filesystem
    root down apply; a deeper file's matching rule overrides a shallower one, as in git."""
    parts = rel_dir.split("/")
    if ".git" in parts:
        return True
    bases = [*reversed(root.parents), root] + [root.joinpath(*parts[:i]) for i in range(1, len(parts))]
    specs = [(base, spec) for base in bases if (spec := _ignore_spec(base)) is not None]
    for depth in range(1, len(parts) + 1):
        target = root.joinpath(*parts[:depth])
        verdict = None
        for base, spec in specs:
            if base != target and base in target.parents:
                result = spec.check_file(target.relative_to(base).as_posix() + "/").include
                verdict = result if result is not None else verdict
        if verdict:
            return True
    return False


# --- ripgrep ----------------------------------------------------------------------------

RG_COMMON = ["--hidden", "--no-require-git", "--no-messages", "--glob", "!.git", "--glob", "!.git/**"]


async def run_rg(args: list[str], cwd: Path) -> tuple[int, bytes, str]:
    rg = ripgrep()
    proc = await asyncio.create_subprocess_exec(
        rg, *args, cwd=str(cwd), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await proc.communicate()
    except asyncio.CancelledError:
        proc.kill()
        raise
    return proc.returncode or 0, out, err.decode("utf-8", "replace")


def _name_only(pattern: str | None) -> str | None:
    """The pattern as a file-name glob when it is one: ``**/*.py`` matches what ``*.py`` does."""
    if not pattern:
        return None
    while pattern.startswith("**/"):
        pattern = pattern[3:]
    return None if "/" in pattern else pattern


def include_args(pattern: str | None) -> list[str]:
    """ripgrep arguments selecting files by a name glob, or [] when it must be done afterwards.

    Not ``--glob``: a positive ``--glob`` overrides .gitignore in ripgrep, so ignored files
    would come back. A file type does not, but matches only the name, so a glob with a ``/``
    is filtered in Python (``filter_names``) instead."""
    name = _name_only(pattern)
    return ["--type-add", f"include:{name}", "--type", "include"] if name else []


def literal_dir(pattern: str | None) -> str | None:
    """The leading directories of a path glob that hold no wildcard (``src/app/**/*.ts`` ->
    ``src/app``): listing can start there instead of at the root."""
    if not pattern or _name_only(pattern):
        return None
    parts = pattern.lstrip("/").split("/")[:-1]
    literal: list[str] = []
    for part in parts:
        if any(c in part for c in "*?[{\\"):
            break
        literal.append(part)
    return "/".join(literal) or None


def filter_names(names: list[str], pattern: str | None) -> list[str]:
    """Keep the root-relative names a path glob matches (name globs were applied by rg)."""
    if not pattern or _name_only(pattern):
        return names
    return [n for n in names if path_glob(pattern).match_file(n)]


def filter_paths(paths: list[Path], root: Path, pattern: str | None) -> list[Path]:
    if not pattern or _name_only(pattern):
        return paths
    spec = path_glob(pattern)
    return [p for p in paths if spec.match_file(p.relative_to(root).as_posix())]


async def rg_files(root: Path, pattern: str | None) -> list[Path]:
    start = literal_dir(pattern)
    # ripgrep searches a path it is given even when that path is ignored, so check first.
    if start and (is_ignored_dir(root, start) or not (root / start).is_dir()):
        return []
    args = ["--files", *RG_COMMON, "--null", *include_args(pattern)]
    code, out, err = await run_rg(args + [start or "."], root)
    if code not in (0, 1):
        raise ToolError(f"ripgrep failed: {err.strip() or f'exit {code}'}")
    names = [n[2:] if n.startswith("./") else n for n in out.decode("utf-8", "surrogateescape").split("\0") if n]
    base = str(root)
    return [Path(f"{base}/{n}") for n in filter_names(names, pattern)]


async def list_files(root: Path, pattern: str | None) -> list[Path]:
    return await rg_files(root, pattern)


def by_newest(paths: list[Path]) -> list[Path]:
    def mtime(p: Path) -> float:
        try:
            return os.stat(p).st_mtime
        except OSError:
            return 0.0

    return sorted(paths, key=lambda p: (-mtime(p), str(p)))

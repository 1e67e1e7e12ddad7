"""File listing and text search shared by ``glob`` and ``grep``: ripgrep when it is installed,
else a pure-Python walker that honours ``.gitignore`` files.

Both paths list hidden files, skip ``.git`` and honour ``.gitignore``/``.ignore`` even outside
a git repository, so results do not depend on which one ran. Set ``USE_RIPGREP = False`` to
force the Python walker (the tests run both).
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .base import ToolError

USE_RIPGREP = True
IGNORE_FILES = (".gitignore", ".ignore")
MAX_LINE_CHARS = 2000


def ripgrep() -> str | None:
    return shutil.which("rg") if USE_RIPGREP else None


# --- gitignore subset -------------------------------------------------------------------


def glob_to_regex(pattern: str) -> str:
    """Gitignore-style glob to a regex over ``/``-separated paths: ``*`` and ``?`` stay within
    one path segment, ``**`` spans segments, ``[...]`` is a character class."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.find("]", i + 2)
            if end == -1:
                out.append(re.escape("["))
                i += 1
            else:
                body = pattern[i + 1:end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end + 1
        elif pattern[i] == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
        elif pattern[i] == "{":
            end = pattern.find("}", i)
            if end == -1:
                out.append(re.escape("{"))
                i += 1
            else:  # brace alternatives, as ripgrep's globs allow: *.{ts,tsx}
                options = pattern[i + 1:end].split(",")
                out.append("(?:" + "|".join(glob_to_regex(o) for o in options) + ")")
                i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


@dataclass
class Rule:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool
    base: str  # the directory holding the ignore file, relative to the walk root ("" = root)
    # For an ignore file ABOVE the walk root: the path from its directory down to the root.
    prefix: str = ""


def compile_path_glob(pattern: str) -> re.Pattern[str]:
    """A glob as ripgrep reads ``--glob``: without a ``/`` it matches a name at any depth."""
    anchored = "/" in pattern.rstrip("/")
    body = glob_to_regex(pattern.lstrip("/"))
    return re.compile(("" if anchored else "(?:.*/)?") + body + r"\Z", re.DOTALL)


def parse_ignore(text: str, base: str) -> list[Rule]:
    rules = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.endswith("\\") or raw.endswith("\\ "):
            line = raw  # an escaped trailing space is kept
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate:
            line = line[1:]
        if line.startswith(("\\#", "\\!")):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        rules.append(Rule(compile_path_glob(line), negate, dir_only, base))
    return rules


def is_ignored(rel: str, is_dir: bool, rules: list[Rule]) -> bool:
    """The last matching rule decides, as in git."""
    ignored = False
    for rule in rules:
        if rule.dir_only and not is_dir:
            continue
        if rule.base:
            if not rel.startswith(rule.base + "/"):
                continue
            local = rel[len(rule.base) + 1:]
        elif rule.prefix:
            local = f"{rule.prefix}/{rel}"
        else:
            local = rel
        if rule.regex.match(local):
            ignored = not rule.negate
    return ignored


def _load_rules(directory: Path, rel: str) -> list[Rule]:
    rules: list[Rule] = []
    for name in IGNORE_FILES:
        try:
            rules += parse_ignore((directory / name).read_text("utf-8", "replace"), rel)
        except OSError:
            pass
    return rules


def _ancestor_rules(root: Path) -> list[Rule]:
    """Ignore files in the directories above ``root`` apply below it too, as in ripgrep."""
    rules: list[Rule] = []
    for ancestor in reversed(root.parents):
        prefix = root.relative_to(ancestor).as_posix()
        for rule in _load_rules(ancestor, ""):
            rule.prefix = prefix
            rules.append(rule)
    return rules


def rules_down_to(root: Path, start: str | None) -> list[Rule] | None:
    """The ignore rules in force inside ``start`` (root-relative), or None when ``start`` is
    missing, ignored or inside ``.git``."""
    rules = _ancestor_rules(root) + _load_rules(root, "")
    rel = ""
    for part in (start.split("/") if start else []):
        rel = f"{rel}/{part}" if rel else part
        if part == ".git" or is_ignored(rel, True, rules) or not (root / rel).is_dir():
            return None
        rules = rules + _load_rules(root / rel, rel)
    return rules


def walk_files(root: Path, start: str | None = None) -> Iterator[Path]:
    """Every file under ``root`` that the ignore files do not exclude (``.git`` always is).

    ``start`` (a root-relative directory) limits the walk to that subtree, with the ignore
    files of the directories above it still applied."""

    load = _load_rules
    rules = rules_down_to(root, start)
    if rules is None:
        return
    rel_top = start or ""
    stack: list[tuple[Path, str, list[Rule]]] = [(root / rel_top if rel_top else root, rel_top, rules)]
    while stack:
        directory, rel_dir, rules = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            if entry.name == ".git":
                continue
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_ignored(rel, is_dir, rules):
                continue
            if is_dir:
                sub = Path(entry.path)
                stack.append((sub, rel, rules + load(sub, rel)))
            elif entry.is_file():
                yield Path(entry.path)


# --- ripgrep ----------------------------------------------------------------------------

RG_COMMON = ["--hidden", "--no-require-git", "--no-messages", "--glob", "!.git", "--glob", "!.git/**"]


async def run_rg(args: list[str], cwd: Path) -> tuple[int, bytes, str]:
    rg = ripgrep()
    if rg is None:
        raise ToolError("ripgrep is not available")
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
    literal = []
    for part in parts:
        if any(c in part for c in "*?[{\\"):
            break
        literal.append(part)
    return "/".join(literal) or None


def filter_names(names: list[str], pattern: str | None) -> list[str]:
    """Keep the root-relative names a path glob matches (name globs were applied by rg)."""
    if not pattern or _name_only(pattern):
        return names
    match = compile_path_glob(pattern).match
    return [n for n in names if match(n)]


def filter_paths(paths: list[Path], root: Path, pattern: str | None) -> list[Path]:
    if not pattern or _name_only(pattern):
        return paths
    match = compile_path_glob(pattern).match
    return [p for p in paths if match(p.relative_to(root).as_posix())]


async def rg_files(root: Path, pattern: str | None) -> list[Path]:
    start = literal_dir(pattern)
    # ripgrep searches a path it is given even when that path is ignored, so check first.
    if start and rules_down_to(root, start) is None:
        return []
    args = ["--files", *RG_COMMON, "--null", *include_args(pattern)]
    code, out, err = await run_rg(args + [start or "."], root)
    if code not in (0, 1):
        raise ToolError(f"ripgrep failed: {err.strip() or f'exit {code}'}")
    names = [n[2:] if n.startswith("./") else n for n in out.decode("utf-8", "surrogateescape").split("\0") if n]
    base = str(root)
    return [Path(f"{base}/{n}") for n in filter_names(names, pattern)]


def python_files(root: Path, pattern: str | None) -> list[Path]:
    regex = compile_path_glob(pattern) if pattern else None
    found = []
    for path in walk_files(root, literal_dir(pattern)):
        rel = path.relative_to(root).as_posix()
        if regex is None or regex.match(rel):
            found.append(path)
    return found


async def list_files(root: Path, pattern: str | None) -> list[Path]:
    if ripgrep():
        return await rg_files(root, pattern)
    return await asyncio.to_thread(python_files, root, pattern)


def by_newest(paths: list[Path]) -> list[Path]:
    def mtime(p: Path) -> float:
        try:
            return os.stat(p).st_mtime
        except OSError:
            return 0.0

    return sorted(paths, key=lambda p: (-mtime(p), str(p)))


def file_matches_glob(path: Path, root: Path, pattern: str) -> bool:
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        return fnmatch.fnmatch(path.name, pattern)
    return bool(compile_path_glob(pattern).match(rel))

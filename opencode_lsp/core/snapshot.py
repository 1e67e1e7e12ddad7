"""Workspace snapshots in a shadow git repository kept outside the workspace.

``git --git-dir=<shadow> --work-tree=<root>``: the workspace's own repository (if any) is never
touched, and its ``.gitignore`` files still apply, so a snapshot holds the tracked and the
untracked-but-not-ignored files. ``track()`` stages everything and writes a tree (no commit);
the trees are kept from garbage collection by turning ``gc.auto`` off in the shadow repository.
Without a ``git`` executable snapshots are off: every call answers "nothing" and a warning is
logged once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .file_patch import file_patch

log = logging.getLogger(__name__)


class SnapshotError(Exception):
    """A git command of the shadow repository failed."""


@dataclass
class FileChange:
    file: str  # relative to the workspace root, '/'-separated
    before: str
    after: str
    additions: int
    deletions: int
    status: str  # added | deleted | modified

    def dump(self) -> dict[str, object]:
        """OpenCode 1.18.33's ``summary.diffs`` entry: the change as a whole-file patch."""
        return {"file": self.file, "patch": file_patch(self.file, self.before, self.after),
                "additions": self.additions, "deletions": self.deletions, "status": self.status}


class Snapshots:
    def __init__(self, root: Path, git_dir: Path, *, exclude: list[Path] | None = None, enabled: bool = True):
        self.root = Path(root).resolve()
        self.git_dir = Path(git_dir).resolve()
        self.exclude = [Path(p).resolve() for p in (exclude or [])]
        self.git = shutil.which("git") if enabled else None
        if enabled and self.git is None:
            log.warning("git was not found: file snapshots, patches and revert are disabled")
        self._lock = asyncio.Lock()
        self._ready = False

    @property
    def enabled(self) -> bool:
        return self.git is not None

    # --- git plumbing -------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update(GIT_DIR=str(self.git_dir), GIT_WORK_TREE=str(self.root), GIT_TERMINAL_PROMPT="0",
                   GIT_CONFIG_NOSYSTEM="1", LC_ALL="C")
        return env

    async def _run(self, *args: str, stdin: bytes | None = None, check: bool = True) -> tuple[int, bytes]:
        proc = await asyncio.create_subprocess_exec(
            self.git or "git", "-c", "core.quotepath=false", *args, cwd=str(self.root), env=self._env(),
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate(stdin)
        if check and proc.returncode != 0:
            raise SnapshotError(f"git {' '.join(args)}: {err.decode(errors='replace').strip()}")
        return proc.returncode or 0, out

    async def _init(self) -> None:
        if self._ready:
            return
        if not (self.git_dir / "HEAD").exists():
            self.git_dir.mkdir(parents=True, exist_ok=True)
            await self._run("init", "--quiet")
            for key, value in (("core.autocrlf", "false"), ("core.safecrlf", "false"), ("gc.auto", "0"),
                               ("core.fsmonitor", "false"), ("core.symlinks", "true")):
                await self._run("config", key, value)
        # Our own files must not land in the snapshots when they live inside the workspace.
        lines: list[str] = []
        for path in [*self.exclude, self.git_dir.resolve()]:
            if path.is_relative_to(self.root) and path != self.root:
                lines.append("/" + path.relative_to(self.root).as_posix() + "/")
        info = self.git_dir / "info"
        info.mkdir(exist_ok=True)
        (info / "exclude").write_text("".join(f"{line}\n" for line in lines))
        self._ready = True

    async def _stage(self) -> None:
        await self._init()
        await self._run("add", "--all", "--ignore-errors", "--", ".", check=False)

    # --- the API ------------------------------------------------------------------------------

    async def track(self) -> str | None:
        """A tree hash of the workspace as it is now (None when snapshots are off)."""
        if not self.enabled:
            return None
        async with self._lock:
            await self._stage()
            _, out = await self._run("write-tree")
            return out.decode().strip()

    async def changed_files(self, tree: str) -> list[str]:
        """Absolute paths of the files that differ from ``tree`` now."""
        if not self.enabled or not tree:
            return []
        async with self._lock:
            await self._stage()
            _, out = await self._run("diff", "--no-ext-diff", "--no-renames", "--name-only", tree, "--", ".")
        return [str(self.root / line) for line in out.decode().splitlines() if line.strip()]

    async def revert(self, changes: list[tuple[str, list[str]]]) -> list[str]:
        """Undo patches: each ``(tree, files)`` puts those files back as they were in ``tree``
        (deleting the ones it did not have). The first patch naming a file wins. Returns the
        absolute paths that were put back or removed."""
        if not self.enabled:
            return []
        done: list[str] = []
        async with self._lock:
            await self._init()
            for tree, files in changes:
                for file in files:
                    if file in done:
                        continue
                    done.append(file)
                    rel = self._relative(file)
                    if rel is None:
                        continue
                    code, _ = await self._run("checkout", tree, "--", rel, check=False)
                    if code == 0:
                        continue
                    _, listed = await self._run("ls-tree", tree, "--", rel, check=False)
                    if not listed.strip():  # the file did not exist before: the patch created it
                        try:
                            Path(file).unlink()
                        except FileNotFoundError:
                            pass
                        except IsADirectoryError:
                            shutil.rmtree(file, ignore_errors=True)
                    else:
                        log.warning("could not restore %s from snapshot %s", file, tree)
        return done

    async def diff_text(self, tree: str) -> str:
        """A unified diff from ``tree`` to the workspace as it is now."""
        if not self.enabled or not tree:
            return ""
        async with self._lock:
            await self._stage()
            _, out = await self._run("diff", "--no-ext-diff", "--no-renames", tree, "--", ".")
        return out.decode(errors="replace")

    async def diff(self, before: str, after: str) -> list[FileChange]:
        """Per file: contents before and after, lines added and deleted, between two trees."""
        if not self.enabled or not before or not after or before == after:
            return []
        async with self._lock:
            await self._init()
            _, numstat = await self._run("diff", "--no-ext-diff", "--no-renames", "--numstat", before, after, "--", ".")
            _, status = await self._run("diff", "--no-ext-diff", "--no-renames", "--name-status", before, after, "--", ".")
            kinds: dict[str, str] = {}
            for line in status.decode(errors="replace").splitlines():
                code, _, name = line.partition("\t")
                kinds[name] = {"A": "added", "D": "deleted"}.get(code[:1], "modified")
            rows: list[tuple[str, int, int, bool]] = []
            for line in numstat.decode(errors="replace").splitlines():
                added, deleted, name = line.split("\t", 2)
                binary = added == "-"
                rows.append((name, 0 if binary else int(added), 0 if binary else int(deleted), binary))
            objects: list[str | None] = []
            for name, _, _, binary in rows:
                objects.append(None if binary or kinds.get(name) == "added" else f"{before}:{name}")
                objects.append(None if binary or kinds.get(name) == "deleted" else f"{after}:{name}")
            blobs = await self._cat([o for o in objects if o])
        out: list[FileChange] = []
        it = iter(objects)
        for name, added, deleted, _ in rows:
            old, new = next(it), next(it)
            out.append(FileChange(file=name, before=blobs.get(old, "") if old else "",
                                  after=blobs.get(new, "") if new else "", additions=added, deletions=deleted,
                                  status=kinds.get(name, "modified")))
        return out

    async def read(self, tree: str, file: str) -> str | None:
        """A file's text in ``tree`` (None when it is not there)."""
        rel = self._relative(file)
        if not self.enabled or rel is None:
            return None
        async with self._lock:
            await self._init()
            blobs = await self._cat([f"{tree}:{rel}"])
        return blobs.get(f"{tree}:{rel}")

    async def store_text(self, text: str) -> str:
        """Keep ``text`` as a blob in the shadow repository; returns its hash."""
        async with self._lock:
            await self._init()
            _, out = await self._run("hash-object", "-w", "--stdin", stdin=text.encode("utf-8"))
        return out.decode().strip()

    async def blob_text(self, blob: str) -> str | None:
        async with self._lock:
            await self._init()
            return (await self._cat([blob])).get(blob)

    # --- helpers ------------------------------------------------------------------------------

    def _relative(self, file: str) -> str | None:
        path = Path(file)
        if not path.is_absolute():
            return path.as_posix()
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return None

    async def _cat(self, names: list[str]) -> dict[str, str]:
        """Many objects in one ``git cat-file --batch`` call: name -> text."""
        if not names:
            return {}
        _, out = await self._run("cat-file", "--batch", stdin="".join(f"{n}\n" for n in names).encode())
        found: dict[str, str] = {}
        pos = 0
        for name in names:
            end = out.index(b"\n", pos)
            header = out[pos:end].decode(errors="replace")
            pos = end + 1
            if header.endswith(" missing") or header.endswith(" ambiguous"):
                continue
            size = int(header.rsplit(" ", 1)[1])
            found[name] = out[pos:pos + size].decode("utf-8", errors="replace")
            pos += size + 1
        return found

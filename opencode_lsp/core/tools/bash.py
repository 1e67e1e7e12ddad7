"""The ``bash`` tool: run a command line in its own process group, streaming its output.

The command runs in a new session (``start_new_session``) so a timeout, an abort or a cancelled
run can kill everything it started (pipelines, background jobs), not just the outer shell.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path
from typing import Any

from pydantic import Field

from .args import MAX_SAFE_INTEGER, ArgsTool, NonBlank, ToolArgs
from .base import ToolContext, ToolError, ToolResult
from .bash_arity import bash_patterns
from .paths import ensure_inside
from .shell_parse import ShellLine, parse_shell
from .truncate import truncate_output

DEFAULT_TIMEOUT_MS = 120_000
UPDATE_INTERVAL = 0.1
METADATA_CHARS = 30_000
KILL_GRACE = 2.0
DRAIN_GRACE = 1.0

DESCRIPTION = """\
Run a bash command line in the workspace root (or in workdir) and return its combined
stdout and stderr.

- Use it for builds, tests, git, package managers and other programs. Do not use it to read,
  search, find or edit files: the read, grep, glob, edit and write tools do that better.
- Put paths containing spaces in double quotes. Chain dependent steps with &&; make
  independent commands separate, parallel calls.
- Pass workdir instead of "cd dir && ...". Every call starts a fresh shell: cd and exported
  variables do not carry over to the next call.
- timeout is in milliseconds (default 120000, two minutes). A command that runs longer is
  killed together with everything it started, and its output so far is returned.
- Commands must not wait for input: use non-interactive flags (e.g. --yes). Very long output
  is cut; the end is kept and the full text is saved to a file you can read.
- Git: never change the git config, force-push, or rewrite published history unless the user
  asks; only commit when asked.
"""


def _kill_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    """Whether any live (non-zombie) process is left in the group.

    ``killpg(pgid, 0)`` also succeeds for zombies, which linger where PID 1 does not reap
    orphans (containers), so on Linux look at each process's state in /proc instead."""
    proc_root = Path("/proc")
    if proc_root.is_dir():
        for entry in proc_root.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2:].split()
            if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
                return True
        return False
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def terminate_group(proc: asyncio.subprocess.Process, pgid: int) -> None:
    """SIGTERM the whole group, give it a moment, then SIGKILL whatever is left."""
    _kill_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + KILL_GRACE
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(proc.wait(), KILL_GRACE)
    while _group_alive(pgid) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    _kill_group(pgid, signal.SIGKILL)
    await proc.wait()


def _outside_paths(line: ShellLine, cwd: Path, ws: Any) -> list[Path]:
    """Paths the parsed line names (arguments, redirections) that lie outside the workspace."""
    found: list[Path] = []
    for word in line.paths:
        path = Path(os.path.normpath(cwd / Path(word).expanduser()))
        if str(path) == "/dev/null" or str(path).startswith(("/dev/fd/", "/dev/std")):
            continue
        if not ws.contains(path):
            found.append(path)
    return list(dict.fromkeys(found))


class BashArgs(ToolArgs):
    command: NonBlank = Field(description="The command line to run.")
    # OpenCode's schema shows zod's positive integer: both bounds of a safe integer and > 0.
    timeout: int | None = Field(None, gt=0, ge=-MAX_SAFE_INTEGER, le=MAX_SAFE_INTEGER,
                                description="Timeout in milliseconds (default 120000).")
    workdir: str | None = Field(None, description="Directory to run in (default: the workspace root).")


class BashTool(ArgsTool[BashArgs]):
    id = "bash"
    description = DESCRIPTION
    Args = BashArgs

    async def run(self, args: BashArgs, ctx: ToolContext) -> ToolResult:
        command = args.command
        timeout_ms = args.timeout or DEFAULT_TIMEOUT_MS
        ws = ctx.workspace
        cwd = ws.root
        if args.workdir:
            cwd = ws.resolve(args.workdir)
            if not await ws.is_dir(cwd):
                raise ToolError(f"workdir {cwd} is not a directory.")
            await ensure_inside(ctx, cwd, kind="directory")
        line = parse_shell(command)
        if line.error is not None:
            # What the parser cannot read cannot be checked, so it does not run.
            raise ToolError(f"The command could not be parsed as bash ({line.error}), so it was not run. "
                            "Fix the syntax (balanced quotes, parentheses and here-documents) and retry.")
        for path in _outside_paths(line, cwd, ws):
            await ensure_inside(ctx, path, kind="directory" if path.is_dir() else "file")
        patterns, always = bash_patterns(line)
        if patterns:
            await ctx.ask("bash", patterns, always=always, metadata={})

        description = command.strip().splitlines()[0][:200]
        chunks: list[bytes] = []
        state = {"dirty": False}

        def snapshot() -> str:
            return b"".join(chunks).decode("utf-8", "replace")

        def push() -> None:
            state["dirty"] = False
            ctx.update(description, {"output": snapshot()[-METADATA_CHARS:], "description": description})

        proc = await asyncio.create_subprocess_exec(
            "bash", "-c", command, cwd=str(cwd), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, start_new_session=True,
        )
        pgid = proc.pid  # a new session makes the shell the leader of its own group

        async def pump() -> None:
            assert proc.stdout is not None
            while True:
                data = await proc.stdout.read(65536)
                if not data:
                    return
                chunks.append(data)
                state["dirty"] = True

        async def tick() -> None:
            while True:
                await asyncio.sleep(UPDATE_INTERVAL)
                if state["dirty"]:
                    push()

        push()
        reader = asyncio.ensure_future(pump())
        ticker = asyncio.ensure_future(tick())
        exited = asyncio.ensure_future(proc.wait())
        aborted = asyncio.ensure_future(ctx.abort.wait())
        ended = "exit"
        try:
            done, _ = await asyncio.wait({exited, aborted}, timeout=timeout_ms / 1000,
                                         return_when=asyncio.FIRST_COMPLETED)
            if exited not in done:
                ended = "abort" if aborted in done else "timeout"
                await terminate_group(proc, pgid)
            # Background jobs may keep the pipe open after the shell exits: stop reading soon.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(reader), DRAIN_GRACE)
        except asyncio.CancelledError:
            _kill_group(pgid, signal.SIGKILL)
            raise
        finally:
            for task in (reader, ticker, exited, aborted):
                task.cancel()
        push()

        text = snapshot()
        notes: list[str] = []
        if ended == "timeout":
            notes.append(f"The command ran longer than its timeout of {int(timeout_ms)} ms and was "
                         "killed. Retry with a larger timeout if it needs more time.")
        elif ended == "abort":
            notes.append("The user aborted the command.")
        elif proc.returncode:
            notes.append(f"Exit code: {proc.returncode}")
        output, truncated, saved = truncate_output(text, ctx.services.data_dir, keep="tail")
        if not output:
            output = "(no output)"
        if notes:
            output += "\n\n<bash_metadata>\n" + "\n".join(notes) + "\n</bash_metadata>"
        metadata: dict[str, Any] = {"output": text[-METADATA_CHARS:], "exit": proc.returncode,
                                    "description": description}
        if truncated:
            metadata.update({"truncated": True, "outputPath": saved})
        return ToolResult(title=description, output=output, metadata=metadata)


tool = BashTool()

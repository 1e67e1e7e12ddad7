"""File tools against generated hostile paths, and deny rules that a move or a symlink tried
to get around. Each outside path must reach the external_directory check before any file is
touched; a denied file stays untouched whichever name the call gives it."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opencode_lsp.core import permission
from opencode_lsp.core.tools import apply_patch, glob, grep, read, write
from opencode_lsp.core.tools.base import ToolContext, ToolError, ToolServices
from opencode_lsp.core.workspace import DiskWorkspace
from tests.security.conftest import record

SECRET = "OUTSIDE-SECRET-77"


class Stopped(Exception):
    def __init__(self, outcome: str):
        self.outcome = outcome


def context(root: Path, rules: list[Any], asks: list[dict[str, Any]]) -> ToolContext:
    async def ask(perm: str, patterns: list[str], always: list[str] | None = None,
                  metadata: dict[str, Any] | None = None) -> None:
        asks.append({"permission": perm, "patterns": list(patterns)})
        actions = [permission.evaluate(perm, p, rules).action for p in patterns]
        if "deny" in actions:
            raise Stopped("denied")
        if "ask" in actions:
            raise Stopped("asked")
    return ToolContext(session_id="ses_x", message_id="msg_x", call_id="c", agent="build",
                       workspace=DiskWorkspace(root), abort=asyncio.Event(), ask=ask,
                       services=ToolServices(data_dir=str(root.parent / "data")))


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("paths")
    root, outside = base / "ws", base / "outside"
    (root / "src").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET + "\n")
    (root / "src" / "ok.py").write_text("x = 1\n")
    (root / "link.txt").symlink_to(outside / "secret.txt")
    (root / "linkdir").symlink_to(outside)
    (root / "src" / "up").symlink_to(base)
    return {"root": root, "outside": outside, "base": base}


# --- generated paths --------------------------------------------------------------------

def hostile_paths(tree: dict[str, Path]) -> st.SearchStrategy[str]:
    outside = str(tree["outside"])
    dotdots = st.integers(1, 4).map(lambda n: "/".join([".."] * n))
    return st.one_of(
        st.tuples(dotdots, st.sampled_from(["outside/secret.txt", "outside", "outside/*", "*/secret*"]))
          .map(lambda t: f"{t[0]}/{t[1]}"),
        st.sampled_from([outside + "/secret.txt", outside, outside + "/*", outside.upper() + "/secret.txt",
                         "/etc/passwd", "/etc/pass*", "~/.ssh/*", "~", "~/", "$HOME/x",
                         "link.txt", "linkdir/secret.txt", "linkdir/*", "src/up/outside/secret.txt",
                         "src/../../outside/secret.txt", "./src/./../../outside/secret.txt",
                         "src/up/outside/*", "LINK.TXT", "Link.txt", "//" + outside.lstrip("/") + "/secret.txt"]),
        st.tuples(st.sampled_from(["src", ".", "src/.."]), dotdots, st.sampled_from(["outside/secret.txt", "*"]))
          .map(lambda t: "/".join(t)),
    )


async def attempt(tool_id: str, raw: str, ctx: ToolContext) -> str:
    args = {"read": {"filePath": raw}, "write": {"filePath": raw, "content": "overwritten"},
            "glob": {"pattern": raw}, "grep": {"pattern": "SECRET", "path": raw}}[tool_id]
    tool = {"read": read.tool, "write": write.tool, "glob": glob.tool, "grep": grep.tool}[tool_id]
    try:
        result = await tool.execute(args, ctx)
    except Stopped as stop:
        return stop.outcome
    except ToolError:
        return "refused"
    if SECRET in result.output:
        return "leaked"
    # glob leaks names, not contents: a listed file that really lives outside is a leak too.
    inside = Path(ctx.workspace.root).resolve()
    listed = [Path(line) for line in result.output.splitlines() if line.startswith("/")] if tool_id == "glob" else []
    return "leaked" if any(not p.resolve().is_relative_to(inside) for p in listed) else "ran"


@settings(max_examples=int(os.environ.get("SECURITY_EXAMPLES", "300")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data(), tool_id=st.sampled_from(["read", "write", "glob", "grep"]))
def test_generated_outside_paths_never_reach_outside_files(tree, data, tool_id):
    raw = data.draw(hostile_paths(tree))
    rules = permission.from_config({"*": "allow", "external_directory": "deny"})
    asks: list[dict[str, Any]] = []
    before = (tree["outside"] / "secret.txt").read_text()
    outcome = asyncio.run(attempt(tool_id, raw, context(tree["root"], rules, asks)))
    record("paths", outcome)
    assert outcome != "leaked", (tool_id, raw)
    assert (tree["outside"] / "secret.txt").read_text() == before == SECRET + "\n", (tool_id, raw)
    stray = [p for p in tree["base"].rglob("*") if p.is_file() and p.read_text(errors="replace") == "overwritten"]
    for p in stray:  # a write that stayed inside the workspace is fine; clean it up
        assert p.resolve().is_relative_to(tree["root"].resolve()), (tool_id, raw, p)
        p.unlink()


# --- deny rules around moves and symlinks ------------------------------------------------

def test_apply_patch_move_asks_for_the_deleted_source(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "locked.txt").write_text("keep me\n")
    rules = permission.from_config({"*": "allow", "edit": {"*": "allow", "locked.txt": "deny"}})
    asks: list[dict[str, Any]] = []
    patch = "*** Begin Patch\n*** Update File: locked.txt\n*** Move to: free.txt\n@@\n-keep me\n+moved\n*** End Patch"
    outcome = asyncio.run(_run(apply_patch.tool, {"patchText": patch}, context(root, rules, asks)))
    assert outcome == "denied"
    assert (root / "locked.txt").read_text() == "keep me\n" and not (root / "free.txt").exists()
    assert {"locked.txt", "free.txt"} <= set(asks[-1]["patterns"])


def test_write_through_a_symlink_is_checked_against_its_target(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "locked.txt").write_text("keep me\n")
    (root / "alias.txt").symlink_to(root / "locked.txt")
    rules = permission.from_config({"*": "allow", "edit": {"*": "allow", "locked.txt": "deny"}})
    asks: list[dict[str, Any]] = []
    outcome = asyncio.run(_run(write.tool, {"filePath": "alias.txt", "content": "gone"}, context(root, rules, asks)))
    assert outcome == "denied" and (root / "locked.txt").read_text() == "keep me\n"


async def _run(tool: Any, args: dict[str, Any], ctx: ToolContext) -> str:
    try:
        await tool.execute(args, ctx)
    except Stopped as stop:
        return stop.outcome
    return "ran"


@pytest.mark.parametrize("pattern", ["linkdir/*", "linkdir/secret.txt", "src/up/outside/*"])
def test_glob_through_a_symlinked_directory_asks_before_listing(tree, pattern):
    # ripgrep follows a start directory it is given even when that is a symlink leading out.
    rules = permission.from_config({"*": "allow", "external_directory": "deny"})
    asks: list[dict[str, Any]] = []
    outcome = asyncio.run(attempt("glob", pattern, context(tree["root"], rules, asks)))
    assert outcome == "denied", (pattern, asks)

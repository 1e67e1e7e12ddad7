"""Any sequence of undo (revert) and redo (revert forward, unrevert) restores the tree byte for
byte, through the real loop, tools and shadow git over a scripted model. Some files are open in
an editor stand-in whose buffers must follow the disk."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opencode_lsp.core.workspace import DiskWorkspace

from .test_compaction import ask, make_app

NAMES = ["a.txt", "b.txt", "calc.py", "sub/c.txt"]


class EditorStandIn(DiskWorkspace):
    """Open files have buffers; a write reaches the buffer and the disk, ``show_disk`` pulls the
    disk into the buffer (what ``EditorWorkspace`` does over LSP)."""

    def __init__(self, root: Path, open_names: list[str]):
        super().__init__(root)
        self.shown: set[str] = set()
        self.buffers = {str(root / n): (root / n).read_text() if (root / n).exists() else None for n in open_names}

    async def write_text(self, path: Path, text: str) -> None:
        await super().write_text(path, text)
        if str(path) in self.buffers:
            self.buffers[str(path)] = text

    async def delete(self, path: Path) -> None:
        await super().delete(path)

    async def show_disk(self, path: Path) -> None:
        self.shown.add(str(path))
        if str(path) in self.buffers:
            self.buffers[str(path)] = path.read_text() if path.is_file() else None


def action(ws: Path):
    name = st.sampled_from(NAMES)
    text = st.text(alphabet="xyz\n", min_size=0, max_size=12)
    return st.one_of(
        st.builds(lambda n, t: {"tool": "write", "args": {"filePath": str(ws / n), "content": t + "x\n"}}, name, text),
        st.builds(lambda n: {"tool": "edit", "args": {"filePath": str(ws / n), "oldString": "x", "newString": "y",
                                                      "replaceAll": True}}, name),
        st.builds(lambda n, t: {"tool": "apply_patch", "args": {"patchText":
                  f"*** Begin Patch\n*** Add File: {n}\n+{t.replace(chr(10), '')}patched\n*** End Patch"}}, name, text),
        st.builds(lambda n: {"tool": "apply_patch", "args": {"patchText":
                  f"*** Begin Patch\n*** Delete File: {n}\n*** End Patch"}}, name),
        st.builds(lambda n, t: {"tool": "bash", "args": {"command": f"mkdir -p sub && printf '{t}b' > {n}",
                                                         "description": "make"}}, name, st.text("xyz", max_size=5)),
        st.builds(lambda n: {"tool": "bash", "args": {"command": f"rm -f {n}", "description": "remove"}}, name),
    )


def tree(ws: Path) -> dict[str, bytes]:
    return {p.relative_to(ws).as_posix(): p.read_bytes() for p in sorted(ws.rglob("*")) if p.is_file()}


async def play(tmp: Path, turns: list[list[dict]], walk: list[tuple[str, int]], open_names: list[str]) -> None:
    app, model = make_app(tmp, [])
    ws = app.root
    (ws / "a.txt").write_text("x one\n")
    (ws / "calc.py").write_text("def add(a, b):\n    return a - b  # x\n")
    editor = EditorStandIn(ws, open_names)
    app.workspace = editor
    sid = app.sessions.create().id
    recorded = [tree(ws)]
    users = []
    for calls in turns:
        model.turns = [calls, "done"]
        await ask(app, sid, "work")
        users.append([e for e in app.sessions.messages(sid) if e["info"]["role"] == "user"][-1]["info"]["id"])
        recorded.append(tree(ws))
    position = len(turns)
    for step, (kind, target) in enumerate(walk):
        if kind == "undo" and position > 0:
            position -= 1
            await app.revert.revert(sid, users[position])
        elif kind == "redo" and position < len(turns):
            position += 1
            if position == len(turns):
                await app.revert.unrevert(sid)
            else:
                await app.revert.revert(sid, users[position])
        elif kind == "jump":
            position = target % (len(turns) + 1)
            if position == len(turns):
                await app.revert.unrevert(sid)
            else:
                await app.revert.revert(sid, users[position])
        assert tree(ws) == recorded[position], f"after step {step} ({kind}) at turn {position}"
        # Every open file the step put back was shown to the editor.
        for name in editor.shown & set(editor.buffers):
            disk = Path(name).read_text() if Path(name).is_file() else None
            assert editor.buffers[name] == disk, f"buffer of {name} differs from the disk"
        editor.shown.clear()


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_walk_of_undo_and_redo_restores_the_tree(data):
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        turns = data.draw(st.lists(st.lists(action(ws), min_size=1, max_size=2), min_size=1, max_size=4), "turns")
        walk = data.draw(st.lists(st.tuples(st.sampled_from(["undo", "redo", "jump"]), st.integers(0, 4)),
                                  min_size=1, max_size=8), "walk")
        open_names = data.draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=2), "open")
        asyncio.run(play(Path(tmp), turns, walk, open_names))


def test_the_reported_walk_keeps_turn_one(tmp_path):
    """Turn 1 edits calc.py, turn 2 writes CHANGES.md; undo, undo, redo, redo."""
    ws = tmp_path / "ws"
    turns = [[{"tool": "edit", "args": {"filePath": str(ws / "calc.py"), "oldString": "a - b", "newString": "a + b"}}],
             [{"tool": "write", "args": {"filePath": str(ws / "CHANGES.md"), "content": "fixed add\n"}}]]
    asyncio.run(play(tmp_path, turns, [("undo", 0), ("undo", 0), ("redo", 0), ("redo", 0)], ["calc.py"]))

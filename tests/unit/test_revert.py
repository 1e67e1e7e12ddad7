"""Snapshots, patch parts, diffs, revert/unrevert and cleanup, through the real loop and tools
(write, edit, bash) over a scripted model, on real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from opencode_lsp.core.errors import BusyError, NotFoundError
from opencode_lsp.core.revert import revert_point
from opencode_lsp.core.workspace import DiskWorkspace

from .test_compaction import ask, make_app


def edit_turns(ws: Path) -> list:
    return [
        [{"tool": "write", "args": {"filePath": str(ws / "new.txt"), "content": "created\n"}}],
        [{"tool": "edit", "args": {"filePath": str(ws / "hello.py"), "oldString": "hi", "newString": "hello"}}],
        [{"tool": "bash", "args": {"command": "echo from-bash > made.txt && rm gone.txt", "description": "shell"}}],
        "All three done.",
    ]


def setup(tmp_path: Path, extra_turns: list | None = None):
    app, model = make_app(tmp_path, [])
    ws = app.root
    (ws / "hello.py").write_text('print("hi")\n')
    (ws / "gone.txt").write_text("delete me\n")
    (ws / ".gitignore").write_text("ignored.log\n")
    model.turns = edit_turns(ws) + (extra_turns or [])
    return app, model, ws


def files(ws: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(ws.iterdir()) if p.is_file()}


async def test_steps_record_patches_and_turn_diffs(tmp_path):
    app, _, ws = setup(tmp_path)
    events = []
    app.bus.subscribe(lambda e: events.append(e))
    sid = app.sessions.create().id
    await ask(app, sid, "change things")
    entries = app.sessions.messages(sid)
    patches = [p for e in entries for p in e["parts"] if p["type"] == "patch"]
    assert [sorted(Path(f).name for f in p["files"]) for p in patches] == [
        ["new.txt"], ["hello.py"], ["gone.txt", "made.txt"]]
    diffs = {d["file"]: d for d in entries[0]["info"]["summary"]["diffs"]}
    assert set(diffs) == {"new.txt", "hello.py", "gone.txt", "made.txt"}
    # OpenCode 1.18.33's form: a whole-file unified patch, no before/after texts.
    assert diffs["hello.py"]["patch"] == ('Index: hello.py\n' + '=' * 67 + '\n--- hello.py\t\n+++ hello.py\t\n'
                                          '@@ -1,1 +1,1 @@\n-print("hi")\n+print("hello")\n')
    assert "before" not in diffs["hello.py"] and "after" not in diffs["hello.py"]
    assert diffs["gone.txt"]["status"] == "deleted" and diffs["new.txt"]["status"] == "added"
    # Step parts carry the snapshots (OpenCode 1.18.33): step-start the tree the step began from
    # (the patch part's hash), step-finish the tree it ended with (the next step starts there).
    steps = [[p for p in e["parts"] if p["type"] in ("step-start", "step-finish", "patch")]
             for e in entries if e["info"]["role"] == "assistant"]
    for i, (start, finish, *patch) in enumerate(steps):
        assert start["snapshot"] and finish["snapshot"]
        if patch:
            assert patch[0]["hash"] == start["snapshot"] and finish["snapshot"] != start["snapshot"]
        else:
            assert finish["snapshot"] == start["snapshot"]
        if i:
            assert start["snapshot"] == steps[i - 1][1]["snapshot"]
    summary = app.sessions.get(sid).summary
    assert summary.files == 4 and summary.additions == 3 and summary.deletions == 2
    assert any(e.type == "session.diff" and e.properties["sessionID"] == sid for e in events)
    # The shadow repository lives outside the workspace.
    assert not (ws / ".git").exists() and (tmp_path / "data" / "snapshot" / "HEAD").exists()


async def test_revert_unrevert_and_cleanup_on_next_prompt(tmp_path):
    app, model, ws = setup(tmp_path, ["A fresh answer."])
    sid = app.sessions.create().id
    before = files(ws)
    await ask(app, sid, "change things")
    after = files(ws)
    assert after != before and after["made.txt"] == "from-bash\n"
    entries = app.sessions.messages(sid)
    user_id = entries[0]["info"]["id"]

    # Reverting the second step's message reverts the whole turn, from its user message.
    info = await app.revert.revert(sid, entries[2]["info"]["id"])
    assert info.revert.messageID == user_id and info.revert.snapshot
    assert files(ws) == before
    assert "hello" in info.revert.diff  # what the revert undid, as a unified diff
    assert len(app.sessions.messages(sid)) == len(entries)  # still there until the next prompt

    info = await app.revert.unrevert(sid)
    assert info.revert is None and files(ws) == after

    await app.revert.revert(sid, user_id)
    assert files(ws) == before
    result = await ask(app, sid, "start over")
    assert result.parts[-2].text == "A fresh answer."
    remaining = app.sessions.messages(sid)
    assert [e["parts"][0]["text"] for e in remaining if e["info"]["role"] == "user"] == ["start over"]
    assert app.sessions.get(sid).revert is None
    assert "change things" not in str(model.requests[-1].messages)


async def test_revert_from_a_part_keeps_what_came_before(tmp_path):
    app, _, ws = setup(tmp_path)
    sid = app.sessions.create().id
    await ask(app, sid, "change things")
    entries = app.sessions.messages(sid)
    edit_message = entries[2]
    edit_tool = next(p for p in edit_message["parts"] if p["type"] == "tool")
    # A tool part right after step-start has nothing before it worth keeping: whole turn.
    assert revert_point(entries, edit_message["info"]["id"], edit_tool["id"])[0] == entries[0]["info"]["id"]
    # From the bash message's patch part on: only bash's changes are undone.
    bash_message = entries[3]
    patch = next(p for p in bash_message["parts"] if p["type"] == "patch")
    info = await app.revert.revert(sid, bash_message["info"]["id"], patch["id"])
    assert info.revert.messageID == bash_message["info"]["id"] and info.revert.partID == patch["id"]
    now = files(ws)
    assert now["hello.py"] == 'print("hello")\n' and "new.txt" in now
    assert "made.txt" not in now and now["gone.txt"] == "delete me\n"
    await app.revert.cleanup(sid)
    kept = app.sessions.message(sid, bash_message["info"]["id"])
    assert [p.type for p in kept.parts] == ["step-start", "tool", "step-finish"]


async def test_revert_errors(tmp_path):
    app, _, _ = setup(tmp_path)
    sid = app.sessions.create().id
    with pytest.raises(NotFoundError):
        await app.revert.revert(sid, "msg_missing")
    app.runner.runs[sid] = object()
    with pytest.raises(BusyError):
        await app.revert.revert(sid, "msg_any")
    with pytest.raises(BusyError):
        await app.revert.unrevert(sid)


class BufferWorkspace(DiskWorkspace):
    """An editor stand-in: open files have buffers; writes reach the buffer and the disk (the
    rule for open documents), and ``show_disk`` brings a buffer in line after a revert."""

    def __init__(self, root: Path, open_files: dict[str, str]):
        super().__init__(root)
        self.buffers = open_files
        self.shown: list[str] = []

    async def write_text(self, path: Path, text: str) -> None:
        await super().write_text(path, text)
        if str(path) in self.buffers:
            self.buffers[str(path)] = text

    async def show_disk(self, path: Path) -> None:
        if str(path) in self.buffers:
            self.shown.append(str(path))
            self.buffers[str(path)] = path.read_text()


async def test_open_buffers_follow_revert_and_unrevert(tmp_path):
    app, model, ws = setup(tmp_path)
    hello = str(ws / "hello.py")
    workspace = BufferWorkspace(ws, {hello: 'print("hi")\n'})
    app.workspace = workspace
    sid = app.sessions.create().id
    await ask(app, sid, "change things")
    assert workspace.buffers[hello] == 'print("hello")\n' == (ws / "hello.py").read_text()
    user_id = app.sessions.messages(sid)[0]["info"]["id"]
    await app.revert.revert(sid, user_id)
    assert workspace.buffers[hello] == 'print("hi")\n' == (ws / "hello.py").read_text()
    await app.revert.unrevert(sid)
    assert workspace.buffers[hello] == 'print("hello")\n' == (ws / "hello.py").read_text()
    assert workspace.shown.count(hello) == 2

"""The Neovim plugin as a person uses it: real Neovim 0.11 in tmux (send-keys, capture-pane),
the real server over stdio, the scripted model over HTTP.

What is asserted is what the screen shows (and, for typed text, the file written with :w): an
ask arriving while the user types in another buffer takes no keystroke, the diff is on screen
before the ask is answered with its key, a sent prompt shows at once, a prompt sent while the
agent streams is marked queued, and a restarted Neovim offers to continue the last session.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.editors.nvim_tmux import TMUX, NvimInTmux
from tests.support.fake_openai import is_title_request

@pytest.fixture
def fake_title() -> str:
    return "Greeting work"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "hello.py").write_text('print("hi")\n')
    (root / ".git").mkdir()
    # Edits ask first (OpenCode's "ask" action), so the diff is reviewed before it lands.
    (root / "opencode.json").write_text(json.dumps({"permission": {"edit": "ask"}}))
    return root


@pytest.fixture
def nvims(workspace, tmp_path, fake):
    assert TMUX, "tmux is needed for the Neovim UI tests (scripts/test installs it from Debian)"
    started: list[NvimInTmux] = []

    def start(*files: str, name: str = "nvim", size: tuple[int, int] = (200, 50), model: str | None = "fake/m") -> NvimInTmux:
        nvim = NvimInTmux(workspace, tmp_path, fake.base_url, name=name, size=size, model=model).start(*files)
        started.append(nvim)
        return nvim

    yield start
    for nvim in started:
        nvim.quit()


def chat_column(screen: str) -> list[str]:
    """The right-hand window (the chat, a vertical split) as lines."""
    out = []
    for line in screen.splitlines():
        if "│" in line:
            out.append(line.split("│", 1)[1].rstrip())
    return out


def edit_call(path: Path, call_id: str) -> dict:
    return {"tool_call": {"name": "edit", "id": call_id,
                          "arguments": {"filePath": str(path), "oldString": 'print("hi")', "newString": 'print("bye")'}}}


def test_ask_while_typing_elsewhere_takes_no_keystroke(nvims, workspace, fake):
    hello = workspace / "hello.py"
    # The pause puts the ask in the middle of the user's typing.
    fake.set_script([[{"sleep": 3}, edit_call(hello, "call_1")]])
    nvim = nvims("hello.py")
    nvim.command("OpenCode ask change the greeting to bye")
    # The chat opened beside the file; the cursor stayed in hello.py.
    nvim.wait_screen("change the greeting to bye", "the prompt in the chat")
    nvim.keys("G")
    nvim.keys("o")
    nvim.type("total = 1")
    screen = nvim.wait_screen("## ⚠ permission: edit hello.py", "the ask")
    # Still typing: these keys include a, r, A, R and Enter, every answer key and more.
    nvim.type(" # a r A R")
    nvim.keys("Enter")
    nvim.type("rarely = 2")
    nvim.keys("Escape")
    nvim.command("w")
    nvim.wait_screen(lambda s: "written" in s, "the write")
    assert hello.read_text() == 'print("hi")\ntotal = 1 # a r A R\nrarely = 2\n'
    screen = nvim.screen()
    chat = chat_column(screen)
    # The ask is still pending, shown in the chat, and announced in the chat's winbar.
    assert "## ⚠ permission: edit hello.py" in chat
    assert chat[0].startswith("opencode asks: edit hello.py · :OpenCode permission")
    assert not any("rejected" in line for line in chat)
    # No typed text landed in the chat's input (the lines under the separator).
    sep = next(i for i, line in enumerate(chat) if line.startswith("──── message"))
    assert all(line in ("", "~") for line in chat[sep + 1:]), chat[sep:]
    assert fake.pending_turns == 0 and len([r for r in fake.requests if not is_title_request(r)]) == 1
    # Rejected with its key, on the block: the run stops there.
    nvim.command("OpenCode permission")
    nvim.keys("r")
    screen = nvim.wait_screen("✗ edit hello.py (error)", "the rejected edit")
    assert "## ⚠ permission" not in screen
    assert hello.read_text().startswith('print("hi")\n')


def test_diff_shown_before_approval_and_answered_with_its_key(nvims, workspace, fake):
    hello = workspace / "hello.py"
    fake.set_script([[edit_call(hello, "call_1")], [{"text": "Changed the greeting."}]])
    nvim = nvims("hello.py")
    nvim.command("OpenCode ask change the greeting to bye")
    screen = nvim.wait_screen("## ⚠ permission: edit hello.py", "the ask")
    chat = chat_column(nvim.wait_screen("(cursor on this block)", "the whole ask block"))
    start = chat.index("## ⚠ permission: edit hello.py")
    block = chat[start:]
    # "always" on an edit grants that one file, so the block names it (not `*`).
    assert block[1] == '"always" would allow edit: `hello.py`'
    assert block[2] == "```diff"
    assert '-print("hi")' in block and '+print("bye")' in block
    assert block.index('-print("hi")') < block.index("[a] allow once · [A] always allow · [r] reject · [R] reject with a note")
    # Nothing is written before the answer.
    assert hello.read_text() == 'print("hi")\n'
    assert fake.pending_turns == 1
    nvim.command("OpenCode permission")
    nvim.keys("a")
    screen = nvim.wait_screen("Changed the greeting.", "the answer after the edit")
    chat = chat_column(screen)
    assert any(line.startswith("✓ edit hello.py (completed)") for line in chat), screen
    assert "W12" not in screen and "Load File" not in screen  # no question eats the next key
    assert not any(line.startswith("## ⚠ permission") for line in chat)
    # The edit reached the open buffer (the left window) and the disk.
    assert screen.splitlines()[0].startswith('print("bye")')
    assert hello.read_text() == 'print("bye")\n'


def test_echo_on_send_and_a_queued_prompt(nvims, workspace, fake):
    fake.set_script([
        [{"sleep": 2}, {"text": "Once upon a time ", "chunks": 3}, {"sleep": 6}, {"text": "the end."}],
        [{"text": "Second answer."}],
    ])
    nvim = nvims("hello.py")
    nvim.command("OpenCode chat")
    nvim.wait_screen("message · <CR> send", "the chat")
    nvim.keys("i")
    nvim.type("tell a story")
    nvim.keys("Escape")
    nvim.keys("Enter")
    # Shown at once, with the working line, before any answer (the model waits 2 s to start).
    screen = nvim.wait_screen(lambda s: "## You" in s and "tell a story" in s, "the echo")
    chat = chat_column(screen)
    assert chat[chat.index("## You") + 1] == "tell a story"
    assert any(line.startswith("_working…") for line in chat)
    assert "Once upon" not in screen
    nvim.wait_screen("Once upon a time", "the stream")
    nvim.keys("i")
    nvim.type("and another")
    nvim.keys("Escape")
    nvim.keys("Enter")
    screen = nvim.wait_screen("## You · queued", "the queued prompt")
    chat = chat_column(screen)
    queued = chat.index(next(line for line in chat if line.startswith("## You · queued")))
    assert chat[queued + 1] == "and another"
    assert "the end." not in screen  # still streaming the first answer
    # The first answer finishes, then the running loop answers the queued prompt.
    screen = nvim.wait_screen(lambda s: "Second answer." in s and "queued" not in s, "the queued prompt's answer")
    chat = chat_column(screen)
    assert chat.index("Once upon a time the end.") < chat.index("and another") < chat.index("Second answer.")


def test_resume_after_restart(nvims, workspace, fake, tmp_path):
    fake.set_script([[{"text": "The greeting says hi."}]])
    first = nvims("hello.py", name="first")
    first.command("OpenCode ask what does the greeting say")
    first.wait_screen("The greeting says hi.", "the answer")
    first.quit()
    second = nvims("hello.py", name="second")
    second.command("OpenCode chat")
    screen = second.wait_screen(":OpenCode continue_", "the resume hint")
    assert "_No session yet" in screen and "Last session: Greeting work" in screen
    second.command("OpenCode continue")
    screen = second.wait_screen("The greeting says hi.", "the continued session")
    chat = chat_column(screen)
    assert "what does the greeting say" in chat and re.match(r"# Greeting work", chat[0] or chat[1])


def test_agent_edit_and_undo_leave_the_open_buffer_saved(nvims, workspace, fake):
    """The agent's edit and its undo change the open buffer and the disk alike: the buffer is not
    left marked modified, and :w writes without Neovim's "changed since reading it" question."""
    (workspace / "opencode.json").write_text(json.dumps({"permission": {"edit": "allow"}}))
    hello = workspace / "hello.py"
    fake.set_script([[edit_call(hello, "call_1")], [{"text": "Changed the greeting."}]])
    nvim = nvims("hello.py")
    nvim.command("OpenCode ask change the greeting to bye")
    nvim.wait_screen("Changed the greeting.", "the answer after the edit")
    assert hello.read_text() == 'print("bye")\n'
    nvim.keys("C-w", "h")  # to the file's window
    screen = nvim.wait_screen(lambda s: 'print("bye")' in s and "hello.py [+]" not in s,
                              "the edited buffer shown saved")
    nvim.command("OpenCode undo")
    screen = nvim.wait_screen(lambda s: 'print("hi")' in s and "undid the last turn" in s,
                              "the undone edit in the buffer")
    assert hello.read_text() == 'print("hi")\n'
    assert "hello.py [+]" not in nvim.wait_screen(lambda s: "hello.py [+]" not in s, "the buffer saved after undo")
    nvim.command("w")
    screen = nvim.wait_screen("written", "the write")
    assert "changed since reading" not in screen, screen
    assert hello.read_text() == 'print("hi")\n'


def test_chat_in_an_80_column_terminal_leaves_the_file_half_the_screen(nvims):
    # The default chat width is 80: in an 80x24 terminal the file's window was left one column.
    nvim = nvims("hello.py", size=(80, 24))
    nvim.command("OpenCode chat")
    screen = nvim.wait_screen("message · <CR> send", "the chat to open")
    file_width = min(line.index("│") for line in screen.splitlines() if "│" in line)
    assert file_width >= 39, screen
    assert 'print("hi")' in screen


def test_a_refused_prompt_goes_back_in_the_input(nvims, workspace):
    # No model anywhere: the server refuses the prompt. The input is cleared on <CR>, and the
    # text typed was gone with the refusal.
    nvim = nvims("hello.py", model=None)
    nvim.command("OpenCode chat")
    nvim.wait_screen("message · <CR> send", "the chat to open")
    nvim.keys("i")
    nvim.type("a prompt worth keeping")
    nvim.keys("Escape")
    nvim.keys("Enter")
    nvim.wait_screen("No model is configured", "the refusal")
    column = chat_column(nvim.wait_screen(lambda s: "a prompt worth keeping" in s.split("message · <CR> send", 1)[-1],
                                          "the prompt back in the input"))
    below = column[next(i for i, line in enumerate(column) if "message · <CR> send" in line) + 1:]
    assert below[0] == "a prompt worth keeping"
    assert not any(line.startswith("## You") for line in column)

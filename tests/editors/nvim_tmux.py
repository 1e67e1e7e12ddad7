"""Real Neovim 0.11 in tmux, driven as a person drives it: keys in, screen text out.

``NvimInTmux`` starts ``nvim`` in a detached tmux session (200x50 cells unless told) on a private tmux
server (its own socket, so tests never touch a user's tmux), with the plugin on 'runtimepath'
through an init file, the server command pointing at this checkout, and every store and XDG
directory inside the test's temporary folder. ``keys()`` is ``tmux send-keys``; ``screen()`` is
``tmux capture-pane -p``; ``wait_screen()`` polls the screen until a predicate holds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "editors" / "nvim"
NVIM = shutil.which("nvim", path=str(Path(sys.executable).parent)) or "nvim"
TMUX = shutil.which("tmux")

INIT = """
vim.opt.rtp:prepend({plugin!r})
vim.o.swapfile = false
vim.o.shortmess = vim.o.shortmess .. 'I'
require('opencode').setup({{
  cmd = {{ {python!r}, '-m', 'opencode_lsp', '--stdio' }},
  model = {model},
  providers = {{ fake = {{ apiBase = {api!r} }} }},
}})
"""


class NvimInTmux:
    def __init__(self, workspace: Path, tmp: Path, api: str, name: str = "nvim", size: tuple[int, int] = (200, 50),
                 model: str | None = "fake/m"):
        self.workspace = workspace
        self.size = size
        self.socket = f"oc-{uuid.uuid4().hex[:10]}"
        self.session = name
        self.init = tmp / f"init-{name}.lua"
        self.init.write_text(INIT.format(plugin=str(PLUGIN), python=sys.executable, api=api,
                                         model=repr(model) if model else "nil"))
        xdg = tmp / "xdg"
        self.env = {
            **os.environ,
            "HOME": str(tmp / "home"),
            "OPENCODE_LSP_DATA_DIR": str(tmp / "data"),
            "OPENCODE_LSP_NO_GLOBAL_CONFIG": "1",
            "PYTHONPATH": str(REPO),
            "XDG_CONFIG_HOME": str(xdg / "config"),
            "XDG_DATA_HOME": str(xdg / "data"),
            "XDG_STATE_HOME": str(xdg / "state"),
            "XDG_CACHE_HOME": str(xdg / "cache"),
            "TERM": "xterm-256color",
        }
        self.env.pop("TMUX", None)
        (tmp / "home").mkdir(exist_ok=True)

    def tmux(self, *args: str) -> str:
        proc = subprocess.run([TMUX, "-L", self.socket, *args], env=self.env, cwd=self.workspace,
                              capture_output=True, text=True, timeout=30)
        if proc.returncode != 0:
            raise RuntimeError(f"tmux {args[0]} failed: {proc.stderr}")
        return proc.stdout

    def start(self, *files: str) -> "NvimInTmux":
        cmd = " ".join([NVIM, "-u", str(self.init), "-i", "NONE", *files])
        self.tmux("new-session", "-d", "-s", self.session, "-x", str(self.size[0]), "-y", str(self.size[1]), cmd)
        self.wait_screen(lambda s: "~" in s or any(f in s for f in files), "nvim to draw")
        return self

    def keys(self, *keys: str, literal: bool = False) -> None:
        args = ["send-keys", "-t", self.session]
        if literal:
            args.append("-l")
        self.tmux(*args, *keys)

    def type(self, text: str) -> None:
        """Type text literally, one key at a time, as a person would."""
        for ch in text:
            self.keys(ch, literal=True)
            time.sleep(0.02)

    def command(self, text: str) -> None:
        self.keys("Escape")
        self.keys(":" + text, literal=True)
        self.keys("Enter")

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session)

    def wait_screen(self, predicate: Callable[[str], bool] | str, what: str, timeout: float = 90) -> str:
        check = (lambda s: predicate in s) if isinstance(predicate, str) else predicate
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            try:
                screen = self.screen()
            except RuntimeError:
                screen = ""
            if check(screen):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; the screen:\n{screen}")

    def alive(self) -> bool:
        return subprocess.run([TMUX, "-L", self.socket, "has-session", "-t", self.session], env=self.env,
                              capture_output=True).returncode == 0

    def quit(self) -> None:
        """:qa! and wait for nvim (and so its server) to end, then stop this tmux server."""
        if self.alive():
            self.command("qa!")
            deadline = time.monotonic() + 30
            while self.alive() and time.monotonic() < deadline:
                time.sleep(0.2)
        subprocess.run([TMUX, "-L", self.socket, "kill-server"], env=self.env, capture_output=True)

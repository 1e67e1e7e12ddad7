"""A real VS Code for the end-to-end tests: code-server 4.100.3 with the extension's .vsix installed,
the real Python server started by the extension, the scripted model on 127.0.0.1, and Playwright
driving Debian's Chromium (never a downloaded browser).

``scripts/install-code-server`` builds code-server into a cache outside the clone (``scripts/test``
runs it and exports ``OPENCODE_LSP_CODE_SERVER``)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "editors" / "vscode"
ARTIFACTS = REPO / "tests" / "artifacts" / "vscode-e2e"
CHROMIUM = "/usr/bin/chromium"
EXTENSION_ID = "opencode-lsp.opencode-lsp-vscode"


def code_server_entry() -> Path:
    entry = os.environ.get("OPENCODE_LSP_CODE_SERVER")
    if not entry:
        out = subprocess.run([str(REPO / "scripts" / "install-code-server")], check=True, capture_output=True, text=True)
        entry = out.stdout.strip().splitlines()[-1]
    return Path(entry)


def build_vsix(dest: Path) -> Path:
    """The packaged extension exactly as a user installs it (production bundle)."""
    subprocess.run(["npm", "run", "-s", "package"], cwd=EXTENSION, check=True, capture_output=True, timeout=600)
    vsix = dest / "opencode-lsp-vscode.vsix"
    shutil.copy(EXTENSION / "dist" / "opencode-lsp-vscode.vsix", vsix)
    # Back to the development bundle (with source maps) the other tests load.
    subprocess.run(["npm", "run", "-s", "build"], cwd=EXTENSION, check=True, capture_output=True, timeout=600)
    return vsix


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class CodeServer:
    entry: Path
    root: Path
    workspace: Path
    settings: dict[str, Any]
    env: dict[str, str]
    port: int = 0
    process: subprocess.Popen | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.user_data = self.root / "user-data"
        self.extensions = self.root / "extensions"
        self.home = self.root / "home"
        self.log = self.root / "code-server.log"
        for d in (self.user_data / "User", self.extensions, self.home):
            d.mkdir(parents=True, exist_ok=True)
        self.write_settings(self.settings)

    def write_settings(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        (self.user_data / "User" / "settings.json").write_text(json.dumps(settings, indent=2))

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VSCODE_", "ELECTRON_"))}
        env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_DATA_HOME=str(self.home / ".local/share"),
            XDG_CACHE_HOME=str(self.home / ".cache"),
            EXTENSIONS_GALLERY='{"serviceUrl":"http://127.0.0.1:9/gallery","itemUrl":"http://127.0.0.1:9/item"}',
        )
        env.update(self.env)
        return env

    def _base_args(self) -> list[str]:
        return ["node", str(self.entry), "--user-data-dir", str(self.user_data), "--extensions-dir", str(self.extensions)]

    def install(self, vsix: Path) -> None:
        subprocess.run([*self._base_args(), "--install-extension", str(vsix)], env=self._env(), check=True,
                       capture_output=True, timeout=300)

    def start(self) -> None:
        self.port = free_port()
        args = [*self._base_args(), "--auth", "none", "--bind-addr", f"127.0.0.1:{self.port}",
                "--disable-telemetry", "--disable-update-check", "--disable-getting-started-override",
                "--disable-workspace-trust" if self.settings.get("security.workspace.trust.enabled") is False else "--",
                str(self.workspace)]
        args = [a for a in args if a != "--"]
        self.process = subprocess.Popen(args, env=self._env(), stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"code-server exited: {self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("code-server did not answer /healthz in 120 s")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/?folder={self.workspace}"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(10)


def server_processes(workspace: Path) -> list[int]:
    """Pids of opencode_lsp servers whose working directory is the workspace."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
            if b"opencode_lsp" not in cmd or Path(os.readlink(proc / "cwd")) != workspace:
                continue
            state = next((l for l in (proc / "status").read_text().splitlines() if l.startswith("State:")), "")
            if "Z" not in state.split()[1:2]:
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def wait_until(predicate: Callable[[], Any], timeout: float = 60, message: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(0.25)


__all__ = ["ARTIFACTS", "CHROMIUM", "CodeServer", "EXTENSION_ID", "build_vsix", "code_server_entry",
           "server_processes", "wait_until", "sys"]

"""A signal, or a client that vanishes mid-run, ends the process with one line, not a flood of
logging tracebacks (the client-forwarding log handler once looped on the dead pipe)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.fake_openai import FakeOpenAI, is_title_request


def start_run(project: Path, tmp_path: Path, base_url: str) -> subprocess.Popen:
    (project / "opencode.json").write_text(json.dumps({
        "model": "fake/m", "provider": {"fake": {"options": {"baseURL": base_url}}}, "permission": "allow",
    }))
    env = {**os.environ, "OPENCODE_LSP_DATA_DIR": str(tmp_path / "data"), "OPENCODE_LSP_NO_GLOBAL_CONFIG": "1"}
    return subprocess.Popen([sys.executable, "-m", "opencode_lsp", "--verbose", "run", "work"], cwd=project, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def wait_for_file(path: Path, limit: float = 60) -> None:
    end = time.monotonic() + limit
    while not path.exists():
        assert time.monotonic() < end, "the run never got to its tool call"
        time.sleep(0.05)


@pytest.mark.parametrize("how", ["SIGTERM to run", "client killed", "Ctrl-C in the terminal"])
def test_the_process_ends_quietly(tmp_path: Path, how: str):
    project = tmp_path / "proj"
    project.mkdir()
    # The tool call keeps the run busy (and streaming output) until the process is stopped.
    command = "touch started; for i in $(seq 1 600); do echo tick $i; sleep 0.05; done"
    with FakeOpenAI([[{"tool_call": {"name": "bash", "arguments": {"command": command, "description": "tick"}}}],
                     [{"text": "done"}]]) as fake:
        fake.route(is_title_request, [[{"text": "Title"}]])
        proc = start_run(project, tmp_path, fake.base_url)
        try:
            wait_for_file(project / "started")
            if how == "SIGTERM to run":
                proc.send_signal(signal.SIGTERM)
            elif how == "Ctrl-C in the terminal":  # the terminal signals the whole foreground group
                os.killpg(proc.pid, signal.SIGINT)
            else:
                proc.kill()  # the server, its child, loses its client in the middle of the run
            # stderr is shared with the server: it closes when every process holding it ended.
            stderr = proc.stderr.read() if proc.stderr else b""
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    lines = stderr.decode(errors="replace").splitlines()
    assert "Logging error" not in stderr.decode(errors="replace")
    assert "Traceback" not in stderr.decode(errors="replace")
    assert "Exception ignored" not in stderr.decode(errors="replace")
    assert len(stderr) < 20_000, lines[-20:]
    if how == "SIGTERM to run":
        assert proc.returncode == 128 + signal.SIGTERM
        assert any("stopped by SIGTERM" in line for line in lines)
    if how == "Ctrl-C in the terminal":
        assert proc.returncode == 128 + signal.SIGINT
        assert any("stopped by SIGINT" in line for line in lines)
        assert_last_answer_closed(project, tmp_path)


def assert_last_answer_closed(project: Path, tmp_path: Path) -> None:
    """The interrupted session exports with its answer ended (aborted), as after a Stop."""
    env = {**os.environ, "OPENCODE_LSP_DATA_DIR": str(tmp_path / "data"), "OPENCODE_LSP_NO_GLOBAL_CONFIG": "1"}
    exported = subprocess.run([sys.executable, "-m", "opencode_lsp", "export"], cwd=project, env=env,
                              capture_output=True, text=True, timeout=120)
    assert exported.returncode == 0, exported.stderr
    last = json.loads(exported.stdout)["messages"][-1]
    assert last["info"]["role"] == "assistant"
    assert last["info"]["time"].get("completed")
    assert last["info"]["error"]["name"] == "MessageAbortedError"
    tool = next(p for p in last["parts"] if p["type"] == "tool")
    assert tool["state"]["status"] == "error"

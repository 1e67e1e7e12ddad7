"""``opencode-lsp run`` end to end: a subprocess driving the real server against the scripted model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.fake_openai import FakeOpenAI, is_title_request


@pytest.fixture
def project(tmp_path: Path):
    root = tmp_path / "proj"
    root.mkdir()
    (root / "hello.py").write_text('print("hi")\n')
    return root


def run(project: Path, tmp_path: Path, *args: str, base_url: str | None = None) -> subprocess.CompletedProcess:
    if base_url:
        (project / "opencode.json").write_text(json.dumps({
            "model": "fake/m", "provider": {"fake": {"options": {"baseURL": base_url}}},
        }))
    env = {**os.environ, "OPENCODE_LSP_DATA_DIR": str(tmp_path / "data"), "OPENCODE_LSP_NO_GLOBAL_CONFIG": "1"}
    return subprocess.run([sys.executable, "-m", "opencode_lsp", "run", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_run_prints_the_streamed_answer(project, tmp_path):
    with FakeOpenAI([
        [{"tool_call": {"name": "read", "arguments": {"filePath": str(project / "hello.py")}}}],
        [{"text": "It prints hi.", "chunks": 4}],
    ]) as fake:
        fake.route(is_title_request, [[{"text": "Hello"}]])
        result = run(project, tmp_path, "what does hello.py do", base_url=fake.base_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "It prints hi."
    assert "read" in result.stderr and "hello.py" in result.stderr


def test_run_json_format_and_continue(project, tmp_path):
    with FakeOpenAI([[{"text": "First answer."}], [{"text": "Second answer."}]]) as fake:
        fake.route(is_title_request, [[{"text": "Title"}]])
        first = run(project, tmp_path, "--format", "json", "one", base_url=fake.base_url)
        second = run(project, tmp_path, "--continue", "--format", "json", "two", base_url=fake.base_url)
        main = [r for r in fake.requests if not is_title_request(r)]
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    events = [json.loads(line) for line in first.stdout.splitlines()]
    kinds = [e["type"] for e in events]
    assert kinds == ["step_start", "text", "step_finish"]
    assert events[1]["part"]["text"] == "First answer."
    session_ids = {e["sessionID"] for e in events}
    second_events = [json.loads(line) for line in second.stdout.splitlines()]
    assert {e["sessionID"] for e in second_events} == session_ids  # --continue reused the session
    assert "First answer." in json.dumps(main[1]["messages"])


def test_run_fails_with_exit_code_on_model_error(project, tmp_path):
    with FakeOpenAI([[{"error": {"status": 401, "body": {"error": {"message": "bad key"}}}}]]) as fake:
        fake.route(is_title_request, [[{"text": "Title"}]])
        result = run(project, tmp_path, "hi", base_url=fake.base_url)
    assert result.returncode == 1
    assert "ProviderAuthError" in result.stderr


def test_run_without_model_says_how_to_configure(project, tmp_path):
    result = run(project, tmp_path, "hi")
    assert result.returncode == 1
    assert "No model is configured" in result.stderr and "--model" in result.stderr


def test_run_with_a_malformed_model_names_it(project, tmp_path):
    flag = run(project, tmp_path, "--model", "gpt-4o", "hi")
    assert flag.returncode == 2
    assert "gpt-4o" in flag.stderr and "provider/model" in flag.stderr
    assert "No model is configured" not in flag.stderr
    (project / "opencode.json").write_text(json.dumps({"model": "claude-sonnet"}))
    configured = run(project, tmp_path, "hi")
    assert configured.returncode == 1
    assert "claude-sonnet" in configured.stderr and "provider/model" in configured.stderr
    assert "No model is configured" not in configured.stderr

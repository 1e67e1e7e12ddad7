"""The session commands on the command line, run as a user runs them (a real process per call)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from opencode_lsp.client import LspClient

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "opencode-1.18.33-session-export.json"
REF_ID = "ses_deeca8528ffeIQX2Nl63m7QlWq"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "OPENCODE_LSP_DATA_DIR": str(tmp_path / "data"), "OPENCODE_LSP_NO_GLOBAL_CONFIG": "1"}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    config = {"model": "fake/m", "small_model": "fake/small",
              "provider": {"fake": {"options": {"baseURL": "http://127.0.0.1:9/v1"}, "models": {"m": {}, "small": {}}},
                           "other": {"options": {"baseURL": "http://127.0.0.1:9/v1"}, "models": {"x": {}}}},
              "agent": {"reviewer": {"mode": "subagent", "description": "Reviews diffs"}}}
    (root / "opencode.json").write_text(json.dumps(config))
    return root.resolve()


def cli(workspace: Path, env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "opencode_lsp", *args], cwd=workspace, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_import_list_export_delete_roundtrip(workspace, env):
    assert cli(workspace, env, "session", "list").stdout == ""  # nothing yet, like OpenCode
    imported = cli(workspace, env, "import", str(REFERENCE))
    assert imported.returncode == 0 and imported.stdout.strip() == f"Imported session: {REF_ID}"

    table = cli(workspace, env, "session", "list").stdout.splitlines()
    assert table[0].split() == ["Session", "ID", "Title", "Updated"]
    assert table[2].startswith(REF_ID) and "Fake title" in table[2]
    rows = json.loads(cli(workspace, env, "session", "list", "--format", "json").stdout)
    assert rows == [{"id": REF_ID, "title": "Fake title", "updated": 1795585048849, "created": 1795585047255,
                     "projectId": "global", "directory": "/home/user/proj"}]

    exported = json.loads(cli(workspace, env, "export", REF_ID).stdout)
    reference = json.loads(REFERENCE.read_text())
    assert exported["info"]["id"] == REF_ID
    assert [m["info"]["id"] for m in exported["messages"]] == [m["info"]["id"] for m in reference["messages"]]
    assert [len(m["parts"]) for m in exported["messages"]] == [len(m["parts"]) for m in reference["messages"]]
    assert json.loads(cli(workspace, env, "export").stdout)["info"]["id"] == REF_ID  # newest by default

    # export | import through stdin gives the same session back
    deleted = cli(workspace, env, "session", "delete", REF_ID)
    assert deleted.returncode == 0 and REF_ID in deleted.stdout
    assert cli(workspace, env, "session", "list").stdout == ""
    again = cli(workspace, env, "import", "-", stdin=json.dumps(exported))
    assert again.returncode == 0
    assert json.loads(cli(workspace, env, "export", REF_ID).stdout) == exported


def test_list_max_count_keeps_the_newest(workspace, env):
    data = json.loads(REFERENCE.read_text())
    for i, (sid, updated) in enumerate([("ses_a", 1000), ("ses_b", 3000), ("ses_c", 2000)]):
        copy = json.loads(json.dumps(data))
        copy["info"].update(id=sid, title=f"t{i}")
        copy["info"]["time"]["updated"] = updated
        for message in copy["messages"]:
            message["info"]["sessionID"] = sid
            for part in message["parts"]:
                part["sessionID"] = sid
        assert cli(workspace, env, "import", "-", stdin=json.dumps(copy)).returncode == 0
    rows = json.loads(cli(workspace, env, "session", "list", "--format", "json", "-n", "2").stdout)
    assert [r["id"] for r in rows] == ["ses_b", "ses_c"]


def test_models_agents_and_stats(workspace, env):
    assert cli(workspace, env, "models").stdout.split() == ["fake/m", "fake/small", "other/x"]
    assert cli(workspace, env, "models", "other").stdout.split() == ["other/x"]
    agents = cli(workspace, env, "agent", "list").stdout.splitlines()
    names = [line.split()[0:2] for line in agents]
    assert ["build", "(primary)"] in names and ["plan", "(primary)"] in names
    assert ["reviewer", "(subagent)"] in names

    assert cli(workspace, env, "import", str(REFERENCE)).returncode == 0
    stats = json.loads(cli(workspace, env, "stats", "--format", "json").stdout)
    assert stats["sessions"] == 1
    assert stats["models"]["fake/fake"]["messages"] == 2
    assert stats["models"]["fake/fake"]["input"] == 2441 + 2533
    assert stats["total"]["output"] == 23
    table = cli(workspace, env, "stats").stdout
    assert "fake/fake" in table and "4974" in table
    # The reference answers are older than a day: --days 1 leaves them out.
    recent = json.loads(cli(workspace, env, "stats", "--days", "1", "--format", "json").stdout)
    assert recent["sessions"] == 0 and recent["models"] == {}


@pytest.mark.parametrize("args, needle", [
    (["session", "delete", "ses_missing"], "Session not found: ses_missing"),
    (["export", "ses_missing"], "Session not found: ses_missing"),
    (["export"], "no sessions"),
    (["import", "/nonexistent/file.json"], "cannot read"),
    (["models", "nobody"], "nobody"),
    (["session", "list", "--max-count", "0"], "max-count"),
    (["session", "list", "--format", "xml"], "--format"),
    (["stats", "--days", "x"], "--days"),
    (["session"], "required"),
    (["agent"], "required"),
    (["session", "delete"], "sessionID"),
])
def test_bad_input_is_one_line_and_nonzero(workspace, env, args, needle):
    assert needle in one_line_error(cli(workspace, env, *args))


def test_import_rejects_broken_files(workspace, env, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert "not JSON" in one_line_error(cli(workspace, env, "import", str(broken)))
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"info": {"id": 3}, "messages": []}))
    assert "data.info" in one_line_error(cli(workspace, env, "import", str(wrong)))
    assert cli(workspace, env, "session", "list").stdout == ""


def test_every_command_has_help(workspace, env):
    for args in (["session", "list"], ["session", "delete"], ["export"], ["import"], ["models"],
                 ["agent", "list"], ["stats"], ["acp"]):
        result = cli(workspace, env, *args, "--help")
        assert result.returncode == 0 and result.stdout.startswith("usage: opencode-lsp " + " ".join(args))


async def test_commands_work_while_a_language_server_runs(workspace, env):
    client = LspClient([sys.executable, "-m", "opencode_lsp"], env=env, cwd=str(workspace))
    await client.start()
    try:
        await client.request("initialize", {"processId": os.getpid(), "rootUri": workspace.as_uri(),
                                            "capabilities": {}, "initializationOptions": {}})
        client.notify("initialized", {})
        created = await client.request("opencode/session/create", {"title": "from the editor"})
        listed = await asyncio.to_thread(cli, workspace, env, "session", "list", "--format", "json")
        assert [r["id"] for r in json.loads(listed.stdout)] == [created["id"]]
        assert (await asyncio.to_thread(cli, workspace, env, "import", str(REFERENCE))).returncode == 0
        seen = await client.request("opencode/session/list", {})
        assert {s["id"] for s in seen} == {created["id"], REF_ID}
        assert (await asyncio.to_thread(cli, workspace, env, "session", "delete", created["id"])).returncode == 0
        assert [s["id"] for s in await client.request("opencode/session/list", {})] == [REF_ID]
    finally:
        await client.close()

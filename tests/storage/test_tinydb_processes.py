"""Real processes against one store root: concurrent writers, SIGKILL, write limits."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from opencode_lsp.core.ids import new_id
from opencode_lsp.storage import StorageError, TinyDBStore

WORKER = Path(__file__).with_name("storage_worker.py")


def run_worker(*args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(WORKER), *map(str, args)], text=True, **popen)


def assert_all_files_parse(root: Path) -> None:
    for path in root.rglob("*.json"):
        assert isinstance(orjson.loads(path.read_bytes()), dict), path


def test_two_processes_writing_the_same_workspace_lose_nothing(tmp_path):
    root, go = tmp_path / "ws", tmp_path / "go"
    store = TinyDBStore(root)
    shared = new_id("ses")
    store.put_session({"id": shared, "title": "shared", "time": {"created": 1, "updated": 1}})
    workers = [run_worker("concurrent", root, shared, 200, go, stdout=subprocess.PIPE) for _ in range(2)]
    go.touch()
    reports = []
    for worker in workers:
        out, _ = worker.communicate(timeout=300)
        assert worker.returncode == 0
        reports.append(json.loads(out))

    fresh = TinyDBStore(root)
    shared_parts = {p["id"] for e in fresh.list_messages(shared) for p in e["parts"]}
    assert shared_parts == set(reports[0]["shared"]) | set(reports[1]["shared"])
    assert len(shared_parts) == 400
    for report in reports:
        (entry,) = fresh.list_messages(report["own_sid"])
        assert [p["id"] for p in entry["parts"]] == report["own"]  # all there, in write order
    assert {s["id"] for s in fresh.list_sessions()} == {shared, reports[0]["own_sid"], reports[1]["own_sid"]}
    patterns = {a["pattern"] for a in fresh.list_approvals()}
    assert patterns == set(reports[0]["approvals"]) | set(reports[1]["approvals"])
    assert_all_files_parse(root)


def test_sigkill_mid_run_keeps_every_acknowledged_write(tmp_path):
    root = tmp_path / "ws"
    store = TinyDBStore(root)
    sid, mid = new_id("ses"), new_id("msg")
    store.put_session({"id": sid, "title": "t", "time": {"created": 1, "updated": 1}})
    store.put_message(sid, {"id": mid, "sessionID": sid, "role": "user"})
    store.close()

    acknowledged: list[str] = []
    for _round in range(3):  # several kills, each landing somewhere inside the write loop
        child = run_worker("kill", root, sid, mid, stdout=subprocess.PIPE)
        assert child.stdout is not None
        seen = 0
        while seen < 40:
            line = child.stdout.readline()
            assert line, "worker died before it was killed"
            acknowledged.append(line.strip())
            seen += 1
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate(timeout=60)
        assert child.returncode == -signal.SIGKILL
        # Lines already in the pipe were acknowledged too; a cut-off last line was not.
        acknowledged += [line for line in rest.split("\n") if len(line) == len(sid)]

    reopened = TinyDBStore(root)
    stored = {p["id"] for p in reopened.get_message(sid, mid)["parts"]}
    assert set(acknowledged) <= stored
    assert_all_files_parse(root)
    assert [f for f in root.rglob("*.tmp")] == []  # a dead writer's temp file is cleared on open


def test_file_size_limit_gives_a_clear_error_and_later_writes_succeed(tmp_path):
    root = tmp_path / "ws"
    child = run_worker("fsize", root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    report = json.loads(out)
    session_file = root / "sessions" / f"{report['sid']}.json"
    assert report["error"] is not None
    assert report["error_path"] == str(session_file) and str(session_file) in report["error"]
    assert "too large" in report["error"].lower()  # EFBIG's text
    assert report["after_failure"] == ["small before"]
    assert report["final"] == ["small before", "small after", "BBBBBBBBBBBB"]
    assert list(root.rglob("*.corrupt-*")) == [] and list(root.rglob("*.tmp")) == []
    assert_all_files_parse(root)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions; "
                    "test_file_size_limit_gives_a_clear_error_and_later_writes_succeed covers this")
def test_read_only_directory_gives_storage_error_then_recovers(tmp_path):
    store = TinyDBStore(tmp_path)
    sid, mid = new_id("ses"), new_id("msg")
    store.put_message(sid, {"id": mid, "sessionID": sid, "role": "user"})
    sessions = tmp_path / "sessions"
    sessions.chmod(0o555)
    try:
        with pytest.raises(StorageError) as caught:
            store.put_part(sid, {"id": new_id("prt"), "messageID": mid, "type": "text", "text": "x"})
        assert caught.value.path == sessions / f"{sid}.json"
    finally:
        sessions.chmod(0o755)
    store.put_part(sid, {"id": new_id("prt"), "messageID": mid, "type": "text", "text": "y"})
    assert [p["text"] for p in TinyDBStore(tmp_path).get_message(sid, mid)["parts"]] == ["y"]
    assert list(tmp_path.rglob("*.corrupt-*")) == []

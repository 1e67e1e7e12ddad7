"""Real processes against one store root: concurrent writers, SIGKILL, write limits."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
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


def read_only_directory_then_recovery(root: Path) -> None:
    store = TinyDBStore(root)
    sid, mid = new_id("ses"), new_id("msg")
    store.put_message(sid, {"id": mid, "sessionID": sid, "role": "user"})
    # Read-only as a read-only remount makes it: the folder and the session's journal file (a
    # part write appends to the journal, so a read-only folder alone does not stop it).
    sessions = root / "sessions"
    (journal,) = sessions.iterdir()
    journal.chmod(0o444)
    sessions.chmod(0o555)
    try:
        with pytest.raises(StorageError) as caught:
            store.put_part(sid, {"id": new_id("prt"), "messageID": mid, "type": "text", "text": "x"})
        assert str(journal) in str(caught.value) and caught.value.path.stem == journal.stem
    finally:
        sessions.chmod(0o755)
        journal.chmod(0o644)
    store.put_part(sid, {"id": new_id("prt"), "messageID": mid, "type": "text", "text": "y"})
    assert [p["text"] for p in TinyDBStore(root).get_message(sid, mid)["parts"]] == ["y"]
    assert list(root.rglob("*.corrupt-*")) == []


def as_unprivileged_user(check, root: Path) -> None:
    """Run ``check(root)`` in a forked child as ``nobody``: root ignores directory permissions,
    and CI runs as root. ``root`` is made the child's, in a folder it can reach."""
    nobody = 65534
    os.chown(root, nobody, nobody)
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 1
        try:
            os.setgid(nobody)
            os.setuid(nobody)
            check(root)
            status = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    _, waited = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(waited) == 0, "the check failed in the child (its traceback is above)"


def test_read_only_directory_gives_storage_error_then_recovers(tmp_path):
    if os.geteuid() != 0:
        read_only_directory_then_recovery(tmp_path)
        return
    # pytest's tmp_path sits under a root-only folder; nobody needs a folder it can reach.
    root = Path(tempfile.mkdtemp(prefix="opencode-lsp-ro-"))
    try:
        as_unprivileged_user(read_only_directory_then_recovery, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)

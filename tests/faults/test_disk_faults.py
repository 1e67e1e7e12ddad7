"""Disk faults: the store on a full disk or a read-only one.

The server runs in its own mount namespace (``unshare -m``) with the store on a small tmpfs, so
filling or freezing that disk touches nothing else on the machine; we reach its files through
``/proc/<pid>/root``. Expected: a clear error to the client, no corrupt file, and the server
carries on once space (or write access) is back.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from opencode_lsp.client import RpcError
from tests.support import stored
from tests.support.fake_openai import FakeOpenAI
from tests.support.stored import check_files

from .harness import SERVER, Editor, model_options


def namespaces_work() -> bool:
    if not shutil.which("unshare") or not shutil.which("nsenter"):
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
                           capture_output=True)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not namespaces_work(), reason="needs mount namespaces (unshare -m) to fake a disk")


def on_small_disk(disk: Path, size: str) -> list[str]:
    script = 'mount -t tmpfs -o size="$1" tmpfs "$0" && shift && exec "$@"'
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", script, str(disk), size, *SERVER]


def in_namespace(pid: int, *command: str) -> None:
    done = subprocess.run(["nsenter", "-t", str(pid), "-m", *command], capture_output=True, text=True)
    # A remount to read-only fails ("mount point is busy", status 32) while any file on the disk
    # is open for writing: the server must not keep one open between writes.
    assert done.returncode == 0, f"{' '.join(command)}: status {done.returncode}: {done.stderr.strip()}"


def seen(pid: int, path: Path) -> Path:
    """``path`` as the server (in its own mount namespace) sees it."""
    return Path(f"/proc/{pid}/root") / str(path).lstrip("/")


def big_export(n_parts: int = 60, size: int = 10_000) -> dict[str, Any]:
    sid, mid = "ses_fffffffffffeAAAAAAAAAAAAAA", "msg_000000000001AAAAAAAAAAAAAA"
    info = {"id": sid, "slug": "big", "projectID": "global", "directory": "/tmp", "title": "big",
            "version": "1.18.33", "time": {"created": 1, "updated": 1}}
    message = {"id": mid, "sessionID": sid, "role": "user", "time": {"created": 1}, "agent": "build",
               "model": {"providerID": "fake", "modelID": "m"}}
    parts = [{"id": f"prt_{i:012d}AAAAAAAAAAAAAA", "sessionID": sid, "messageID": mid, "type": "text",
              "text": "x" * size} for i in range(n_parts)]
    return {"info": info, "messages": [{"info": message, "parts": parts}]}


def check_store(pid: int, store: Path) -> None:
    """Every base and journal whole (no torn tail left behind), as the server sees its disk."""
    check_files(seen(pid, store))


def stored_sessions(pid: int, store: Path) -> set[str]:
    return stored.session_ids(seen(pid, store))


async def start_on_disk(tmp_path: Path, fake: FakeOpenAI, size: str, **options: Any) -> tuple[Editor, Path, Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    root = tmp_path / "ws"
    root.mkdir()
    store = disk / "store"
    editor = Editor(root, model_options(store, fake.base_url, **options))
    editor.client.command = on_small_disk(disk, size)
    await editor.start()
    return editor, disk, store


async def test_full_disk_gives_a_clear_error_and_recovers(tmp_path: Path, fake: FakeOpenAI):
    editor, disk, store = await start_on_disk(tmp_path, fake, "256k")
    try:
        kept = await editor.new_session()
        with pytest.raises(RpcError) as failed:
            await editor.request("opencode/session/import", {"data": big_export()})
        assert "No space left" in failed.value.message
        check_store(editor.pid, store)
        # What was written before is still there, on disk and as the server lists it; the
        # refused import left no session behind.
        assert stored_sessions(editor.pid, store) == {kept}
        assert {s["id"] for s in await editor.request("opencode/session/list", {})} == {kept}
        in_namespace(editor.pid, "mount", "-o", "remount,size=8m", str(disk))  # space is back
        imported = await editor.request("opencode/session/import", {"data": big_export()})
        exported = await editor.request("opencode/session/export", {"sessionID": imported["id"]})
        assert len(exported["messages"][0]["parts"]) == 60
        check_store(editor.pid, store)
    finally:
        await editor.close()


async def test_disk_filling_up_mid_run_ends_the_run_and_recovers(tmp_path: Path, fake: FakeOpenAI):
    # The filler sits beside the store, outside the workspace: let bash write there.
    editor, disk, store = await start_on_disk(tmp_path, fake, "512k", permission={"external_directory": "allow"})
    filler = disk / "filler"
    fake.set_script([
        [{"tool_call": {"name": "bash", "arguments": {
            "command": f"head -c 2000000 /dev/zero > {filler}; echo filled", "description": "fill the disk"}}}],
        [{"text": "This answer cannot be stored. " * 40, "chunks": 20}],
    ])
    try:
        sid = await editor.new_session()
        try:
            result = await editor.prompt(sid, timeout=20)
        except RpcError as exc:  # the user message or the result could not be stored
            assert "No space left" in exc.message or "cannot" in exc.message
        else:
            assert result["info"].get("error"), "a run that could not be stored must not look fine"
        assert await editor.request("opencode/session/status", {}) == {}
        check_store(editor.pid, store)
        # The prompt, stored before the disk filled, is still on disk.
        assert sid in stored_sessions(editor.pid, store)
        on_disk = stored.session(seen(editor.pid, store), sid)
        assert [p["text"] for p in on_disk["parts"].values() if p["type"] == "text"][:1] == ["go"]
        seen(editor.pid, filler).unlink()  # space is back
        fake.set_script(["Stored again."])
        again = await editor.prompt(sid, "once more", timeout=60)
        assert again["parts"][-2]["text"] == "Stored again."
        check_store(editor.pid, store)
    finally:
        await editor.close()


async def test_read_only_store_gives_a_clear_error_and_recovers(tmp_path: Path, fake: FakeOpenAI):
    editor, disk, store = await start_on_disk(tmp_path, fake, "4m")
    try:
        # A session with messages: both the index and a session file have been written to.
        kept = (await editor.request("opencode/session/import", {"data": big_export(3, 100)}))["id"]
        in_namespace(editor.pid, "mount", "-o", "remount,ro", str(disk))
        with pytest.raises(RpcError) as failed:
            await editor.new_session()
        assert "Read-only file system" in failed.value.message
        listed = await editor.request("opencode/session/list", {})  # reads still work
        assert [s["id"] for s in listed] == [kept]
        exported = await editor.request("opencode/session/export", {"sessionID": kept})
        assert len(exported["messages"][0]["parts"]) == 3
        in_namespace(editor.pid, "mount", "-o", "remount,rw", str(disk))
        again = await editor.new_session()
        assert len(await editor.request("opencode/session/list", {})) == 2
        check_store(editor.pid, store)
        assert stored_sessions(editor.pid, store) == {kept, again}
    finally:
        await asyncio.wait_for(editor.close(), 20)

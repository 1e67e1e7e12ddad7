"""Disk faults: the store on a full disk or a read-only one.

The server runs in its own mount namespace (``unshare -m``) with the store on a small tmpfs, so
filling or freezing that disk touches nothing else on the machine; we reach its files through
``/proc/<pid>/root``. Expected: a clear error to the client, no corrupt file, and the server
carries on once space (or write access) is back.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from opencode_lsp.client import RpcError
from tests.support.fake_openai import FakeOpenAI, is_title_request

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
    subprocess.run(["nsenter", "-t", str(pid), "-m", *command], check=True, capture_output=True)


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
    files = list(seen(pid, store).rglob("*.json"))
    assert files
    for path in files:
        json.loads(path.read_bytes())  # every file whole


@pytest.fixture
def fake():
    with FakeOpenAI() as server:
        server.route(is_title_request, [[{"text": "A title"}]])
        yield server


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
        assert kept in {s["id"] for s in await editor.request("opencode/session/list", {})}
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
        kept = await editor.new_session()
        in_namespace(editor.pid, "mount", "-o", "remount,ro", str(disk))
        with pytest.raises(RpcError) as failed:
            await editor.new_session()
        assert "Read-only file system" in failed.value.message
        listed = await editor.request("opencode/session/list", {})  # reads still work
        assert [s["id"] for s in listed] == [kept]
        in_namespace(editor.pid, "mount", "-o", "remount,rw", str(disk))
        await editor.new_session()
        assert len(await editor.request("opencode/session/list", {})) == 2
        check_store(editor.pid, store)
    finally:
        await asyncio.wait_for(editor.close(), 20)

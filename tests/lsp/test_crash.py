"""SIGKILL the server while it writes; every acknowledged session and part survives a restart."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import random
import signal
import sys
from pathlib import Path

from opencode_lsp.client import LspClient, RpcError

from .conftest import SERVER_ENV
from .test_sessions import REFERENCE

SERVER = [sys.executable, "-m", "opencode_lsp", "--stdio"]


async def _start(root: Path, store: Path) -> LspClient:
    client = LspClient(SERVER, env=SERVER_ENV, cwd=str(root))
    await client.start()
    await client.request("initialize", {
        "processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {},
        "initializationOptions": {"storage": {"path": str(store)}},
    })
    client.notify("initialized", {})
    return client


def _fresh_copy(template: dict, n: int) -> dict:
    """The reference session under new ids, so each import is a distinct session."""
    text = json.dumps(template)
    sid = template["info"]["id"]
    text = text.replace(sid, f"{sid[:-6]}{n:06d}")
    return json.loads(text)


async def test_sigkill_during_writes_loses_nothing_acknowledged(tmp_path: Path):
    root = tmp_path / "ws"
    root.mkdir()
    store = tmp_path / "store"
    template = json.loads(REFERENCE.read_text())
    acknowledged_sessions: list[str] = []
    acknowledged_imports: dict[str, dict] = {}
    for round_ in range(3):
        client = await _start(root, store)

        async def writer():
            n = 0
            while True:
                n += 1
                created = await client.request("opencode/session/create", {"title": f"r{round_}-{n}"})
                acknowledged_sessions.append(created["id"])
                data = _fresh_copy(copy.deepcopy(template), round_ * 10000 + n)
                imported = await client.request("opencode/session/import", {"data": data})
                acknowledged_imports[imported["id"]] = data

        task = asyncio.ensure_future(writer())
        await asyncio.sleep(random.uniform(0.3, 1.0))
        os.kill(client.proc.pid, signal.SIGKILL)
        try:
            await asyncio.wait_for(task, 5)
        except (RpcError, asyncio.TimeoutError):
            pass
        await client.proc.wait()

    assert len(acknowledged_sessions) > 3
    client = await _start(root, store)
    try:
        listed = await client.request("opencode/session/list", {"limit": 100000})
        present = {s["id"] for s in listed}
        assert set(acknowledged_sessions) <= present
        for sid, data in acknowledged_imports.items():
            exported = await client.request("opencode/session/export", {"sessionID": sid})
            assert exported["messages"] == data["messages"]
    finally:
        await client.close()
    for path in store.rglob("*.json"):
        json.loads(path.read_text())  # every file on disk parses

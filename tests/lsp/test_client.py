"""``opencode_lsp.client.LspClient`` (pygls' LanguageClient, as ``opencode-lsp run`` uses it) when
the server dies: requests fail with SERVER_EXITED instead of waiting forever."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from opencode_lsp.client import SERVER_EXITED, LspClient, RpcError

from .conftest import SERVER_ENV


async def test_a_killed_server_fails_pending_and_later_requests(tmp_path: Path):
    client = LspClient([sys.executable, "-m", "opencode_lsp", "--stdio"], env=SERVER_ENV, cwd=str(tmp_path))
    await client.start()
    try:
        result = await client.request("initialize", {
            "processId": os.getpid(), "rootUri": tmp_path.as_uri(), "capabilities": {},
            "initializationOptions": {"storage": {"path": str(tmp_path / "store")}}})
        assert isinstance(result["capabilities"]["experimental"]["opencode"]["methods"], list)  # plain JSON
        client.notify("initialized", {})
        assert (await client.request("opencode/session/create", {}))["id"].startswith("ses_")
        assert client.proc is not None
        os.kill(client.proc.pid, signal.SIGSTOP)  # it cannot answer what comes next
        pending = asyncio.ensure_future(client.request("opencode/session/list", {}))
        await asyncio.sleep(0.1)
        os.kill(client.proc.pid, signal.SIGKILL)
        with pytest.raises(RpcError) as failed:
            await asyncio.wait_for(pending, 30)
        assert failed.value.code == SERVER_EXITED
        with pytest.raises(RpcError) as later:
            await asyncio.wait_for(client.request("opencode/session/list", {}), 30)
        assert later.value.code == SERVER_EXITED
    finally:
        await asyncio.wait_for(client.close(), 30)
    assert client.proc.returncode == -signal.SIGKILL

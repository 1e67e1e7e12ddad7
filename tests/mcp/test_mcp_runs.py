"""MCP tools under the run's rules: permissions, cancel, a server dying mid-run, the toggle."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException

from tests.lsp.conftest import call

from .conftest import TOKEN, local_server
from .test_mcp_lsp import call_step, model_requests, new_session, offered, prompt, tool_parts, wait_status


class TestPermissions:
    @pytest.fixture
    def mcp_config(self, remote_url: str) -> dict[str, Any]:
        return {"my.local": local_server(),
                "remote": {"type": "remote", "url": remote_url, "headers": {"X-Test-Token": TOKEN}}}

    @pytest.fixture
    def project_config(self, mcp_config: dict[str, Any]) -> dict[str, Any]:
        # The agent denies a whole server; the config makes one remote tool ask.
        return {"mcp": mcp_config, "permission": {"remote_echo": "ask"},
                "agent": {"build": {"permission": {"my_local_*": "deny"}}}}

    async def test_deny_hides_a_server_and_ask_waits_for_the_user(self, client, fake):
        fake.set_script([
            call_step(("remote_echo", {"text": "should not arrive"})),  # rejected: the run stops
            call_step(("my_local_add", {"a": 1, "b": 1}), ("remote_count", {})),
            [{"text": "Done."}],
        ])
        sid = await new_session(client)
        running = asyncio.ensure_future(prompt(client, sid))
        asked = await client.recorder.wait_for(lambda: [
            e for e in client.recorder.events if e["type"] == "permission.asked"], timeout=120)
        request = asked[0]["properties"]
        assert request["permission"] == "remote_echo" and request["patterns"] == ["*"] and request["always"] == ["*"]
        assert await call(client, "opencode/permission/reply", {"requestID": request["id"], "reply": "reject"})
        await running

        tools = offered(model_requests(fake)[0])
        assert "remote_echo" in tools and not [t for t in tools if t.startswith("my_local_")]

        await prompt(client, sid, "again")
        parts = tool_parts(await call(client, "opencode/session/messages", {"sessionID": sid}))
        assert parts["remote_echo"]["state"]["status"] == "error"
        # A denied server's tool the model names anyway is unknown to it, and never runs.
        assert "my_local_add" in parts["invalid"]["state"]["output"]
        # The rejected call never reached the server.
        assert parts["remote_count"]["state"]["output"] == "0"


async def test_abort_during_a_slow_mcp_call_cancels_it_on_the_server(client, fake, tmp_path):
    marker = tmp_path / "slow-marker"
    fake.set_script([call_step(("my_local_slow", {"seconds": 300, "marker": str(marker)}))])
    sid = await new_session(client)
    running = asyncio.ensure_future(prompt(client, sid))
    for _ in range(1200):
        if marker.exists() and marker.read_text() == "started":
            break
        await asyncio.sleep(0.1)
    assert marker.read_text() == "started"
    await call(client, "opencode/session/abort", {"sessionID": sid})
    result = await asyncio.wait_for(running, 60)
    assert result["info"]["error"]["name"] == "MessageAbortedError"
    for _ in range(300):
        if marker.read_text() == "cancelled":
            break
        await asyncio.sleep(0.1)
    assert marker.read_text() == "cancelled"
    part = tool_parts(await call(client, "opencode/session/messages", {"sessionID": sid}))["my_local_slow"]
    assert part["state"]["status"] == "error"

    # The server stays up for the next run.
    assert (await wait_status(client, "my.local", "connected"))["tools"]
    fake.add_turns(call_step(("my_local_add", {"a": 20, "b": 1})), [{"text": "21"}])
    await prompt(client, sid, "add")
    parts = tool_parts(await call(client, "opencode/session/messages", {"sessionID": sid}))
    assert parts["my_local_add"]["state"]["output"] == "21"


async def test_a_server_dying_mid_run_fails_the_call_not_the_run(client, fake):
    fake.set_script([call_step(("my_local_crash", {})), [{"text": "It crashed; carrying on."}],
                     [{"text": "No tools from it now."}]])
    sid = await new_session(client)
    result = await prompt(client, sid)
    assert result["info"]["finish"] == "stop" and result["parts"][1]["text"] == "It crashed; carrying on."
    part = tool_parts(await call(client, "opencode/session/messages", {"sessionID": sid}))["my_local_crash"]
    assert part["state"]["status"] == "error" and "went away" in part["state"]["error"]

    status = await wait_status(client, "my.local", "failed")
    assert status["tools"] == [] and status["error"]
    await prompt(client, sid, "next")
    assert not [t for t in offered(model_requests(fake)[-1]) if t.startswith("my_local_")]
    assert len([m for m in client.messages if "'my.local'" in m.message]) == 1


async def test_toggle_switches_a_server_off_and_on_and_remembers(client, fake, tmp_path):
    await wait_status(client, "my.local", "connected")
    off = await call(client, "opencode/mcp/toggle", {"name": "my.local", "enabled": False})
    assert off == {"name": "my.local", "type": "local", "enabled": False, "state": "disabled", "tools": []}
    saved = json.loads((tmp_path / "store" / "data" / "mcp.json").read_text())
    assert saved == {"enabled": {"my.local": False}}

    fake.set_script([[{"text": "no mcp"}]])
    sid = await new_session(client)
    await prompt(client, sid)
    assert not [t for t in offered(model_requests(fake)[0]) if t.startswith("my_local_")]

    on = await call(client, "opencode/mcp/toggle", {"name": "my.local", "enabled": True})
    assert on["state"] == "connected" and "my_local_add" in on["tools"]
    assert json.loads((tmp_path / "store" / "data" / "mcp.json").read_text()) == {"enabled": {"my.local": True}}

    with pytest.raises(JsonRpcException) as unknown:
        await call(client, "opencode/mcp/toggle", {"name": "nope", "enabled": True})
    assert unknown.value.code == -31001
    with pytest.raises(JsonRpcException) as bad:
        await call(client, "opencode/mcp/toggle", {"name": "my.local", "enabled": "yes"})
    assert bad.value.code == -32602 and "enabled" in str(bad.value)

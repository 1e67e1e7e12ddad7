"""MCP servers as tool sources, end to end: the real LSP server, real MCP servers written with the
SDK, the scripted model through litellm, and the real agent loop."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.lsp.conftest import call
from tests.support.fake_openai import is_title_request

from .conftest import TOKEN, exits_at_start, hangs, local_server


async def new_session(client) -> str:
    return (await call(client, "opencode/session/create", {}))["id"]


async def prompt(client, sid: str, text: str = "use the tools", **extra: Any) -> dict[str, Any]:
    return await call(client, "opencode/session/prompt",
                      {"sessionID": sid, "parts": [{"type": "text", "text": text}], **extra})


async def wait_status(client, name: str, state: str, timeout: float = 60) -> dict[str, Any]:
    async def poll():
        while True:
            for entry in await call(client, "opencode/mcp/status", {}):
                if entry["name"] == name and entry["state"] == state:
                    return entry
            await asyncio.sleep(0.1)

    return await asyncio.wait_for(poll(), timeout)


def tool_parts(messages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {p["tool"]: p for m in messages for p in m["parts"] if p["type"] == "tool"}


def model_requests(fake) -> list[dict[str, Any]]:
    return [r for r in fake.requests if not is_title_request(r)]


def offered(request: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["function"]["name"]: t["function"] for t in request.get("tools") or []}


def call_step(*calls: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"tool_call": {"name": name, "arguments": args, "id": f"call_{i}"}} for i, (name, args) in enumerate(calls)]


# --- the main path: local and remote servers, failures beside them ------------------------------


@pytest.fixture
def mcp_config(remote_url: str, tmp_path: Path) -> dict[str, Any]:
    marker = tmp_path / "off-server-started"
    return {
        "my.local": local_server(environment={"DEMO_VALUE": "from-config"}),
        "remote": {"type": "remote", "url": remote_url, "headers": {"X-Test-Token": TOKEN}},
        "broken": exits_at_start(),
        "stuck": hangs(1500),
        "off": {"type": "local", "enabled": False,
                "command": [sys.executable, "-c", f"open({str(marker)!r}, 'w').write('started')"]},
    }


async def test_tools_of_local_and_remote_servers_run_through_the_loop(client, fake, tmp_path):
    fake.set_script([
        call_step(("my_local_add", {"a": 2, "b": 40}), ("remote_echo", {"text": "over http"}),
                  ("my_local_get_picture", {}), ("my_local_doc", {}), ("my_local_env", {"name": "DEMO_VALUE"})),
        [{"text": "All five tools answered."}],
    ])
    sid = await new_session(client)
    result = await prompt(client, sid)
    assert result["info"]["finish"] == "stop"
    assert result["parts"][1]["text"] == "All five tools answered."

    # The model was offered the servers' tools under OpenCode's names, with their schemas.
    tools = offered(model_requests(fake)[0])
    assert {"my_local_add", "my_local_get_picture", "my_local_slow", "remote_echo", "remote_count"} <= set(tools)
    assert not [name for name in tools if name.startswith(("broken_", "stuck_", "off_"))]
    add = tools["my_local_add"]["parameters"]
    assert add["type"] == "object" and add["additionalProperties"] is False
    assert set(add["properties"]) == {"a", "b"} and add["properties"]["a"]["type"] == "integer"
    assert tools["my_local_add"]["description"] == "Add two integers."
    assert {"read", "bash", "edit"} <= set(tools)  # built-ins are still there

    parts = tool_parts(await call(client, "opencode/session/messages", {"sessionID": sid}))
    states = {name: part["state"] for name, part in parts.items()}
    assert all(s["status"] == "completed" for s in states.values()), states
    assert states["my_local_add"]["output"] == "42" and states["my_local_add"]["title"] == ""
    assert states["my_local_add"]["metadata"] == {"truncated": False}
    assert states["remote_echo"]["output"] == "echo: over http"
    assert states["my_local_env"]["output"] == "from-config"
    picture = states["my_local_get_picture"]
    assert picture["output"] == "a tiny picture"
    [image] = picture["attachments"]
    assert image["type"] == "file" and image["mime"] == "image/png"
    assert image["url"].startswith("data:image/png;base64,") and image["sessionID"] == sid
    doc = states["my_local_doc"]
    assert doc["output"].startswith("notes: the secret word is pelican")
    assert "memo://data.bin" in doc["output"]  # a type a model cannot take is named, not attached
    assert [a["filename"] for a in doc["attachments"]] == ["memo://chart.png"]

    # The model read the results in the next request.
    second = model_requests(fake)[1]
    tool_texts = [m["content"] for m in second["messages"] if m["role"] == "tool"]
    assert any("42" in str(t) for t in tool_texts) and any("echo: over http" in str(t) for t in tool_texts)

    # Status: connected servers list their tools, failures say why, the disabled one never ran.
    status = {s["name"]: s for s in await call(client, "opencode/mcp/status", {})}
    assert status["my.local"]["state"] == "connected" and status["my.local"]["type"] == "local"
    assert "my_local_add" in status["my.local"]["tools"]
    assert status["remote"] == {"name": "remote", "type": "remote", "enabled": True, "state": "connected",
                                "tools": ["remote_count", "remote_echo"]}
    assert status["broken"]["state"] == "failed" and "boom: the server needs a token" in status["broken"]["error"]
    assert status["stuck"]["state"] == "failed" and "1500 ms" in status["stuck"]["error"]
    assert status["off"] == {"name": "off", "type": "local", "enabled": False, "state": "disabled", "tools": []}
    assert not (tmp_path / "off-server-started").exists()

    # Each failure was reported once: event and window/showMessage.
    failed = [e["properties"]["name"] for e in client.recorder.events
              if e["type"] == "mcp.status.updated" and e["properties"]["state"] == "failed"]
    assert sorted(failed) == ["broken", "stuck"]
    changed = {e["properties"]["server"] for e in client.recorder.events if e["type"] == "mcp.tools.changed"}
    assert changed == {"my.local", "remote"}  # servers whose tools appeared; failures offered none
    shown = [m.message for m in client.messages]
    assert len([m for m in shown if "'broken'" in m]) == 1 and len([m for m in shown if "'stuck'" in m]) == 1

    # The header is a secret: config/get does not show it.
    config = await call(client, "opencode/config/get", {})
    assert config["mcp"]["remote"]["headers"] == {"X-Test-Token": "<redacted>"}
    assert TOKEN not in json.dumps(config)

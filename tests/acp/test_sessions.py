"""ACP sessions: cancel, load/list/fork, the same store as the LSP server, errors, clean exit."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import acp
import pytest

from opencode_lsp.client import LspClient

from .conftest import WAIT, acp_agent, write_config

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "opencode-1.18.33-session-export.json"


async def new_session(conn, workspace: Path) -> str:
    return (await asyncio.wait_for(conn.new_session(cwd=str(workspace), mcp_servers=[]), WAIT)).session_id


async def test_cancel_mid_stream_answers_cancelled_and_leaves_no_run(workspace, agent_env, fake):
    fake.set_script([[{"text": "Starting the long answer", "chunks": 1}, {"hang": True}],
                     [{"text": "Fresh answer."}]])
    async with acp_agent(workspace, agent_env) as (editor, conn, _process):
        sid = await new_session(conn, workspace)
        running = asyncio.ensure_future(conn.prompt(session_id=sid, prompt=[acp.text_block("go on")]))
        await editor.wait_for(lambda: editor.text(sid))
        await conn.cancel(session_id=sid)
        result = await asyncio.wait_for(running, WAIT)
        assert result.stop_reason == "cancelled"
        assert editor.text(sid) == "Starting the long answer"
        # No run is left: the next prompt starts at once and answers normally.
        again = await asyncio.wait_for(conn.prompt(session_id=sid, prompt=[acp.text_block("again")]), WAIT)
        assert again.stop_reason == "end_turn"
        assert editor.text(sid).endswith("Fresh answer.")


async def test_load_replays_the_history_in_a_new_process(workspace, agent_env, fake):
    fake.set_script([
        [{"tool_call": {"name": "read", "id": "r1", "arguments": {"filePath": str(workspace / "hello.py")}}}],
        [{"text": "It prints hi."}],
    ])
    async with acp_agent(workspace, agent_env) as (_editor, conn, _process):
        sid = await new_session(conn, workspace)
        await asyncio.wait_for(conn.prompt(session_id=sid, prompt=[acp.text_block("what does it do?")]), WAIT)
    async with acp_agent(workspace, agent_env) as (editor, conn, _process):
        listed = await conn.list_sessions(cwd=str(workspace))
        assert [s.session_id for s in listed.sessions] == [sid]
        assert listed.sessions[0].cwd == str(workspace)
        loaded = await asyncio.wait_for(conn.load_session(cwd=str(workspace), session_id=sid, mcp_servers=[]), WAIT)
        assert loaded.modes.current_mode_id == "build"
        kinds = [u.session_update for s, u in editor.updates if s == sid and u.session_update != "available_commands_update"]
        assert kinds == ["user_message_chunk", "tool_call", "agent_message_chunk"]
        assert editor.text(sid, "user_message_chunk") == "what does it do?"
        assert editor.text(sid) == "It prints hi."
        call = editor.of(sid, "tool_call")[0]
        assert (call.tool_call_id, call.kind, call.status) == ("r1", "read", "completed")
        forked = await conn.fork_session(session_id=sid, cwd=str(workspace))
        assert forked.session_id != sid
        ids = {s.session_id for s in (await conn.list_sessions(cwd=str(workspace))).sessions}
        assert ids == {sid, forked.session_id}


async def lsp_client(workspace: Path, env: dict[str, str]) -> LspClient:
    client = LspClient([sys.executable, "-m", "opencode_lsp"], env=env, cwd=str(workspace))

    async def accept(_params):
        return None

    client.feature("window/workDoneProgress/create")(accept)
    await client.start()
    await client.request("initialize", {"processId": os.getpid(), "rootUri": workspace.as_uri(),
                                        "capabilities": {}, "initializationOptions": {}})
    client.notify("initialized", {})
    return client


async def test_acp_and_lsp_share_sessions(workspace, agent_env, fake):
    fake.set_script([[{"text": "Hi from ACP."}]])
    async with acp_agent(workspace, agent_env) as (editor, conn, _process):
        acp_sid = await new_session(conn, workspace)
        await asyncio.wait_for(conn.prompt(session_id=acp_sid, prompt=[acp.text_block("hello")]), WAIT)
        lsp = await lsp_client(workspace, agent_env)
        try:
            listed = await asyncio.wait_for(lsp.request("opencode/session/list", {}), WAIT)
            assert acp_sid in [s["id"] for s in listed]
            messages = await lsp.request("opencode/session/messages", {"sessionID": acp_sid})
            assert [m["info"]["role"] for m in messages] == ["user", "assistant"]
            # A session the LSP side imported (OpenCode's own export) loads over ACP.
            imported = await lsp.request("opencode/session/import", {"data": json.loads(REFERENCE.read_text())})
        finally:
            await lsp.close()
        await asyncio.wait_for(conn.load_session(cwd=str(workspace), session_id=imported["id"], mcp_servers=[]), WAIT)
        assert editor.of(imported["id"], "user_message_chunk")
        assert editor.of(imported["id"], "tool_call")


async def test_bad_params_and_unknown_sessions(workspace, agent_env):
    async with acp_agent(workspace, agent_env) as (_editor, conn, _process):
        with pytest.raises(acp.RequestError) as relative:
            await conn.new_session(cwd="relative/dir", mcp_servers=[])
        assert relative.value.code == -32602 and "cwd" in json.dumps(relative.value.data)
        with pytest.raises(acp.RequestError) as unknown:
            await conn.prompt(session_id="ses_nope", prompt=[acp.text_block("x")])
        assert unknown.value.code == -32002
        with pytest.raises(acp.RequestError) as missing:
            await conn.load_session(cwd=str(workspace), session_id="ses_nope", mcp_servers=[])
        assert missing.value.code == -32002
        sid = await new_session(conn, workspace)
        with pytest.raises(acp.RequestError) as empty:
            await conn.prompt(session_id=sid, prompt=[])
        assert empty.value.code == -32602 and "prompt" in json.dumps(empty.value.data)
        with pytest.raises(acp.RequestError) as cursor:
            await conn.list_sessions(cwd=str(workspace), cursor="zzz")
        assert cursor.value.code == -32602


async def test_missing_provider_key_is_auth_required_naming_the_variable(workspace, agent_env, fake):
    write_config(workspace, fake.base_url, model="anthropic/claude-sonnet-4-5")
    async with acp_agent(workspace, agent_env) as (_editor, conn, _process):
        sid = await new_session(conn, workspace)
        with pytest.raises(acp.RequestError) as info:
            await asyncio.wait_for(conn.prompt(session_id=sid, prompt=[acp.text_block("hi")]), WAIT)
        assert info.value.code == -32000
        assert "ANTHROPIC_API_KEY" in str(info.value)
    assert len(fake.requests) == 0


async def test_exits_cleanly_when_stdin_closes(workspace, agent_env, fake):
    fake.set_script([[{"text": "ok"}]])
    async with acp_agent(workspace, agent_env) as (_editor, conn, process):
        sid = await new_session(conn, workspace)
        await asyncio.wait_for(conn.prompt(session_id=sid, prompt=[acp.text_block("hi")]), WAIT)
    assert process.returncode == 0


async def test_mcp_servers_from_the_client_offer_their_tools(workspace, agent_env, fake):
    from acp.schema import EnvVariable, McpServerStdio

    server = Path(__file__).resolve().parents[1] / "mcp" / "servers" / "stdio_server.py"
    fake.set_script([[{"tool_call": {"name": "calc_add", "id": "m1", "arguments": {"a": 2, "b": 40}}}],
                     [{"text": "It is 42."}]])
    async with acp_agent(workspace, agent_env) as (editor, conn, _process):
        response = await asyncio.wait_for(conn.new_session(cwd=str(workspace), mcp_servers=[McpServerStdio(
            name="calc", command=sys.executable, args=[str(server)], env=[EnvVariable(name="X", value="1")])]), WAIT)
        sid = response.session_id
        result = await asyncio.wait_for(conn.prompt(session_id=sid, prompt=[acp.text_block("add")]), WAIT)
        assert result.stop_reason == "end_turn"
        first = next(b for b in fake.requests if b.get("tools"))
        offered = [t["function"]["name"] for t in first["tools"]]
        assert "calc_add" in offered
        done = [u for u in editor.of(sid, "tool_call_update") if u.status == "completed"]
        assert [u.tool_call_id for u in done] == ["m1"]
        assert "42" in done[0].raw_output["output"]

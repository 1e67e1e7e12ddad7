"""session/prompt over ACP: streamed chunks, tool calls with diffs, permission asks, fs capabilities."""

from __future__ import annotations

import asyncio
from pathlib import Path

import acp
import pytest

from .conftest import WAIT, acp_agent, write_config


async def new_session(conn, workspace: Path) -> str:
    response = await asyncio.wait_for(conn.new_session(cwd=str(workspace), mcp_servers=[]), WAIT)
    return response.session_id


async def ask(conn, session_id: str, text: str):
    return await asyncio.wait_for(conn.prompt(session_id=session_id, prompt=[acp.text_block(text)]), WAIT)


async def test_initialize_and_new_session_offer_modes_and_models(workspace, agent_env):
    async with acp_agent(workspace, agent_env) as (_editor, conn, _process):
        sid = await new_session(conn, workspace)
        response = await conn.resume_session(session_id=sid, cwd=str(workspace))
        assert {m.id for m in response.modes.available_modes} >= {"build", "plan"}
        assert response.modes.current_mode_id == "build"
        by_id = {o.root.id if hasattr(o, "root") else o.id: o for o in response.config_options}
        assert by_id["model"].current_value == "fake/m"
        assert [o.value for o in by_id["model"].options] == ["fake/m"]
        await conn.set_session_mode(session_id=sid, mode_id="plan")
        with pytest.raises(acp.RequestError) as bad_mode:
            await conn.set_session_mode(session_id=sid, mode_id="explore")  # a subagent cannot lead
        assert bad_mode.value.code == -32602
        with pytest.raises(acp.RequestError) as bad_model:
            await conn.set_config_option(config_id="model", session_id=sid, value="nope/x")
        assert bad_model.value.code == -32602
        changed = await conn.set_config_option(config_id="mode", session_id=sid, value="build")
        assert [o.current_value for o in changed.config_options if o.id == "mode"] == ["build"]


async def test_streamed_text_and_thoughts_equal_the_scripted_answer(workspace, agent_env, fake):
    fake.set_script([[{"reasoning": "Think first, then answer.", "chunks": 3},
                      {"text": "Hello there, this is the whole answer.", "chunks": 5}]])
    async with acp_agent(workspace, agent_env) as (editor, conn, _process):
        sid = await new_session(conn, workspace)
        result = await ask(conn, sid, "say hello")
        assert result.stop_reason == "end_turn"
        assert editor.text(sid) == "Hello there, this is the whole answer."
        assert len(editor.of(sid, "agent_message_chunk")) >= 5  # streamed, not sent at the end
        assert editor.text(sid, "agent_thought_chunk") == "Think first, then answer."
        # the user's own words are not echoed back as the agent's
        assert "say hello" not in editor.text(sid)


@pytest.mark.parametrize("fs", [False, True], ids=["disk", "client-fs"])
async def test_edit_asks_permission_shows_a_diff_and_lands_on_disk(workspace, agent_env, fake, fs):
    target = workspace / "notes.txt"
    target.write_text("alpha\nbeta\n")
    write_config(workspace, fake.base_url, permission={"edit": "ask"})  # OpenCode allows edits by default
    fake.set_script([
        [{"tool_call": {"name": "edit", "id": "call_e1",
                        "arguments": {"filePath": str(target), "oldString": "beta", "newString": "gamma"}}}],
        [{"text": "Changed it."}],
    ])
    async with acp_agent(workspace, agent_env, fs=fs) as (editor, conn, _process):
        if fs:  # the editor holds unsaved text: the agent must read and edit that, not the disk
            editor.buffers[str(target)] = "alpha (unsaved)\nbeta\n"
        sid = await new_session(conn, workspace)
        result = await ask(conn, sid, "change beta")
        assert result.stop_reason == "end_turn"

        starts = editor.of(sid, "tool_call")
        assert [(s.tool_call_id, s.kind) for s in starts] == [("call_e1", "edit")]
        (psid, call, options), = editor.permission_requests
        assert psid == sid and call.tool_call_id == "call_e1"
        assert "gamma" in call.content[0].content.text  # the unified diff is shown before answering
        assert [(o.option_id, o.kind) for o in options] == [
            ("once", "allow_once"), ("always", "allow_always"), ("reject", "reject_once")]
        assert "edit" in options[1].name and "workspace" in options[1].name

        final = [u for u in editor.of(sid, "tool_call_update") if u.status == "completed"]
        assert len(final) == 1 and final[0].tool_call_id == "call_e1"
        diff = next(c for c in final[0].content if c.type == "diff")
        assert diff.path == str(target)
        before = "alpha (unsaved)\nbeta\n" if fs else "alpha\nbeta\n"
        after = before.replace("beta", "gamma")
        assert diff.old_text == before and diff.new_text == after
        assert [str(loc.path) for loc in final[0].locations] == [str(target)]
        assert target.read_text() == after
        if fs:
            assert str(target) in editor.reads
            assert editor.writes == [(str(target), after)]
        else:
            assert editor.reads == [] and editor.writes == []
        assert editor.text(sid) == "Changed it."


async def test_reject_fails_the_tool_call_and_keeps_the_file(workspace, agent_env, fake):
    target = workspace / "keep.txt"
    target.write_text("same\n")
    write_config(workspace, fake.base_url, permission={"edit": "ask"})  # OpenCode allows edits by default
    fake.set_script([
        [{"tool_call": {"name": "write", "id": "call_w1", "arguments": {"filePath": str(target), "content": "x\n"}}}],
        [{"text": "Understood."}],
    ])
    async with acp_agent(workspace, agent_env) as (editor, conn, _process):
        editor.answers = ["reject"]
        sid = await new_session(conn, workspace)
        await ask(conn, sid, "overwrite it")
        assert target.read_text() == "same\n"
        failed = [u for u in editor.of(sid, "tool_call_update") if u.status == "failed"]
        assert [u.tool_call_id for u in failed] == ["call_w1"]


async def test_always_is_remembered_for_the_workspace(workspace, agent_env, fake):
    # "Always" grants the scope the ask named: for an edit, that file (not every edit).
    a, b = workspace / "a.txt", workspace / "b.txt"
    write_config(workspace, fake.base_url, permission={"edit": "ask"})  # OpenCode allows edits by default
    fake.set_script([
        [{"tool_call": {"name": "write", "id": "c1", "arguments": {"filePath": str(a), "content": "1\n"}}}],
        [{"text": "one"}],
        [{"tool_call": {"name": "write", "id": "c2", "arguments": {"filePath": str(a), "content": "2\n"}}}],
        [{"text": "two"}],
        [{"tool_call": {"name": "write", "id": "c3", "arguments": {"filePath": str(b), "content": "3\n"}}}],
        [{"text": "three"}],
    ])
    async with acp_agent(workspace, agent_env) as (editor, conn, _process):
        editor.answers = ["always", "once"]
        sid = await new_session(conn, workspace)
        await ask(conn, sid, "write a")
        await ask(conn, sid, "write a again")
        assert len(editor.permission_requests) == 1 and a.read_text() == "2\n"
        await ask(conn, sid, "write b")
        assert len(editor.permission_requests) == 2 and b.read_text() == "3\n"


async def test_todos_become_a_plan(workspace, agent_env, fake):
    todos = [{"content": "Read the code", "status": "completed", "priority": "high"},
             {"content": "Fix the bug", "status": "in_progress", "priority": "medium"}]
    fake.set_script([[{"tool_call": {"name": "todowrite", "id": "t1", "arguments": {"todos": todos}}}],
                     [{"text": "Planned."}]])
    async with acp_agent(workspace, agent_env) as (editor, conn, _process):
        sid = await new_session(conn, workspace)
        await ask(conn, sid, "plan it")
        plans = editor.of(sid, "plan")
        assert plans, "no plan update"
        assert [(e.content, e.status, e.priority) for e in plans[-1].entries] == [
            ("Read the code", "completed", "high"), ("Fix the bug", "in_progress", "medium")]


def _user_text(body) -> str:
    user = [m for m in body["messages"] if m["role"] == "user"][-1]
    content = user["content"]
    return content if isinstance(content, str) else " ".join(c.get("text", "") for c in content)


async def test_slash_commands_are_announced_and_expanded(workspace, agent_env, fake):
    write_config(workspace, fake.base_url,
                 command={"greet": {"template": "Say hello to $ARGUMENTS politely.", "description": "greets"}})
    fake.set_script([[{"text": "Hello, Ada."}]])
    async with acp_agent(workspace, agent_env) as (editor, conn, _process):
        sid = await new_session(conn, workspace)
        announced = await editor.wait_for(lambda: editor.of(sid, "available_commands_update"))
        names = {c.name for c in announced[-1].available_commands}
        assert {"greet", "init", "compact"} <= names
        result = await ask(conn, sid, "/greet Ada")
        assert result.stop_reason == "end_turn" and editor.text(sid) == "Hello, Ada."
        main = [b for b in fake.requests if b.get("tools")]
        assert "Say hello to Ada politely." in _user_text(main[-1])


async def test_image_and_embedded_resource_prompts_reach_the_model(workspace, agent_env, fake):
    pixel = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
    fake.set_script([[{"text": "A dot."}]])
    async with acp_agent(workspace, agent_env) as (_editor, conn, _process):
        sid = await new_session(conn, workspace)
        blocks = [acp.text_block("what is this?"), acp.image_block(pixel, "image/png"),
                  acp.resource_block(acp.embedded_text_resource("file:///tmp/unsaved.py", "x = 41 + 1"))]
        result = await asyncio.wait_for(conn.prompt(session_id=sid, prompt=blocks), WAIT)
        assert result.stop_reason == "end_turn"
        body = [b for b in fake.requests if b.get("tools")][-1]
        user = [m for m in body["messages"] if m["role"] == "user"][-1]
        assert any(c.get("type") == "image_url" and pixel in c["image_url"]["url"] for c in user["content"])
        assert "x = 41 + 1" in _user_text(body)


async def test_step_limit_answers_max_turn_requests_and_titles_follow(workspace, agent_env, fake):
    write_config(workspace, fake.base_url, agent={"build": {"steps": 2}})
    read = {"name": "read", "arguments": {"filePath": str(workspace / "hello.py")}}
    fake.set_script([[{"tool_call": {**read, "id": "r1"}}], [{"text": "Stopping here."}], [{"text": "Short."}]])
    async with acp_agent(workspace, agent_env) as (editor, conn, _process):
        sid = await new_session(conn, workspace)
        assert (await ask(conn, sid, "read it twice")).stop_reason == "max_turn_requests"
        assert (await ask(conn, sid, "and now?")).stop_reason == "end_turn"
        # The title generated in the background reaches the client.
        titled = await editor.wait_for(lambda: editor.of(sid, "session_info_update"))
        assert titled[-1].title == "A title"

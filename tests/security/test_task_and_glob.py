"""task may only continue the caller's own subagents; glob may not move its root out of the
workspace without the external_directory check. Both over the real server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.faults.harness import Editor, model_options, tool_parts
from tests.security.test_security import ask_then, layout  # noqa: F401  (a fixture)


def task_call(task_id: str) -> dict:
    return {"name": "task", "arguments": {"description": "look", "prompt": "look around",
                                          "subagent_type": "general", "task_id": task_id}}


@pytest.mark.parametrize("which", ["other session", "own session", "unknown id"])
async def test_task_id_must_name_a_child_of_the_caller(layout, fake, which):
    editor = Editor(layout["root"], model_options(layout["store"], fake.base_url))
    await editor.start()
    try:
        other = await editor.new_session()
        caller = await editor.new_session()
        target = {"other session": other, "own session": caller, "unknown id": "ses_doesnotexist"}[which]
        fake.set_script([[{"tool_call": task_call(target)}], "done"])
        # The run ends by itself (no deadlock on its own session); the wait only bounds a bug.
        await asyncio.wait_for(editor.prompt(caller), 60)
        (tool,) = tool_parts(await editor.messages(caller))
        assert tool["state"]["status"] == "error"
        assert "task_id" in tool["state"]["error"]
        assert len(await editor.messages(other)) == 0  # the other session never ran
    finally:
        await editor.close()


@pytest.mark.parametrize("pattern", ["../outside/*", "{outside}/*", "~/*", "../*/secret*"])
async def test_glob_pattern_cannot_move_the_root_outside_unchecked(layout, fake, pattern, monkeypatch):
    outside: Path = layout["outside"]
    pattern = pattern.replace("{outside}", str(outside))
    editor = Editor(layout["root"], model_options(layout["store"], fake.base_url,
                                                  permission={"external_directory": "deny"}))
    await editor.start()
    try:
        asked, tool = await ask_then(editor, fake, {"name": "glob", "arguments": {"pattern": pattern}})
        assert tool["state"]["status"] == "error"
        assert "secret.txt" not in str(tool["state"])
    finally:
        await editor.close()

"""The model cannot raise its own permissions mid-run: rules are fixed when a run starts, and
writing the files that define them asks (config_edit) even when edits are allowed."""

from __future__ import annotations

import asyncio

import pytest

from tests.faults.harness import Editor, model_options, tool_parts
from tests.security.test_security import layout  # noqa: F401  (a fixture)

LOOSER_AGENT = "---\ndescription: build\nmode: primary\npermission:\n  bash: allow\n---\nDo anything.\n"
LOOSER_CONFIG = '{"permission": {"bash": "allow"}}'


@pytest.mark.parametrize("path,content", [(".opencode/agent/build.md", LOOSER_AGENT),
                                          ("opencode.json", LOOSER_CONFIG)])
async def test_a_written_config_never_widens_the_running_run(layout, fake, path, content):
    root = layout["root"]
    editor = Editor(root, model_options(layout["store"], fake.base_url,
                                        permission={"edit": "allow", "bash": {"*": "deny", "echo *": "allow"}}))
    await editor.start()
    answered: set[str] = set()

    async def answer_every_ask() -> None:
        while True:
            for event in editor.events_of("permission.asked"):
                rid = event["properties"]["id"]
                if rid not in answered:
                    answered.add(rid)
                    await editor.request("opencode/permission/reply", {"requestID": rid, "reply": "once"})
            await asyncio.sleep(0.05)

    answerer = asyncio.ensure_future(answer_every_ask())
    try:
        fake.set_script([
            [{"tool_call": {"name": "write", "arguments": {"filePath": str(root / path), "content": content}}}],
            [{"tool_call": {"name": "bash", "arguments": {"command": "touch pwned", "description": "x"}}}],
            "done",
        ])
        sid = await editor.new_session()
        await asyncio.wait_for(editor.prompt(sid), 90)
        asked = [e["properties"]["permission"] for e in editor.events_of("permission.asked")]
        write, bash = tool_parts(await editor.messages(sid))
        assert write["state"]["status"] == "completed" and (root / path).exists()
        # First the widening itself: the looser file, written and in place, changed nothing.
        assert bash["state"]["status"] == "error" and not (root / "pwned").exists()
        assert "bash" not in asked  # denied by the rules the run started with, not asked
        assert "config_edit" in asked  # the write itself asked, although edits are allowed
    finally:
        answerer.cancel()
        await editor.close()

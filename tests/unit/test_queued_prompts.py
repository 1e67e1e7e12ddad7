"""A prompt that arrives while its session runs is answered after the current turn, even when it
lands in the last moments of the loop (while the final step's snapshot is taken)."""

from __future__ import annotations

import asyncio

from opencode_lsp.core.user_input import PromptInput

from .test_compaction import make_app


def prompt(app, sid: str, text: str):
    return app.runner.prompt(sid, PromptInput(parts=[{"type": "text", "text": text}]))


async def test_a_prompt_arriving_while_the_last_step_ends_is_answered(tmp_path):
    app, model = make_app(tmp_path, ["first answer", "second answer"])
    sid = app.sessions.create().id
    summaries = app.summaries
    original = summaries.after_step
    late: list[asyncio.Future] = []

    async def after_step(message, before):
        await original(message, before)
        if not late:  # the loop has looked at the messages for the last time: prompt now
            late.append(asyncio.ensure_future(prompt(app, sid, "one more thing")))
            await asyncio.sleep(0)

    summaries.after_step = after_step
    first = await prompt(app, sid, "first")
    second = await asyncio.wait_for(late[0], 30)
    assert first.parts[-2].text == "first answer"
    assert second.parts[-2].text == "second answer"
    users = [e["info"]["id"] for e in app.sessions.messages(sid) if e["info"]["role"] == "user"]
    assert first.info.parentID == users[0] and second.info.parentID == users[1]
    assert len(model.requests) == 2


async def test_each_queued_prompt_gets_its_own_answer(tmp_path):
    app, model = make_app(tmp_path, ["first answer", "second answer"])
    sid = app.sessions.create().id
    gate = asyncio.Event()
    original = app.summaries.before_step

    async def before_step():
        await gate.wait()
        return await original()

    app.summaries.before_step = before_step
    first = asyncio.ensure_future(prompt(app, sid, "first"))
    while not app.runner.is_busy(sid):
        await asyncio.sleep(0.01)
    second = asyncio.ensure_future(prompt(app, sid, "second"))
    await asyncio.sleep(0.05)
    gate.set()
    first, second = await asyncio.wait_for(asyncio.gather(first, second), 30)
    assert first.info.id != second.info.id
    assert second.parts[-2].text == "second answer"

"""Stored approvals over LSP: "always" on an edit of one file grants that file only; the
approvals are listed and revoked; a revoked approval asks again."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_openai import FakeOpenAI

from .conftest import call


@pytest.fixture
def init_options(tmp_path: Path, fake: FakeOpenAI) -> dict[str, Any]:
    return {"storage": {"path": str(tmp_path / "store")}, "events": True, "permissionUI": True,
            "model": "fake/m", "providers": {"fake": {"apiBase": fake.base_url}}, "permission": {"edit": "ask"}}


def write(workspace: Path, name: str) -> list[Any]:
    return [[{"tool_call": {"name": "write", "arguments": {"filePath": str(workspace / name), "content": f"{name}\n"}}}],
            [{"text": "written"}]]


async def run_and_answer(client, sid: str, reply: str | None) -> list[dict[str, Any]]:
    """Prompt; answer the ask (if one comes) with ``reply``; returns the asks seen."""
    seen = len([e for e in client.recorder.events if e["type"] == "permission.asked"])
    running = asyncio.ensure_future(call(client, "opencode/session/prompt", {
        "sessionID": sid, "parts": [{"type": "text", "text": "write it"}]}))
    if reply is not None:
        asked = await client.recorder.wait_for(lambda: [e for e in client.recorder.events
                                                        if e["type"] == "permission.asked"][seen:])
        await call(client, "opencode/permission/reply", {"requestID": asked[0]["properties"]["id"], "reply": reply})
    try:
        await asyncio.wait_for(running, 30)
    except asyncio.TimeoutError:
        raise AssertionError([e for e in client.recorder.events if e["type"].startswith("permission")])
    return [e["properties"] for e in client.recorder.events if e["type"] == "permission.asked"][seen:]


async def test_always_grants_the_file_and_can_be_revoked(client, fake, workspace):
    sid = (await call(client, "opencode/session/create", {}))["id"]
    fake.set_script(write(workspace, "calc.py"))
    (asked,) = await run_and_answer(client, sid, "always")
    assert asked["always"] == ["calc.py"]  # the exact scope, stated in the ask
    (approval,) = await call(client, "opencode/permission/approvals", {})
    assert approval["permission"] == "edit" and approval["pattern"] == "calc.py" and approval["sessionID"] == sid

    fake.set_script(write(workspace, "calc.py"))
    assert await run_and_answer(client, sid, None) == []  # that file: no ask
    fake.set_script(write(workspace, "other.py"))
    assert len(await run_and_answer(client, sid, "once")) == 1  # another file still asks

    assert await call(client, "opencode/permission/revoke", {"id": approval["id"]}) is True
    assert await call(client, "opencode/permission/approvals", {}) == []
    assert await call(client, "opencode/permission/revoke", {"id": approval["id"]}) is False
    fake.set_script(write(workspace, "calc.py"))
    assert len(await run_and_answer(client, sid, "once")) == 1  # asks again

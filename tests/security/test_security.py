"""Security over the real server: workspace escapes, secret files, webfetch targets, API keys,
and permission replies that do not belong to a pending ask.

Every escape is driven by the scripted model, as an agent would try it; a marker string in the
files outside the workspace must never reach the model, the store or the client.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from opencode_lsp.client import RpcError
from tests.faults.harness import Editor, model_options, tool_parts
from tests.support.fake_openai import FakeOpenAI

SECRET = "TOP-SECRET-MARKER-5c1e"
API_KEY = "sk-test-DO-NOT-LEAK-9f3a7b"
ENV_KEY = "sk-env-DO-NOT-LEAK-11d2"


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    root = tmp_path / "ws"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"{SECRET}\n")
    (root / "hello.py").write_text('print("hi")\n')
    (root / ".env").write_text(f"TOKEN={SECRET}\n")
    (root / "link.txt").symlink_to(outside / "secret.txt")
    (root / "linkdir").symlink_to(outside)
    return {"root": root, "outside": outside, "store": tmp_path / "store", "log": tmp_path / "server.log"}


async def ask_then(editor: Editor, fake: FakeOpenAI, call: dict[str, Any], reply: str = "reject"):
    """Prompt a single tool call; answer its permission ask (if any) with ``reply``."""
    fake.set_script([[{"tool_call": call}], "done"])
    sid = await editor.new_session()
    asked_before = len(editor.events_of("permission.asked"))
    prompt = asyncio.ensure_future(editor.prompt(sid))
    done, _ = await asyncio.wait(
        [prompt, asyncio.ensure_future(editor.wait_for(lambda: len(editor.events_of("permission.asked")) > asked_before))],
        return_when=asyncio.FIRST_COMPLETED, timeout=30)
    asked = editor.events_of("permission.asked")[asked_before:]
    for request in asked:
        await editor.request("opencode/permission/reply", {"requestID": request["properties"]["id"], "reply": reply})
    await asyncio.wait_for(prompt, 30)
    (tool,) = tool_parts(await editor.messages(sid))
    return [a["properties"] for a in asked], tool


def leaked(fake: FakeOpenAI, editor: Editor, store: Path, needle: str) -> list[str]:
    where = []
    if any(needle in str(body) for body in fake.requests):
        where.append("model requests")
    if any(needle in str(n) for n in editor.notifications):
        where.append("client notifications")
    for path in store.rglob("*"):
        if path.is_file() and needle.encode() in path.read_bytes():
            where.append(str(path))
    return where


@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink", "symlinked-dir"])
async def test_tools_cannot_leave_the_workspace_without_external_directory(layout, fake, how):
    root, outside = layout["root"], layout["outside"]
    target = {"dotdot": "../outside/secret.txt", "absolute": str(outside / "secret.txt"),
              "symlink": "link.txt", "symlinked-dir": "linkdir/secret.txt"}[how]
    editor = Editor(root, model_options(layout["store"], fake.base_url))
    await editor.start()
    try:
        asked, tool = await ask_then(editor, fake, {"name": "read", "arguments": {"filePath": target}})
        assert [a["permission"] for a in asked] == ["external_directory"]
        assert asked[0]["patterns"] == [f"{outside}/*"]
        assert tool["state"]["status"] == "error"
        assert leaked(fake, editor, layout["store"], SECRET) == []
        # Allowed once, the same read goes through: the ask was the only thing in the way.
        asked, tool = await ask_then(editor, fake, {"name": "read", "arguments": {"filePath": target}}, "once")
        assert tool["state"]["status"] == "completed" and SECRET in tool["state"]["output"]
    finally:
        await editor.close()


async def test_writes_and_shell_outside_the_workspace_ask_too(layout, fake):
    root, outside = layout["root"], layout["outside"]
    editor = Editor(root, model_options(layout["store"], fake.base_url))
    await editor.start()
    try:
        asked, tool = await ask_then(editor, fake, {"name": "write", "arguments": {
            "filePath": "../outside/planted.txt", "content": "x"}})
        assert "external_directory" in [a["permission"] for a in asked] and tool["state"]["status"] == "error"
        assert not (outside / "planted.txt").exists()
        asked, tool = await ask_then(editor, fake, {"name": "bash", "arguments": {
            "command": f"cat {outside}/secret.txt", "description": "peek"}})
        assert "external_directory" in [a["permission"] for a in asked] and tool["state"]["status"] == "error"
        assert leaked(fake, editor, layout["store"], SECRET) == []
    finally:
        await editor.close()


async def test_reading_dot_env_asks(layout, fake):
    editor = Editor(layout["root"], model_options(layout["store"], fake.base_url))
    await editor.start()
    try:
        asked, tool = await ask_then(editor, fake, {"name": "read", "arguments": {"filePath": ".env"}})
        assert [(a["permission"], a["patterns"]) for a in asked] == [("read", [str(layout["root"] / ".env")])]
        assert tool["state"]["status"] == "error"
        assert leaked(fake, editor, layout["store"], SECRET) == []
    finally:
        await editor.close()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "http://127.0.0.1:{port}/v1/models",
                                 "http://169.254.169.254/latest/meta-data/", "http://[::1]:{port}/", "http://10.0.0.1/"])
async def test_webfetch_refuses_other_schemes_and_private_addresses(layout, fake, url):
    editor = Editor(layout["root"], model_options(layout["store"], fake.base_url,
                                                  permission={"webfetch": "allow"}))
    await editor.start()
    try:
        requests_before = len(fake.requests)
        _, tool = await ask_then(editor, fake, {"name": "webfetch", "arguments": {
            "url": url.format(port=fake.port), "format": "text"}})
        assert tool["state"]["status"] == "error"
        assert "http" in tool["state"]["error"] or "private" in tool["state"]["error"]
        # Nothing but model calls reached the loopback server.
        assert all("messages" in body for body in fake.requests[requests_before:])
    finally:
        await editor.close()


async def test_webfetch_reaches_private_addresses_only_when_allowed(layout, fake):
    editor = Editor(layout["root"], model_options(layout["store"], fake.base_url, allowPrivateNetwork=True,
                                                  permission={"webfetch": "allow"}))
    await editor.start()
    try:
        _, tool = await ask_then(editor, fake, {"name": "webfetch", "arguments": {
            "url": f"http://127.0.0.1:{fake.port}/v1/models", "format": "text"}})
        assert tool["state"]["status"] == "completed" and "fake-model" in tool["state"]["output"]
    finally:
        await editor.close()


async def test_api_keys_never_reach_store_logs_exports_or_config(layout, fake):
    options = model_options(layout["store"], fake.base_url)
    options["providers"]["fake"]["apiKey"] = API_KEY
    options["providers"]["other"] = {"apiBase": fake.base_url, "apiKeyEnv": "SECRET_PROVIDER_KEY"}
    options["provider"] = {"third": {"options": {"apiKey": API_KEY + "-inline", "baseURL": fake.base_url}}}
    editor = Editor(layout["root"], options, env={"SECRET_PROVIDER_KEY": ENV_KEY,
                                                  "OPENCODE_LSP_LOG_FILE": str(layout["log"])})
    editor.client.command = [*editor.client.command, "--verbose"]
    await editor.start()
    try:
        fake.set_script([[{"tool_call": {"name": "read", "arguments": {"filePath": "hello.py"}}}], "done"])
        sid = await editor.new_session()
        await editor.prompt(sid)
        fake.set_script(["other provider"])
        await editor.request("opencode/session/prompt", {"sessionID": sid, "parts": [{"type": "text", "text": "x"}],
                                                         "model": {"providerID": "other", "modelID": "m"}})
        # The keys are really in use ...
        auth = [h.get("authorization", "") for h in fake.request_headers]
        assert f"Bearer {API_KEY}" in auth and f"Bearer {ENV_KEY}" in auth
        exported = await editor.request("opencode/session/export", {"sessionID": sid})
        config = await editor.request("opencode/config/get", {})
        models = await editor.request("opencode/model/list", {})
    finally:
        await editor.close()
    # ... and appear nowhere else.
    for key in (API_KEY, ENV_KEY):
        assert key not in str(exported) and key not in str(config) and key not in str(models)
        assert key not in str(editor.notifications) and key not in str(editor.events)
        assert layout["log"].exists() and key not in layout["log"].read_text()
        for path in layout["store"].rglob("*"):
            assert not path.is_file() or key.encode() not in path.read_bytes(), path
    assert "<redacted>" in str(config)


async def test_permission_reply_for_unknown_or_foreign_ids_is_refused(layout, fake, tmp_path):
    editor = Editor(layout["root"], model_options(layout["store"], fake.base_url, permission={"bash": "ask"}))
    other = Editor(layout["root"], model_options(tmp_path / "other-store", fake.base_url,
                                                 permission={"bash": "ask"}))
    await editor.start()
    await other.start()
    try:
        fake.set_script([[{"tool_call": {"name": "bash", "arguments": {"command": "echo hi", "description": "hi"}}}],
                         [{"tool_call": {"name": "bash", "arguments": {"command": "echo hi", "description": "hi"}}}]])
        sid = await editor.new_session()
        prompt = asyncio.ensure_future(editor.prompt(sid))
        (mine,) = (await editor.wait_for(lambda: editor.events_of("permission.asked")))
        other_sid = await other.new_session()
        other_prompt = asyncio.ensure_future(other.prompt(other_sid))
        (foreign,) = (await other.wait_for(lambda: other.events_of("permission.asked")))
        for bogus in ("per_00000000000000000000000000", foreign["properties"]["id"], sid, "../" * 50):
            assert await editor.request("opencode/permission/reply", {"requestID": bogus, "reply": "once"}) is False
        with pytest.raises(RpcError) as empty:  # not even an id: malformed params
            await editor.request("opencode/permission/reply", {"requestID": "", "reply": "once"})
        assert empty.value.code == -32602
        # The real ask is still pending and still answerable.
        assert [r["id"] for r in await editor.request("opencode/permission/list", {})] == [mine["properties"]["id"]]
        assert await editor.request("opencode/permission/reply",
                                    {"requestID": mine["properties"]["id"], "reply": "once"}) is True
        result = await asyncio.wait_for(prompt, 30)
        assert "error" not in result["info"]
        assert await other.request("opencode/session/abort", {"sessionID": other_sid}) is True
        await asyncio.wait_for(other_prompt, 30)
    finally:
        await editor.close()
        await other.close()

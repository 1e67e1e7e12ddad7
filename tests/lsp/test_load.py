"""Load: 20 sessions prompting at once (each with a tool call) while a client lists sessions in a
loop. All runs complete, nothing is lost, and the list keeps answering; its latency is printed
(figures, not assertions: timing belongs in bench/, this machine is shared)."""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

from tests.faults.harness import Editor, model_options, tool_parts
from tests.support.fake_openai import FakeOpenAI, is_title_request

SESSIONS = 20


def answers_a_tool_result(body: dict[str, Any]) -> bool:
    return bool(body.get("messages")) and body["messages"][-1].get("role") == "tool"


def asks_for_a_tool(body: dict[str, Any]) -> bool:
    return not is_title_request(body) and not answers_a_tool_result(body)


async def test_twenty_sessions_prompting_at_once_while_listing(tmp_path: Path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "hello.py").write_text('print("hi")\n')
    with FakeOpenAI() as fake:
        fake.route(is_title_request, [[{"text": "A title"}]])
        fake.route(asks_for_a_tool, [[{"text": "Reading.", "chunks": 2},
                                      {"tool_call": {"name": "read", "arguments": {"filePath": str(root / "hello.py")}}}]])
        fake.route(answers_a_tool_result, [[{"text": "It prints hi. " * 10, "chunks": 40}]])
        editor = Editor(root, model_options(tmp_path / "store", fake.base_url))
        await editor.start()
        try:
            sids = [await editor.new_session() for _ in range(SESSIONS)]
            latencies: list[float] = []
            running = True

            async def lister() -> None:
                while running and len(latencies) < 5000:
                    started = time.perf_counter()
                    listed = await editor.request("opencode/session/list", {"limit": 100})
                    latencies.append(time.perf_counter() - started)
                    assert {s["id"] for s in listed} >= set(sids)

            listing = asyncio.ensure_future(lister())
            results = await asyncio.wait_for(
                asyncio.gather(*(editor.prompt(sid, f"what does hello.py do ({i})") for i, sid in enumerate(sids))),
                180)
            running = False
            await asyncio.wait_for(listing, 30)

            for sid, result in zip(sids, results):
                assert result["info"]["finish"] == "stop" and "error" not in result["info"], sid
                assert result["parts"][1]["text"] == ("It prints hi. " * 10).strip()
                entries = await editor.messages(sid)
                assert [e["info"]["role"] for e in entries] == ["user", "assistant", "assistant"]
                (tool,) = tool_parts(entries)
                assert tool["state"]["status"] == "completed" and 'print("hi")' in tool["state"]["output"]
            assert await editor.request("opencode/session/status", {}) == {}
            assert latencies
            ordered = sorted(latencies)
            print(f"\nsession/list under load: {len(latencies)} calls, "
                  f"median {statistics.median(ordered) * 1000:.1f} ms, "
                  f"p95 {ordered[int(len(ordered) * 0.95) - 1] * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms")
        finally:
            await editor.close()

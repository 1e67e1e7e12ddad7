"""How list and messages latency grow with the workspace and the session.

Builds stores of 10, 100, 1,000 and 10,000 sessions, and sessions of 100, 1,000 and 10,000
messages, straight in the store's on-disk layout (index.json + sessions/<id>.json; building them
through the API would take far longer than measuring them), then times ``opencode/session/list``
and ``opencode/session/messages`` against the real server over stdio.

Run: .venv/bin/python bench/bench_scale.py   (prints figures; no pass/fail)
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.idle import settled  # noqa: E402
from opencode_lsp.client import LspClient  # noqa: E402
from opencode_lsp.core.ids import new_id  # noqa: E402

SERVER = [sys.executable, "-m", "opencode_lsp", "--stdio"]
SESSION_COUNTS = [10, 100, 1_000, 10_000]
MESSAGE_COUNTS = [100, 1_000, 10_000]
CALLS = 30


def session_record(root: Path, n: int) -> dict:
    sid = new_id("ses")
    created = 1_760_000_000_000 + n * 1000
    return {"id": sid, "slug": f"bench-{n}", "projectID": "global", "directory": str(root),
            "title": f"Benchmark session {n}", "version": "1.18.33", "cost": 0.0012,
            "tokens": {"input": 1200, "output": 80, "reasoning": 0, "cache": {"read": 0, "write": 0}},
            "time": {"created": created, "updated": created}}


def conversation(sid: str, count: int) -> dict:
    """``count`` messages alternating user / assistant, with OpenCode's usual parts."""
    messages, parts = {}, {}
    parent = None
    for i in range(count):
        mid = new_id("msg")
        t = 1_760_000_000_000 + i * 10
        if i % 2 == 0:
            messages[mid] = {"id": mid, "sessionID": sid, "role": "user", "time": {"created": t}, "agent": "build",
                             "model": {"providerID": "fake", "modelID": "m"}}
            texts = [("text", {"text": f"Question {i}: what does module {i} do, and why is it slow?"})]
            parent = mid
        else:
            messages[mid] = {"id": mid, "sessionID": sid, "role": "assistant", "parentID": parent,
                             "time": {"created": t, "completed": t + 5}, "modelID": "m", "providerID": "fake",
                             "mode": "build", "agent": "build", "path": {"cwd": "/w", "root": "/w"}, "cost": 0.001,
                             "tokens": {"input": 900, "output": 60, "reasoning": 0, "cache": {"read": 0, "write": 0}},
                             "finish": "stop"}
            texts = [("step-start", {}),
                     ("text", {"text": "It parses the config, then walks the tree once per file. " * 4,
                               "time": {"start": t, "end": t + 4}}),
                     ("step-finish", {"reason": "stop", "cost": 0.001,
                                      "tokens": {"input": 900, "output": 60, "reasoning": 0,
                                                 "cache": {"read": 0, "write": 0}}})]
        for kind, extra in texts:
            pid = new_id("prt")
            parts[pid] = {"id": pid, "sessionID": sid, "messageID": mid, "type": kind, **extra}
    return {"messages": messages, "parts": parts}


def build_store(store: Path, root: Path, sessions: int, messages_in_first: int = 0) -> str:
    (store / "sessions").mkdir(parents=True)
    records = [session_record(root, n) for n in range(sessions)]
    (store / "index.json").write_bytes(orjson.dumps({"sessions": {r["id"]: r for r in records}}))
    first = records[-1]["id"]
    if messages_in_first:
        (store / "sessions" / f"{first}.json").write_bytes(orjson.dumps(conversation(first, messages_in_first)))
    return first


async def start(root: Path, store: Path) -> LspClient:
    env = {**os.environ, "OPENCODE_LSP_NO_GLOBAL_CONFIG": "1"}
    client = LspClient(SERVER, env=env, cwd=str(root))
    await client.start()
    await client.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {},
                                        "initializationOptions": {"storage": {"path": str(store)}}})
    client.notify("initialized", {})
    await settled(client.proc.pid)  # litellm's import in the background is done
    return client


async def interleaved(clients: dict[int, LspClient], method: str, params_for, calls: int = CALLS
                      ) -> dict[int, tuple[float, float, int]]:
    """Per size: (first call ms, median ms of the warm calls, size of the answer).

    The servers of every size are up together and the warm calls go round-robin, one per size
    per round: the machine is shared, and a burst of load then costs every size alike instead
    of whichever happened to be measured at the time, so the ratios between sizes hold.
    """
    first: dict[int, tuple[float, int]] = {}
    for count, client in clients.items():
        started = time.perf_counter()
        result = await client.request(method, params_for(count))
        first[count] = ((time.perf_counter() - started) * 1000, len(result))
    samples: dict[int, list[float]] = {count: [] for count in clients}
    for _ in range(calls):
        for count, client in clients.items():
            started = time.perf_counter()
            await client.request(method, params_for(count))
            samples[count].append((time.perf_counter() - started) * 1000)
    return {count: (first[count][0], statistics.median(samples[count]), first[count][1]) for count in clients}


async def start_all(tmp: Path, prefix: str, counts: list[int], build) -> dict[int, LspClient]:
    clients: dict[int, LspClient] = {}
    for count in counts:
        root = tmp / f"{prefix}ws{count}"
        root.mkdir()
        store = tmp / f"{prefix}store{count}"
        build(store, root, count)
        clients[count] = await start(root, store)
    return clients


async def close_all(clients: dict[int, LspClient]) -> None:
    for client in clients.values():
        await client.close()


async def main() -> None:
    print("session/list vs workspace size (limit 100; first call, then median of warm calls, sizes interleaved)")
    with tempfile.TemporaryDirectory(prefix="oc-bench-scale-") as tmp:
        clients = await start_all(Path(tmp), "list", SESSION_COUNTS, build_store)
        try:
            page = await interleaved(clients, "opencode/session/list", lambda _: {"limit": 100})
            everything = await interleaved(clients, "opencode/session/list", lambda _: {"limit": 100_000}, 10)
        finally:
            await close_all(clients)
        for count in SESSION_COUNTS:
            first, warm, size = page[count]
            _, warm_all, size_all = everything[count]
            print(f"  {count:>6} sessions: list(100) first {first:7.1f} ms, warm {warm:6.1f} ms ({size} rows); "
                  f"list(all) warm {warm_all:7.1f} ms ({size_all} rows)")

        print("session/messages vs session length (first call, then median of warm calls, sizes interleaved)")
        ids: dict[int, str] = {}

        def build_session(store: Path, root: Path, count: int) -> None:
            ids[count] = build_store(store, root, 10, count)

        clients = await start_all(Path(tmp), "msgs", MESSAGE_COUNTS, build_session)
        try:
            whole = await interleaved(clients, "opencode/session/messages", lambda n: {"sessionID": ids[n]}, 10)
            tail = await interleaved(clients, "opencode/session/messages",
                                     lambda n: {"sessionID": ids[n], "limit": 50})
        finally:
            await close_all(clients)
        for count in MESSAGE_COUNTS:
            first, warm, size = whole[count]
            print(f"  {count:>6} messages: all first {first:7.1f} ms, warm {warm:7.1f} ms ({size} entries); "
                  f"last 50 warm {tail[count][1]:6.1f} ms")
    print(f"ratio list(100) at 10,000 / 100 sessions: {page[10_000][1] / page[100][1]:.2f}x (target <= 2x)")
    print(f"ratio last 50 of 10,000 / 100 messages: {tail[10_000][1] / tail[100][1]:.2f}x (target <= 2x)")


if __name__ == "__main__":
    asyncio.run(main())

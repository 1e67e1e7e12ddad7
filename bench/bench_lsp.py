"""LSP-level figures: cold start to the initialize result, and session/list over 1,000 sessions.

Run: .venv/bin/python bench/bench_lsp.py   (prints figures; no pass/fail)
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from opencode_lsp.client import LspClient  # noqa: E402

SERVER = [sys.executable, "-m", "opencode_lsp", "--stdio"]


async def start(root: Path, store: Path) -> tuple[LspClient, float]:
    env = {**os.environ, "OPENCODE_LSP_NO_GLOBAL_CONFIG": "1"}
    client = LspClient(SERVER, env=env, cwd=str(root))
    t0 = time.perf_counter()
    await client.start()
    client.feature("workspace/configuration")(_none)
    await client.request("initialize", {
        "processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {},
        "initializationOptions": {"storage": {"path": str(store)}},
    })
    elapsed = time.perf_counter() - t0
    client.notify("initialized", {})
    return client, elapsed


async def _none(_params):
    return None


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        root.mkdir()
        store = Path(tmp) / "store"
        cold = []
        for _ in range(5):
            client, elapsed = await start(root, store)
            cold.append(elapsed)
            await client.close()
        print(f"initialize: process start -> initialize result: median {statistics.median(cold) * 1000:.0f} ms "
              f"(min {min(cold) * 1000:.0f}, max {max(cold) * 1000:.0f}; target < 500 ms)")

        client, _ = await start(root, store)
        for i in range(1000):
            await client.request("opencode/session/create", {"title": f"session {i}"})
        samples = []
        for _ in range(30):
            t0 = time.perf_counter()
            result = await client.request("opencode/session/list", {})
            samples.append(time.perf_counter() - t0)
        assert len(result) == 100
        print(f"session/list over 1,000 sessions (default limit 100): median {statistics.median(samples) * 1000:.1f} ms, "
              f"p95 {sorted(samples)[int(len(samples) * 0.95)] * 1000:.1f} ms (target < 20 ms)")
        samples = []
        for _ in range(20):
            t0 = time.perf_counter()
            result = await client.request("opencode/session/list", {"limit": 1000})
            samples.append(time.perf_counter() - t0)
        assert len(result) == 1000
        print(f"session/list returning all 1,000 sessions: median {statistics.median(samples) * 1000:.1f} ms")
        await client.close()


if __name__ == "__main__":
    asyncio.run(main())

"""MCP start-up: initialize time with zero vs three MCP servers configured, in one run.

Three local servers (tests/mcp/servers/stdio_server.py, written with the mcp SDK) are configured in
the workspace's opencode.json. Printed, as medians over several cold starts of the language server:
process start -> initialize result; initialized -> first session/list answer (the server stays
responsive while MCP servers start); and initialized -> all three connected (opencode/mcp/status).

Run: .venv/bin/python bench/bench_mcp.py   (prints figures; no pass/fail)
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from opencode_lsp.client import LspClient  # noqa: E402

SERVER = [sys.executable, "-m", "opencode_lsp", "--stdio"]
DEMO = ROOT / "tests" / "mcp" / "servers" / "stdio_server.py"
RUNS = 5


async def _none(_params):
    return None


async def one_start(root: Path, store: Path, servers: int) -> tuple[float, float, float | None]:
    config = {"mcp": {f"demo{i}": {"type": "local", "command": [sys.executable, str(DEMO)], "timeout": 60000}
                      for i in range(servers)}}
    (root / "opencode.json").write_text(json.dumps(config))
    env = {**os.environ, "OPENCODE_LSP_NO_GLOBAL_CONFIG": "1"}
    client = LspClient(SERVER, env=env, cwd=str(root))
    t0 = time.perf_counter()
    await client.start()
    client.feature("workspace/configuration")(_none)
    await client.request("initialize", {
        "processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {},
        "initializationOptions": {"storage": {"path": str(store)}},
    })
    initialize = time.perf_counter() - t0
    client.notify("initialized", {})
    t1 = time.perf_counter()
    await client.request("opencode/session/list", {})
    first_list = time.perf_counter() - t1
    connected = None
    if servers:
        while time.perf_counter() - t1 < 120:
            status = await client.request("opencode/mcp/status", {})
            if all(s["state"] == "connected" for s in status):
                connected = time.perf_counter() - t1
                break
            await asyncio.sleep(0.05)
    await client.close()
    return initialize, first_list, connected


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        root.mkdir()
        store = Path(tmp) / "store"
        results: dict[int, list[tuple[float, float, float | None]]] = {0: [], 3: []}
        for _ in range(RUNS):  # interleaved, so machine load falls on both alike
            for servers in (0, 3):
                results[servers].append(await one_start(root, store, servers))

    def median(servers: int, index: int) -> float:
        return statistics.median(r[index] for r in results[servers] if r[index] is not None)

    for label, index in (("initialize (process start -> result)", 0), ("initialized -> first session/list", 1)):
        zero, three = median(0, index) * 1000, median(3, index) * 1000
        print(f"{label}: 0 MCP servers {zero:.0f} ms, 3 MCP servers {three:.0f} ms; "
              f"ratio (3 / 0) {three / zero:.2f}  (median of {RUNS})")
    print(f"initialized -> all 3 MCP servers connected (in the background): {median(3, 2) * 1000:.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())

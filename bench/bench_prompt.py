"""Prompt figures over LSP, with the real server and real litellm against the scripted model.

- first streamed report: time from the scripted server writing its first text delta to the
  client receiving the first ``$/progress`` report that carries a delta (target < 10 ms);
- server CPU per streamed delta, litellm included (target < 0.5 ms);
- wall time of a warm two-step prompt: one tool call, then a 40-chunk answer (OpenCode 1.18.33's
  ``opencode serve``: about 0.2 s on this machine);
- server RSS after the runs (OpenCode: about 850 MB; target < 300 MB);
- bytes of notifications streamed for answers of 1,000 and 2,000 deltas (linear: ratio ~2x).

Run: .venv/bin/python bench/bench_prompt.py   (prints figures; no pass/fail)
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from opencode_lsp.client import LspClient  # noqa: E402
from tests.support import fake_openai  # noqa: E402
from tests.support.fake_openai import FakeOpenAI, is_title_request  # noqa: E402

SERVER = [sys.executable, "-m", "opencode_lsp", "--stdio"]
FIRST_DELTA_WRITTEN: list[float] = []


def _record_first_delta() -> None:
    """Timestamp the fake server's text deltas (same process, same clock as the client)."""
    original = fake_openai._Stream._delta

    def delta(self, payload):
        if payload.get("content"):
            FIRST_DELTA_WRITTEN.append(time.perf_counter())
        return original(self, payload)

    fake_openai._Stream._delta = delta


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Bench:
    def __init__(self, root: Path, store: Path, fake: FakeOpenAI):
        self.root, self.store, self.fake = root, store, fake
        self.first_report: list[float] = []
        self.notified_bytes = 0
        self.client: LspClient | None = None

    async def start(self) -> None:
        env = {**os.environ, "OPENCODE_LSP_NO_GLOBAL_CONFIG": "1"}
        client = LspClient(SERVER, env=env, cwd=str(self.root))
        await client.start()
        client.feature("window/workDoneProgress/create")(_none)
        client.feature("workspace/configuration")(_none)

        def on_notification(method, params):
            self.notified_bytes += len(json.dumps({"method": method, "params": params}, separators=(",", ":")))
            if method != "$/progress":
                return
            value = params.get("value") or {}
            event = value.get("event") or {}
            if value.get("kind") == "report" and "delta" in (event.get("properties") or {}):
                self.first_report.append(time.perf_counter())

        client.on_notification = on_notification
        await client.request("initialize", {
            "processId": os.getpid(), "rootUri": self.root.as_uri(), "capabilities": {"window": {"workDoneProgress": True}},
            "initializationOptions": {"storage": {"path": str(self.store)}, "model": "fake/m",
                                      "providers": {"fake": {"apiBase": self.fake.base_url}}},
        })
        client.notify("initialized", {})
        self.client = client

    async def prompt(self, text: str) -> float:
        assert self.client is not None
        session = await self.client.request("opencode/session/create", {"title": "bench"})
        t0 = time.perf_counter()
        await self.client.request("opencode/session/prompt", {
            "sessionID": session["id"], "parts": [{"type": "text", "text": text}], "workDoneToken": f"b{t0}"})
        return time.perf_counter() - t0


async def _none(_params):
    return None


def two_step(root: Path) -> list[list[dict]]:
    answer = " ".join(f"word{i}" for i in range(40))
    return [[{"tool_call": {"name": "read", "arguments": {"filePath": str(root / "hello.py")}}}],
            [{"text": answer, "chunks": 40}]]


async def main() -> None:
    _record_first_delta()
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI() as fake:
        fake.route(is_title_request, [[{"text": "Bench"}]])
        root = Path(tmp) / "ws"
        root.mkdir()
        (root / "hello.py").write_text('print("hi")\n')
        bench = Bench(root, Path(tmp) / "store", fake)
        await bench.start()
        pid = bench.client.proc.pid

        fake.set_script(two_step(root))
        cold = await bench.prompt("warm up")  # imports litellm if the warm-up thread has not yet

        latencies, walls = [], []
        for _ in range(10):
            FIRST_DELTA_WRITTEN.clear()
            bench.first_report.clear()
            fake.set_script([[{"sleep": 0.05}, {"text": "first words arrive", "chunks": 3}]])
            await bench.prompt("latency")
            latencies.append(bench.first_report[0] - FIRST_DELTA_WRITTEN[0])
        for _ in range(int(os.environ.get("BENCH_WALL_RUNS", "10"))):
            fake.set_script(two_step(root))
            walls.append(await bench.prompt("what does hello.py do"))

        streamed: dict[int, int] = {}
        for deltas in (1000, 2000):
            fake.set_script([[{"text": "".join(f"tok{i:05d} " for i in range(deltas)), "chunks": deltas}]])
            cpu0 = cpu_seconds(pid)
            bench.notified_bytes = 0
            await bench.prompt("stream a lot")
            streamed[deltas] = bench.notified_bytes
            cpu_per_delta = (cpu_seconds(pid) - cpu0) / deltas
        rss = rss_mb(pid)
        await bench.client.close()

    print(f"first run (cold litellm import included): {cold * 1000:.0f} ms")
    print(f"first byte -> first $/progress delta report: median {statistics.median(latencies) * 1000:.2f} ms, "
          f"max {max(latencies) * 1000:.2f} ms (target < 10 ms)")
    print(f"server CPU per streamed delta (litellm included, {deltas} deltas): {cpu_per_delta * 1000:.3f} ms "
          f"(target < 0.5 ms)")
    print(f"warm two-step prompt (tool call + 40-chunk answer): median {statistics.median(walls) * 1000:.0f} ms, "
          f"min {min(walls) * 1000:.0f} ms (OpenCode serve ~200 ms; target <= 100 ms)")
    print(f"server RSS after the runs: {rss:.0f} MB (OpenCode ~850 MB; target < 300 MB)")
    print(f"streamed notification bytes: {streamed[1000]} for a 1,000-delta (9 KB) answer, {streamed[2000]} for "
          f"2,000 deltas (18 KB); ratio {streamed[2000] / streamed[1000]:.2f}x (linear: ~2x, quadratic: ~4x)")


if __name__ == "__main__":
    asyncio.run(main())

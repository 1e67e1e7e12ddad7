"""CPU cost per streamed delta through ``LitellmModel.stream``, and litellm's import time.

The scripted server runs in a subprocess so that only the client's work is counted: the figure
is this process's CPU time (user + system) divided by the deltas received. A raw httpx pass over
the same stream shows how much of it is litellm's own.

    .venv/bin/python bench/bench_provider.py [--chunks 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from opencode_lsp.core.llm import ChatRequest  # noqa: E402
from opencode_lsp.providers import LitellmProvider, runtime  # noqa: E402


def import_time() -> tuple[float, float]:
    """Wall and CPU seconds of loading litellm through ``runtime`` in a fresh interpreter."""
    code = ("import time,resource;t=time.perf_counter();from opencode_lsp.providers import runtime;"
            "runtime.litellm();u=resource.getrusage(resource.RUSAGE_SELF);"
            "print(time.perf_counter()-t, u.ru_utime+u.ru_stime)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    wall, cpu = out.stdout.split()
    return float(wall), float(cpu)


def start_server(turns: list) -> tuple[subprocess.Popen, str]:
    script = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump(turns, script)
    script.close()
    proc = subprocess.Popen([sys.executable, "-m", "tests.support.fake_openai", "--port", "0", "--script", script.name],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    os.unlink(script.name)
    if not line.startswith("FAKE_OPENAI_URL="):
        proc.kill()
        raise RuntimeError(f"fake server did not start: {line!r}")
    return proc, line.split("=", 1)[1]


async def stream_once(model) -> int:
    request = ChatRequest(model=model.info, messages=[{"role": "user", "content": "go"}])
    deltas = 0
    async for event in model.stream(request):
        if event.type == "text-delta":
            deltas += 1
    return deltas


async def raw_httpx_once(base_url: str) -> int:
    import httpx

    deltas = 0
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "go"}]}
    async with httpx.AsyncClient(timeout=60) as client:
        async with client.stream("POST", base_url + "/chat/completions", json=body) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: {"):
                    chunk = json.loads(line[6:])
                    for choice in chunk["choices"]:
                        if choice["delta"].get("content"):
                            deltas += 1
    return deltas


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    wall, cpu = import_time()
    print(f"litellm import (fresh process): {wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU")

    # distinct deltas: litellm aborts a stream that repeats the same chunk many times
    text = "".join(f"t{i:06d} " for i in range(args.chunks))
    turn = [{"text": text, "chunks": args.chunks}, {"usage": {"prompt_tokens": 10, "completion_tokens": args.chunks}}]
    # one warm-up turn, then the measured litellm rounds, then the raw httpx rounds
    proc, base_url = start_server([turn] * (1 + 2 * args.rounds))
    try:
        runtime.litellm()
        model = LitellmProvider({"providers": {"bench": {"apiBase": base_url}}}).get("bench", "m")
        await stream_once(model)
        for label, run in (("LitellmModel.stream", lambda: stream_once(model)),
                           ("raw httpx SSE parse", lambda: raw_httpx_once(base_url))):
            per_delta = []
            for _ in range(args.rounds):
                cpu0, wall0 = time.process_time(), time.perf_counter()
                deltas = await run()
                cpu_s, wall_s = time.process_time() - cpu0, time.perf_counter() - wall0
                per_delta.append(cpu_s * 1000 / deltas)
            best = min(per_delta)
            print(f"{label}: {deltas} deltas/round, CPU per delta best {best:.3f} ms, "
                  f"rounds {', '.join(f'{v:.3f}' for v in per_delta)} ms, last round wall {wall_s * 1000:.0f} ms")
    finally:
        proc.terminate()
        proc.wait(timeout=5)


if __name__ == "__main__":
    asyncio.run(main())

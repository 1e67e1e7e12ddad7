"""Side by side with real OpenCode 1.18.33: a warm two-step prompt (one tool call, then a 40-chunk
answer) against the same scripted OpenAI-compatible server, wall time and resident memory.

Ours: the real server over stdio (``opencode/session/prompt``). OpenCode: ``opencode serve`` from
``npm install opencode-ai@1.18.33`` in ``bench/.work/`` (gitignored), configured with
``provider.fake.npm = "@ai-sdk/openai-compatible"`` and ``options.baseURL``, driven over its HTTP
API (``POST /session/:id/message`` answers when the run ends). Each side gets one cold run, then
WARM_RUNS timed ones, each in a new session. RSS is the whole process tree's, after the runs.
Process start to first streamed token: from launching the process to the first text delta of the
first prompt, seen on ``opencode/event`` (ours, with ``events: true``) and on OpenCode's ``/event``
server-sent events (the first event carrying text of an assistant message: OpenCode 1.18.33
publishes a text part there only once it is complete, so for OpenCode this is when a client of
``/event`` first sees answer text, not a token as it streams); the prompt is sent as soon as the
server answers, as an editor would.

Run: .venv/bin/python bench/bench_opencode.py   (prints figures; no pass/fail)
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from opencode_lsp.client import LspClient  # noqa: E402
from tests.support.fake_openai import FakeOpenAI, is_title_request  # noqa: E402

WORK = ROOT / "bench" / ".work"
OPENCODE_VERSION = "1.18.33"
WARM_RUNS = 5
ANSWER = "word " * 40


def opencode_binary() -> Path:
    """The opencode CLI, installed on first use (npm registry)."""
    binary = WORK / "node_modules" / ".bin" / "opencode"
    if not binary.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
                        f"opencode-ai@{OPENCODE_VERSION}"], cwd=WORK, check=True, timeout=600)
    return binary


def scripted_server(hello: Path) -> FakeOpenAI:
    fake = FakeOpenAI()
    fake.route(is_title_request, [[{"text": "A title"}]])
    fake.route(lambda b: bool(b.get("messages")) and b["messages"][-1].get("role") == "tool",
               [[{"text": ANSWER, "chunks": 40}]])
    fake.route(lambda b: bool(b.get("tools")),
               [[{"tool_call": {"name": "read", "arguments": {"filePath": str(hello)}}}]])
    return fake.start()


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo.extend(int(c) for c in children)
    return total / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_answer(parts: list[dict[str, Any]]) -> None:
    texts = [p.get("text", "") for p in parts if p.get("type") == "text"]
    if not texts or texts[-1].strip() != ANSWER.strip():
        raise RuntimeError(f"unexpected answer parts: {parts!r:.300}")


async def bench_ours(ws: Path, store: Path, base_url: str) -> dict[str, Any]:
    env = {**os.environ, "OPENCODE_LSP_NO_GLOBAL_CONFIG": "1"}
    client = LspClient([sys.executable, "-m", "opencode_lsp", "--stdio"], env=env, cwd=str(ws))
    first_token: list[float] = []

    def on_notification(method: str, params: Any) -> None:
        if not first_token and method == "opencode/event" and (params.get("properties") or {}).get("delta"):
            first_token.append(time.perf_counter())

    client.on_notification = on_notification
    started = time.perf_counter()
    await client.start()
    await client.request("initialize", {
        "processId": os.getpid(), "rootUri": ws.as_uri(), "capabilities": {},
        "initializationOptions": {"storage": {"path": str(store)}, "model": "fake/m", "permissionUI": True,
                                  "events": True, "providers": {"fake": {"apiBase": base_url}}}})
    client.notify("initialized", {})

    async def run() -> float:
        sid = (await client.request("opencode/session/create", {}))["id"]
        t0 = time.perf_counter()
        result = await client.request("opencode/session/prompt", {
            "sessionID": sid, "parts": [{"type": "text", "text": "what does hello.py do"}]})
        elapsed = time.perf_counter() - t0
        check_answer(result["parts"])
        return elapsed

    try:
        cold = await run()
        cold_total = time.perf_counter() - started
        walls = [await run() for _ in range(WARM_RUNS)]
        rss = tree_rss_mb(client.proc.pid)
    finally:
        await client.close()
    return {"cold": cold, "cold_total": cold_total, "walls": walls, "rss": rss,
            "first_token": first_token[0] - started if first_token else None}


def bench_opencode(ws: Path, home: Path, base_url: str) -> dict[str, Any]:
    binary = opencode_binary()
    (ws / "opencode.json").write_text(json.dumps({
        "$schema": "https://opencode.ai/config.json",
        "provider": {"fake": {"npm": "@ai-sdk/openai-compatible", "name": "Fake",
                              "options": {"baseURL": base_url, "apiKey": "sk-fake"},
                              "models": {"m": {"name": "m"}}}},
        "model": "fake/m", "small_model": "fake/m", "autoupdate": False, "share": "disabled",
    }))
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_DATA_HOME": str(home / ".local/share"), "XDG_CACHE_HOME": str(home / ".cache"),
           "XDG_STATE_HOME": str(home / ".local/state")}
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([str(binary), "serve", "--port", str(port), "--hostname", "127.0.0.1"], cwd=ws, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=open(home.parent / "opencode.log", "wb"))
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=120) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    http.get("/session", timeout=5)
                    break
                except httpx.TransportError as exc:
                    last_error = exc
                    if time.monotonic() > deadline or proc.poll() is not None:
                        log = (home.parent / "opencode.log").read_text(errors="replace")[-500:]
                        raise RuntimeError(f"opencode serve did not come up (exit {proc.poll()}, "
                                           f"last error {last_error!r}): {log}")
                    time.sleep(0.1)

            first_token = watch_first_text(url)

            def run() -> float:
                sid = http.post("/session", json={}).json()["id"]
                t0 = time.perf_counter()
                answer = http.post(f"/session/{sid}/message", json={
                    "parts": [{"type": "text", "text": "what does hello.py do"}],
                    "model": {"providerID": "fake", "modelID": "m"}})
                elapsed = time.perf_counter() - t0
                answer.raise_for_status()
                check_answer(answer.json()["parts"])
                return elapsed

            cold = run()
            cold_total = time.perf_counter() - started
            walls = [run() for _ in range(WARM_RUNS)]
            rss = tree_rss_mb(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    token_at = first_token.at
    return {"cold": cold, "cold_total": cold_total, "walls": walls, "rss": rss,
            "first_token": token_at - started if token_at is not None else None}


class FirstText:
    """When OpenCode's event stream first carried text of an assistant message."""

    def __init__(self) -> None:
        self.at: float | None = None
        self.ready = threading.Event()


def watch_first_text(url: str) -> FirstText:
    """Listen to ``GET /event`` in a thread (subscribed before the first prompt is sent)."""
    seen = FirstText()
    roles: dict[str, str] = {}

    def is_first_text(event: dict[str, Any]) -> bool:
        props = event.get("properties") or {}
        if event.get("type") == "message.updated":
            info = props.get("info") or {}
            roles[str(info.get("id"))] = str(info.get("role"))
            return False
        part = props.get("part") or {}
        return (event.get("type") in ("message.part.updated", "message.part.delta")
                and part.get("type") == "text" and roles.get(str(part.get("messageID"))) == "assistant"
                and bool(props.get("delta") or part.get("text")))

    def listen() -> None:
        try:
            with httpx.stream("GET", f"{url}/event", timeout=httpx.Timeout(120, read=None)) as stream:
                seen.ready.set()
                for line in stream.iter_lines():
                    if line.startswith("data:") and is_first_text(json.loads(line[5:])):
                        seen.at = time.perf_counter()
                        return
        except (httpx.HTTPError, ValueError):
            seen.ready.set()  # no figure for this side; the rest of the run goes on

    threading.Thread(target=listen, name="opencode-events", daemon=True).start()
    seen.ready.wait(10)
    return seen


def _seconds(value: float | None) -> str:
    return "not measured" if value is None else f"{value:.2f} s"


def describe(name: str, figures: dict[str, Any]) -> str:
    walls = figures["walls"]
    return (f"{name}: warm two-step prompt median {statistics.median(walls) * 1000:.0f} ms "
            f"(min {min(walls) * 1000:.0f}, max {max(walls) * 1000:.0f}, {len(walls)} runs); "
            f"first prompt {figures['cold'] * 1000:.0f} ms (start to first answer {figures['cold_total']:.1f} s); "
            f"process start to first streamed token {_seconds(figures['first_token'])}; "
            f"RSS {figures['rss']:.0f} MB")


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="oc-bench-vs-") as tmp:
        base = Path(tmp)
        results = {}
        for side in ("ours", "opencode"):
            ws = base / side
            ws.mkdir()
            hello = ws / "hello.py"
            hello.write_text('print("hi")\n')
            fake = scripted_server(hello)
            try:
                if side == "ours":
                    results[side] = await bench_ours(ws, base / "store", fake.base_url)
                else:
                    try:
                        results[side] = await asyncio.to_thread(bench_opencode, ws, base / "home", fake.base_url)
                    except Exception as exc:  # say exactly why there is no comparison
                        print(f"OpenCode {OPENCODE_VERSION} could not be measured: {type(exc).__name__}: {exc}")
            finally:
                fake.stop()
        print(describe("opencode-lsp", results["ours"]))
        if "opencode" in results:
            print(describe(f"OpenCode {OPENCODE_VERSION}", results["opencode"]))
            ours, theirs = results["ours"], results["opencode"]
            print(f"ratio (ours / OpenCode): warm wall {statistics.median(ours['walls']) / statistics.median(theirs['walls']):.2f}x, "
                  f"RSS {ours['rss'] / theirs['rss']:.2f}x (target <= 0.35x)")
            print(f"ratio (ours / OpenCode): process start to first answer "
                  f"{ours['cold_total'] / theirs['cold_total']:.2f}x")
            if ours["first_token"] is not None and theirs["first_token"] is not None:
                print(f"ratio (ours / OpenCode): process start to first streamed token "
                      f"{ours['first_token'] / theirs['first_token']:.2f}x "
                      f"({ours['first_token']:.2f} s / {theirs['first_token']:.2f} s; target ours < 1.5 s)")
    if shutil.which("node") is None:
        print("note: node is not on PATH; the npm install above needs it")


if __name__ == "__main__":
    asyncio.run(main())

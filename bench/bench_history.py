"""Long-session figures: a 2,000-message session loaded over LSP, and its model messages built.

Run: .venv/bin/python bench/bench_history.py   (prints figures; no pass/fail)

The session (1,000 turns: a user question, an assistant step with text, a completed tool call
of ~1 KB output and step parts) is imported once through ``opencode/session/import``. Then:
- ``opencode/session/messages`` over stdio, median of 10 (target < 200 ms);
- building the model messages in-process from the store's records: ``filter_compacted`` +
  ``to_model_messages`` on the raw records, and the same after validating every message the
  way the loop does today (target < 50 ms);
- one snapshot ``track()`` of a 500-file workspace, cold and warm.
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

from bench.idle import settled  # noqa: E402
from opencode_lsp.client import LspClient  # noqa: E402
from opencode_lsp.core.compaction_rules import filter_compacted  # noqa: E402
from opencode_lsp.core.ids import new_id  # noqa: E402
from opencode_lsp.core.message import MessageWithParts  # noqa: E402
from opencode_lsp.core.snapshot import Snapshots  # noqa: E402
from opencode_lsp.core.transcript import to_model_messages  # noqa: E402
from opencode_lsp.storage import TinyDBStore  # noqa: E402

SERVER = [sys.executable, "-m", "opencode_lsp", "--stdio"]
TURNS = 1000


def build_session(directory: str) -> dict:
    sid = new_id("ses")
    info = {"id": sid, "slug": "bench-session", "projectID": "global", "directory": directory,
            "title": "bench", "version": "1.18.33", "time": {"created": 1, "updated": 1}}
    messages = []
    for n in range(TURNS):
        uid, aid = new_id("msg"), new_id("msg")
        base = {"sessionID": sid}
        messages.append({"info": {"id": uid, "role": "user", "time": {"created": n}, "agent": "build",
                                  "model": {"providerID": "fake", "modelID": "m"}, **base},
                         "parts": [{"id": new_id("prt"), "messageID": uid, "type": "text",
                                    "text": f"Question {n}: " + "please look at the parser " * 8, **base}]})
        messages.append({"info": {"id": aid, "role": "assistant", "time": {"created": n, "completed": n + 1},
                                  "parentID": uid, "modelID": "m", "providerID": "fake", "mode": "build",
                                  "agent": "build", "path": {"cwd": directory, "root": directory},
                                  "finish": "stop", "cost": 0, **base},
                         "parts": [
                             {"id": new_id("prt"), "messageID": aid, "type": "step-start", **base},
                             {"id": new_id("prt"), "messageID": aid, "type": "text",
                              "text": f"Answer {n}: " + "the parser reads tokens one by one " * 8, **base},
                             {"id": new_id("prt"), "messageID": aid, "type": "tool", "callID": f"call_{n}",
                              "tool": "read", "state": {"status": "completed", "input": {"filePath": "/x.py"},
                                                        "output": "line of the file\n" * 60, "title": "x.py",
                                                        "metadata": {}, "time": {"start": n, "end": n + 1}}, **base},
                             {"id": new_id("prt"), "messageID": aid, "type": "step-finish", "reason": "stop",
                              "cost": 0, "tokens": {"input": 100, "output": 10, "reasoning": 0,
                                                    "cache": {"read": 0, "write": 0}}, **base},
                         ]})
    return {"info": info, "messages": messages}


def timed(fn, repeats: int = 10) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result


async def lsp_figures(root: Path, store: Path, data: dict) -> None:
    env = {**os.environ, "OPENCODE_LSP_NO_GLOBAL_CONFIG": "1"}
    client = LspClient(SERVER, env=env, cwd=str(root))
    await client.start()
    await client.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {},
                                        "initializationOptions": {"storage": {"path": str(store)}}})
    client.notify("initialized", {})
    await settled(client.proc.pid)  # litellm's import in the background is done
    try:
        t0 = time.perf_counter()
        await client.request("opencode/session/import", {"data": data})
        imported = (time.perf_counter() - t0) * 1000
        print(f"import of {len(data['messages'])} messages: {imported:.0f} ms")
        times = []
        for _ in range(10):
            t0 = time.perf_counter()
            messages = await client.request("opencode/session/messages", {"sessionID": data["info"]["id"]})
            times.append((time.perf_counter() - t0) * 1000)
        assert len(messages) == len(data["messages"])
        print(f"opencode/session/messages, {len(messages)} messages: median {statistics.median(times):.1f} ms, "
              f"first {times[0]:.1f} ms, max {max(times):.1f} ms  (target < 200 ms)")
        print(f"ratio import / read back (median): {imported / statistics.median(times):.1f}x (target <= 10x)")
    finally:
        await client.close()


def model_message_figures(store_root: Path, session_id: str) -> None:
    store = TinyDBStore(store_root)
    t0 = time.perf_counter()
    records = store.list_messages(session_id)
    load = (time.perf_counter() - t0) * 1000
    raw, chat = timed(lambda: to_model_messages(filter_compacted(records), "fake/m"))
    typed_entries = [MessageWithParts.model_validate(e) for e in records]
    typed, _ = timed(lambda: to_model_messages(filter_compacted(typed_entries), "fake/m"))
    validate, _ = timed(lambda: [MessageWithParts.model_validate(e) for e in records], repeats=3)
    print(f"store read of {len(records)} messages (cold, in-process): {load:.1f} ms")
    print(f"model messages from raw records (what the loop does): median {raw:.1f} ms -> {len(chat)} chat "
          f"messages  (target < 50 ms)")
    print(f"for comparison, from typed entries: median {typed:.1f} ms, plus {validate:.1f} ms to validate them")
    store.close()


async def snapshot_figures(tmp: Path) -> None:
    root = tmp / "snapws"
    for i in range(500):
        folder = root / f"pkg{i % 20}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"mod{i}.py").write_text(f"value = {i}\n" * 40)
    snaps = Snapshots(root, tmp / "snapdata" / "snapshot")
    t0 = time.perf_counter()
    await snaps.track()
    cold = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    tree = await snaps.track()
    warm = (time.perf_counter() - t0) * 1000
    (root / "pkg0" / "mod0.py").write_text("changed\n")
    t0 = time.perf_counter()
    files = await snaps.changed_files(tree)
    patch = (time.perf_counter() - t0) * 1000
    print(f"snapshot of 500 files: first track {cold:.0f} ms, next track {warm:.0f} ms, "
          f"patch listing ({len(files)} file) {patch:.0f} ms")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        root, store = tmp / "ws", tmp / "store"
        root.mkdir()
        data = build_session(str(root))
        asyncio.run(lsp_figures(root, store, data))
        store_root = next(p.parent for p in store.rglob("index.json*"))  # the base, or its journal
        model_message_figures(store_root, data["info"]["id"])
        asyncio.run(snapshot_figures(tmp))


if __name__ == "__main__":
    main()

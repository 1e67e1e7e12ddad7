"""Storage figures: is a part write flat in workspace size, and how fast is list_sessions?

Run: .venv/bin/python bench/bench_storage.py [--sessions 1000] [--parts 100] [--repeat 200]

The big workspace is written straight to disk in the store's own file format (orjson), since
building it through 100,000 store calls would take minutes and measure nothing of interest.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

import orjson

from opencode_lsp.core.ids import new_id
from opencode_lsp.storage import TinyDBStore

PARTS_PER_MESSAGE = 10


def session_record(sid: str, n: int) -> dict:
    # Shaped like an OpenCode 1.18 session export (see shared/reference).
    return {
        "id": sid, "slug": "gentle-circuit", "projectID": "global", "directory": "/home/user/proj",
        "path": "", "title": f"Session number {n} about refactoring the parser", "agent": "build",
        "model": {"id": "gpt-x", "providerID": "openai", "variant": "default"}, "version": "1.18.33",
        "summary": {"additions": 3, "deletions": 1, "files": 1}, "cost": 0.0123,
        "tokens": {"input": 4974, "output": 23, "reasoning": 0, "cache": {"read": 0, "write": 0}},
        "permission": [{"permission": "question", "pattern": "*", "action": "deny"}],
        "time": {"created": 1795585047255 + n, "updated": 1795585048849 + n},
    }


def message_record(sid: str, mid: str, role: str) -> dict:
    return {"id": mid, "sessionID": sid, "role": role, "time": {"created": 1795585047316},
            "agent": "build", "model": {"providerID": "openai", "modelID": "gpt-x"}}


def part_record(sid: str, mid: str, text: str) -> dict:
    return {"id": new_id("prt"), "sessionID": sid, "messageID": mid, "type": "text", "text": text}


def build_workspace(root: Path, sessions: int, parts_per_session: int) -> list[str]:
    """Write index.json and one file per session directly; returns the session ids."""
    text = "Some answer text from the model, about as long as a short paragraph. " * 6
    (root / "sessions").mkdir(parents=True)
    index: dict[str, dict] = {"sessions": {}, "todos": {}, "approvals": {}}
    ids = []
    for n in range(sessions):
        sid = new_id("ses")
        ids.append(sid)
        index["sessions"][sid] = session_record(sid, n)
        messages, parts = {}, {}
        for m in range(max(1, parts_per_session // PARTS_PER_MESSAGE)):
            mid = new_id("msg")
            messages[mid] = message_record(sid, mid, "user" if m % 2 == 0 else "assistant")
            for _ in range(PARTS_PER_MESSAGE):
                part = part_record(sid, mid, text)
                parts[part["id"]] = part
        (root / "sessions" / f"{sid}.json").write_bytes(orjson.dumps({"messages": messages, "parts": parts}))
    (root / "index.json").write_bytes(orjson.dumps(index))
    return ids


def median_ms(action: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def interleaved_ms(first: Callable[[], object], second: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Medians of two actions timed in alternation, so drift (cache warm-up, other load on
    the machine) hits both alike."""
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeat):
        for action, samples in ((first, a), (second, b)):
            start = time.perf_counter()
            action()
            samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(a), statistics.median(b)


def part_writer(store: TinyDBStore, sid: str, durable: bool = True) -> Callable[[], None]:
    mid = new_id("msg")
    store.put_message(sid, message_record(sid, mid, "assistant"))
    text = "streamed answer text " * 20
    return lambda: store.put_part(sid, part_record(sid, mid, text), durable=durable)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--parts", type=int, default=100, help="parts per session")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        empty_root, big_root = Path(tmp, "empty"), Path(tmp, "big")
        start = time.perf_counter()
        big_ids = build_workspace(big_root, args.sessions, args.parts)
        print(f"built workspace: {args.sessions} sessions x {args.parts} parts "
              f"in {time.perf_counter() - start:.1f} s")

        empty = TinyDBStore(empty_root)
        big = TinyDBStore(big_root)
        fresh_empty, fresh_big = new_id("ses"), new_id("ses")
        empty.put_session(session_record(fresh_empty, 0))
        big.put_session(session_record(fresh_big, 0))

        t_empty, t_big = interleaved_ms(part_writer(empty, fresh_empty), part_writer(big, fresh_big),
                                        args.repeat)
        t_old = median_ms(part_writer(big, big_ids[len(big_ids) // 2]), args.repeat)
        print(f"put_part durable, new session, empty workspace:   {t_empty:7.3f} ms median")
        print(f"put_part durable, new session, big workspace:     {t_big:7.3f} ms median")
        print(f"  ratio big/empty: {t_big / t_empty:.2f}x (target <= 1.5x)")
        print(f"put_part durable, into a {args.parts}-part session:        {t_old:7.3f} ms median")
        t_held = median_ms(part_writer(big, fresh_big, durable=False), args.repeat * 10)
        print(f"put_part durable=False (held in memory):           {t_held:7.3f} ms median")
        big.flush()

        t_list = median_ms(big.list_sessions, args.repeat)
        print(f"list_sessions over {len(big.list_sessions())} sessions:              {t_list:7.3f} ms median")
        t_msgs = median_ms(lambda: big.list_messages(big_ids[0]), args.repeat)
        print(f"list_messages, {args.parts}-part session (cached):        {t_msgs:7.3f} ms median")
        # A store that keeps one session file cached, walking through different sessions:
        # every read parses a file, as a second process's first look would.
        other = TinyDBStore(big_root, open_session_files=1)
        walk = iter(big_ids[1:])
        t_cold = median_ms(lambda: other.list_messages(next(walk)), min(50, len(big_ids) - 1))
        print(f"list_messages, {args.parts}-part session (parse file):    {t_cold:7.3f} ms median")
        t_put_session = median_ms(lambda: big.put_session(session_record(fresh_big, 1)), 50)
        print(f"put_session with {args.sessions} sessions in the index:     {t_put_session:7.3f} ms median")
        for store in (empty, big, other):
            store.close()

    session_length(args.repeat)


def journal_bytes(root: Path) -> int:
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())


def session_length(repeat: int) -> None:
    """A durable part write (2 KB tool output) into a 100- and a 10,000-part session."""
    output = "line of tool output\n" * 100  # ~2 KB
    with tempfile.TemporaryDirectory() as tmp:
        stores, writers = [], []
        for count in (100, 10_000):
            root = Path(tmp, f"s{count}")
            (root / "sessions").mkdir(parents=True)
            sid, mid = new_id("ses"), new_id("msg")
            parts = {}
            for _ in range(count):
                part = {**part_record(sid, mid, ""), "type": "tool", "tool": "bash", "callID": "c",
                        "state": {"status": "completed", "input": {"command": "ls"}, "output": output,
                                  "title": "ls", "metadata": {}, "time": {"start": 1, "end": 2}}}
                del part["text"]
                parts[part["id"]] = part
            (root / "sessions" / f"{sid}.json").write_bytes(
                orjson.dumps({"messages": {mid: message_record(sid, mid, "assistant")}, "parts": parts}))
            store = TinyDBStore(root)
            store.put_session(session_record(sid, 0))
            sample = next(iter(parts.values()))
            stores.append((store, root))
            writers.append(lambda store=store, sample=sample: store.put_part(sid, {**sample, "id": new_id("prt")}))
        small, large = interleaved_ms(writers[0], writers[1], repeat)
        (_, small_root), (_, large_root) = stores
        before = journal_bytes(large_root)
        writers[1]()
        written = journal_bytes(large_root) - before
        session_mb = sum(f.stat().st_size for f in (large_root / "sessions").iterdir()) / 1e6
        print(f"put_part durable (2 KB tool output), 100-part session:    {small:7.3f} ms median")
        print(f"put_part durable (2 KB tool output), 10,000-part session: {large:7.3f} ms median "
              f"({session_mb:.1f} MB session, {written} bytes written by one write)")
        print(f"  ratio 10,000/100 parts: {large / small:.2f}x (target <= 1.5x)")
        for store, _ in stores:
            store.close()


if __name__ == "__main__":
    main()

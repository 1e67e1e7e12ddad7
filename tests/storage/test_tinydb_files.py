"""What TinyDBStore does on disk: layout, durability, atomic writes, sharing, corruption."""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

import orjson
import pytest

from opencode_lsp.core.ids import new_id
from opencode_lsp.storage import StorageError, TinyDBStore
from opencode_lsp.storage import files as storage_files


def on_disk(path: Path) -> dict:
    """A database as a fresh reader finds it: the base file, then each complete journal line."""
    data = orjson.loads(path.read_bytes()) if path.exists() else {}
    journal = path.with_suffix(".jsonl")
    if journal.exists():
        raw = journal.read_bytes()
        for line in raw[: raw.rfind(b"\n") + 1].splitlines():
            for table, doc_id, doc in orjson.loads(line):
                if doc is None:
                    data.get(table, {}).pop(doc_id, None)
                else:
                    data.setdefault(table, {})[doc_id] = doc
    return data


def base_file(path: Path) -> dict:
    return orjson.loads(path.read_bytes())


def seed(store: TinyDBStore) -> tuple[str, str]:
    sid = new_id("ses")
    store.put_session({"id": sid, "title": "t", "time": {"created": 1, "updated": 1}})
    mid = new_id("msg")
    store.put_message(sid, {"id": mid, "sessionID": sid, "role": "user"})
    return sid, mid


def text_part(sid: str, mid: str, text: str = "x", part_id: str | None = None) -> dict:
    return {"id": part_id or new_id("prt"), "sessionID": sid, "messageID": mid, "type": "text", "text": text}


def test_layout_index_and_one_file_per_session(tmp_path):
    with TinyDBStore(tmp_path) as store:
        sid, mid = seed(store)
        p = text_part(sid, mid)
        store.put_part(sid, p)
        store.put_todos(sid, [{"id": "1", "content": "c", "status": "pending", "priority": "low"}])
        store.add_approval({"permission": "edit", "pattern": "*", "action": "allow"})
        # While open, changes sit in the journals (one line per write)...
        assert (tmp_path / "sessions" / f"{sid}.jsonl").exists()
    # ...and closing folds them into plain JSON files, the previous layout's.
    assert not list(tmp_path.rglob("*.jsonl"))
    index = base_file(tmp_path / "index.json")
    assert set(index) == {"sessions", "todos", "approvals"}
    assert list(index["sessions"]) == [sid]
    assert index["todos"][sid]["todos"][0]["content"] == "c"
    session_file = base_file(tmp_path / "sessions" / f"{sid}.json")
    assert session_file == {"messages": {mid: {"id": mid, "sessionID": sid, "role": "user"}},
                            "parts": {p["id"]: p}}

    reopened = TinyDBStore(tmp_path)
    assert reopened.list_messages(sid)[0]["parts"] == [p]
    assert reopened.list_approvals() == [{"permission": "edit", "pattern": "*", "action": "allow"}]
    reopened.close()


def test_delete_session_removes_its_file(tmp_path):
    store = TinyDBStore(tmp_path)
    sid, _ = seed(store)
    store.close()
    store = TinyDBStore(tmp_path)
    store.put_message(sid, {"id": new_id("msg"), "sessionID": sid, "role": "user"})
    assert (tmp_path / "sessions" / f"{sid}.json").exists()
    assert (tmp_path / "sessions" / f"{sid}.jsonl").exists()
    store.delete_session(sid)
    assert not (tmp_path / "sessions" / f"{sid}.json").exists()
    assert not (tmp_path / "sessions" / f"{sid}.jsonl").exists()
    assert on_disk(tmp_path / "index.json")["sessions"] == {}


def test_non_durable_parts_reach_disk_on_flush_close_or_next_durable_write(tmp_path):
    store = TinyDBStore(tmp_path)
    sid, mid = seed(store)
    other_sid, other_mid = seed(store)
    path = tmp_path / "sessions" / f"{sid}.json"

    held = text_part(sid, mid, "streaming")
    store.put_part(sid, held, durable=False)
    assert held["id"] not in on_disk(path).get("parts", {})
    store.put_part(other_sid, text_part(other_sid, other_mid))  # another session's write
    assert held["id"] not in on_disk(path).get("parts", {})
    store.put_part(sid, text_part(sid, mid, "boundary"))  # durable write to the same file
    assert on_disk(path)["parts"][held["id"]]["text"] == "streaming"

    again = text_part(sid, mid, "more")
    store.put_part(sid, again, durable=False)
    store.flush()
    assert again["id"] in on_disk(path)["parts"]

    last = text_part(sid, mid, "last")
    store.put_part(sid, last, durable=False)
    store.close()
    assert last["id"] in on_disk(path)["parts"]


def test_a_second_store_on_the_same_root_sees_writes_and_loses_none(tmp_path):
    first, second = TinyDBStore(tmp_path), TinyDBStore(tmp_path)
    sid, mid = seed(first)
    p = text_part(sid, mid, "aaaa")
    first.put_part(sid, p)
    assert second.get_message(sid, mid)["parts"] == [p]  # cached by second from here on
    # Same length and, forced here, the same mtime (two writes inside one clock tick): only
    # the inode tells the versions apart.
    first.put_part(sid, {**p, "text": "bbbb"})  # read from the journal's new bytes
    assert second.get_message(sid, mid)["parts"][0]["text"] == "bbbb"
    # A fold replaces the base; the same length and, forced here, the same mtime (two writes
    # inside one clock tick): only the inode tells the versions apart.
    first.close()
    first = TinyDBStore(tmp_path)
    path = tmp_path / "sessions" / f"{sid}.json"
    old = os.stat(path)
    first.put_part(sid, {**p, "text": "cccc"})
    first.close()
    first = TinyDBStore(tmp_path)
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
    assert os.stat(path).st_size == old.st_size
    assert second.get_message(sid, mid)["parts"][0]["text"] == "cccc"

    # Read-modify-write refreshes under the lock: neither store overwrites the other's part.
    q, r = text_part(sid, mid, "from first"), text_part(sid, mid, "from second")
    first.put_part(sid, q)
    second.put_part(sid, r)
    texts = {x["text"] for x in TinyDBStore(tmp_path).get_message(sid, mid)["parts"]}
    assert texts == {"cccc", "from first", "from second"}
    assert len(second.list_sessions()) == 1


def test_many_writes_leave_only_valid_json_and_no_temp_files(tmp_path):
    store = TinyDBStore(tmp_path)
    sid, mid = seed(store)
    p = text_part(sid, mid)
    for i in range(50):
        store.put_part(sid, {**p, "text": "y" * i})
        store.put_session({"id": sid, "title": f"t{i}", "time": {"created": 1, "updated": i}})
    leftovers = [f.name for f in tmp_path.rglob("*") if f.is_file() and f.name.endswith(".tmp")]
    assert leftovers == []
    for f in tmp_path.rglob("*.json"):
        assert isinstance(on_disk(f), dict)


def test_failed_write_raises_storage_error_and_keeps_old_file(tmp_path, monkeypatch):
    store = TinyDBStore(tmp_path)
    sid, mid = seed(store)
    kept = text_part(sid, mid, "kept")
    store.put_part(sid, kept)
    path = tmp_path / "sessions" / f"{sid}.json"
    journal = path.with_suffix(".jsonl")
    before = journal.read_bytes()

    real_fsync = os.fsync

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    held = text_part(sid, mid, "held back")
    store.put_part(sid, held, durable=False)
    monkeypatch.setattr(storage_files.os, "fsync", disk_full)
    with pytest.raises(StorageError) as caught:
        store.put_part(sid, text_part(sid, mid, "lost"))
    assert caught.value.path == path
    assert str(path) in str(caught.value) and "No space left" in str(caught.value)
    assert journal.read_bytes() == before  # the failed append was cut off again
    assert [f for f in path.parent.iterdir() if f.name.endswith(".tmp")] == []

    # Memory agrees with disk: the failed part is not served, the held-back one still is.
    texts = [x["text"] for x in store.get_message(sid, mid)["parts"]]
    assert "lost" not in texts and "held back" in texts

    monkeypatch.setattr(storage_files.os, "fsync", real_fsync)
    store.flush()
    assert held["id"] in on_disk(path)["parts"]


@pytest.mark.parametrize("damage", [b'{"messages": {"msg_1": {"id"', b"", b"[1, 2, 3]",
                                    b'{"parts": {"prt_1": "not an object"}}'])
def test_corrupt_session_file_is_moved_aside_and_the_store_keeps_serving(tmp_path, caplog, damage):
    store = TinyDBStore(tmp_path)
    sid, mid = seed(store)
    store.close()  # folds the journal into the base file
    store = TinyDBStore(tmp_path)
    path = tmp_path / "sessions" / f"{sid}.json"
    path.write_bytes(damage)  # e.g. another tool or a disk fault truncated it

    with caplog.at_level(logging.ERROR, logger="opencode_lsp.storage"):
        assert store.list_messages(sid) == []
    aside = list(path.parent.glob(f"{sid}.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == damage
    assert any(str(path) in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    assert base_file(path) == {}

    store.put_message(sid, {"id": mid, "sessionID": sid, "role": "user"})
    store.put_part(sid, text_part(sid, mid))
    assert len(TinyDBStore(tmp_path).get_message(sid, mid)["parts"]) == 1


def test_corrupt_index_found_at_open(tmp_path, caplog):
    (tmp_path / "index.json").write_bytes(b'{"sessions": {"ses_a": {"id": "ses_a"}')
    with caplog.at_level(logging.ERROR, logger="opencode_lsp.storage"):
        store = TinyDBStore(tmp_path)
        assert store.list_sessions() == []
    assert len(list(tmp_path.glob("index.json.corrupt-*"))) == 1
    assert "index.json" in caplog.text
    sid, _ = seed(store)
    assert [s["id"] for s in TinyDBStore(tmp_path).list_sessions()] == [sid]


def test_temp_files_of_a_dead_writer_are_removed_on_open(tmp_path):
    TinyDBStore(tmp_path).close()
    stale = tmp_path / "sessions" / ".ses_x.json.abc123.tmp"
    stale.write_bytes(b'{"half')
    TinyDBStore(tmp_path).close()
    assert not stale.exists()


def test_a_lock_held_elsewhere_becomes_a_storage_error_not_a_hang(tmp_path):
    from filelock import FileLock

    store = TinyDBStore(tmp_path, lock_timeout=0.2)
    sid, _ = seed(store)
    other_holder = FileLock(str(tmp_path / ".lock"))  # its own descriptor, like another process
    with other_holder:
        with pytest.raises(StorageError) as caught:
            store.put_session({"id": sid, "title": "blocked"})
        assert ".lock" in str(caught.value)
        assert store.get_session(sid)["title"] == "t"  # reads never wait for the lock
    store.put_session({"id": sid, "title": "after"})
    assert TinyDBStore(tmp_path).get_session(sid)["title"] == "after"

"""The journaled layout: O(change) writes, torn tails, folds, paging, and stores from before."""

from __future__ import annotations

import logging
import os

import orjson

from opencode_lsp.core.ids import new_id
from opencode_lsp.storage import TinyDBStore
from opencode_lsp.storage.journal_storage import JournaledJSONStorage
from opencode_lsp.storage.json_storage import JSONFileDB

from .test_tinydb_files import on_disk, seed, text_part


def old_layout(root, sessions: int = 2, messages: int = 3) -> dict:
    """A store as the previous layout's writer left it: orjson of TinyDB's whole-database
    dict, one file for the index and one per session, no journals."""
    (root / "sessions").mkdir(parents=True)
    index = {"sessions": {}, "todos": {}, "approvals": {}}
    expected = {}
    for n in range(sessions):
        sid = new_id("ses")
        index["sessions"][sid] = {"id": sid, "title": f"old {n}", "time": {"created": n, "updated": n}}
        tables = {"messages": {}, "parts": {}}
        for _ in range(messages):
            mid = new_id("msg")
            tables["messages"][mid] = {"id": mid, "sessionID": sid, "role": "user"}
            part = text_part(sid, mid, f"text of {mid}")
            tables["parts"][part["id"]] = part
        (root / "sessions" / f"{sid}.json").write_bytes(orjson.dumps(tables))
        expected[sid] = tables
    index["todos"][sid] = {"sessionID": sid, "todos": [{"id": "1", "content": "c", "status": "pending",
                                                        "priority": "low"}]}
    (root / "index.json").write_bytes(orjson.dumps(index))
    return expected


def test_a_store_written_by_the_previous_layout_opens_and_keeps_everything(tmp_path):
    expected = old_layout(tmp_path)
    store = TinyDBStore(tmp_path)
    assert {s["id"] for s in store.list_sessions()} == set(expected)
    for sid, tables in expected.items():
        entries = store.list_messages(sid)
        assert [e["info"] for e in entries] == [tables["messages"][k] for k in sorted(tables["messages"])]
        assert sorted(p["id"] for e in entries for p in e["parts"]) == sorted(tables["parts"])
    sid = next(iter(expected))
    mid = sorted(expected[sid]["messages"])[0]
    added = text_part(sid, mid, "written after the upgrade")
    store.put_part(sid, added)
    assert store.get_todos(list(expected)[-1])[0]["content"] == "c"
    store.close()
    reopened = TinyDBStore(tmp_path)
    assert added in reopened.get_message(sid, mid)["parts"]
    assert len(reopened.list_messages(sid)) == 3
    reopened.close()


def test_a_part_write_appends_only_that_part(tmp_path):
    store = TinyDBStore(tmp_path)
    sid, mid = seed(store)
    for i in range(200):
        store.put_part(sid, text_part(sid, mid, "x" * 1000))
    journal = tmp_path / "sessions" / f"{sid}.jsonl"
    size = journal.stat().st_size
    store.put_part(sid, text_part(sid, mid, "y" * 1000))
    grown = journal.stat().st_size - size
    assert 1000 < grown < 1300  # the part and its envelope, not the session's 200 KB
    assert not (tmp_path / "sessions" / f"{sid}.json").exists()  # no base rewritten yet
    store.close()


def test_a_torn_tail_is_ignored_by_readers_and_cut_by_the_next_writer(tmp_path):
    store = TinyDBStore(tmp_path)
    sid, mid = seed(store)
    kept = text_part(sid, mid, "kept")
    store.put_part(sid, kept)
    journal = tmp_path / "sessions" / f"{sid}.jsonl"
    with open(journal, "ab") as handle:  # a writer killed in the middle of its append
        handle.write(b'[["parts","prt_torn",{"id":"prt_to')
    fresh = TinyDBStore(tmp_path)
    assert fresh.get_message(sid, mid)["parts"] == [kept]
    after = text_part(sid, mid, "after")
    fresh.put_part(sid, after)
    assert b"prt_torn" not in journal.read_bytes()
    assert [p["text"] for p in TinyDBStore(tmp_path).get_message(sid, mid)["parts"]] == ["kept", "after"]
    assert [p["text"] for p in store.get_message(sid, mid)["parts"]] == ["kept", "after"]


def test_a_fold_interrupted_before_the_journal_went_replays_harmlessly(tmp_path):
    store = TinyDBStore(tmp_path)
    sid, mid = seed(store)
    parts = [text_part(sid, mid, f"p{i}") for i in range(5)]
    for p in parts:
        store.put_part(sid, p)
    store.delete_part(sid, mid, parts[1]["id"])
    journal = tmp_path / "sessions" / f"{sid}.jsonl"
    saved = journal.read_bytes()
    store.close()  # folds: base written, journal removed
    journal.write_bytes(saved)  # as if we died between the two steps
    reopened = TinyDBStore(tmp_path)
    assert [p["text"] for p in reopened.get_message(sid, mid)["parts"]] == ["p0", "p2", "p3", "p4"]


def test_the_journal_is_folded_once_it_outgrows_the_base(tmp_path):
    lock_path = tmp_path / ".lock"
    from filelock import FileLock

    db = JSONFileDB(tmp_path / "db.json", FileLock(str(lock_path)), JournaledJSONStorage)
    storage = db.file
    storage._compact_floor = 10_000
    for i in range(40):
        db.id_table("parts").put(f"p{i % 5}", {"text": "z" * 500, "n": i})
    # Rewrites of five documents: the fold keeps the files near the data's size.
    total = sum(f.stat().st_size for f in tmp_path.iterdir() if f.name.startswith("db."))
    assert total < 10_000 + 5 * 600 + 600
    assert on_disk(tmp_path / "db.json")["parts"]["p4"]["n"] == 39
    db.close()


def test_a_damaged_journal_line_is_set_aside_and_the_lines_before_it_kept(tmp_path, caplog):
    store = TinyDBStore(tmp_path)
    sid, mid = seed(store)
    kept = text_part(sid, mid, "kept")
    store.put_part(sid, kept)
    journal = tmp_path / "sessions" / f"{sid}.jsonl"
    with open(journal, "ab") as handle:
        handle.write(b"this is not json\n")
    with caplog.at_level(logging.ERROR, logger="opencode_lsp.storage"):
        fresh = TinyDBStore(tmp_path)
        assert fresh.get_message(sid, mid)["parts"] == [kept]
    assert len(list(journal.parent.glob(f"{sid}.jsonl.corrupt-*"))) == 1
    assert str(journal) in caplog.text
    assert on_disk(tmp_path / "sessions" / f"{sid}.json")["parts"] == {kept["id"]: kept}


def test_pages_of_messages_and_bulk_writes(tmp_path):
    store = TinyDBStore(tmp_path)
    sid = new_id("ses")
    store.put_session({"id": sid, "title": "t", "time": {"created": 1, "updated": 1}})
    entries = []
    for i in range(30):
        mid = new_id("msg")
        entries.append({"info": {"id": mid, "sessionID": sid, "role": "user"},
                        "parts": [text_part(sid, mid, f"m{i}")]})
    store.put_messages(sid, entries)
    assert len((tmp_path / "sessions" / f"{sid}.jsonl").read_bytes().splitlines()) == 1  # one write
    ids = [e["info"]["id"] for e in entries]
    assert [e["info"]["id"] for e in store.list_messages(sid, limit=5)] == ids[-5:]
    assert [e["info"]["id"] for e in store.list_messages(sid, limit=5, before=ids[10])] == ids[5:10]
    assert store.list_messages(sid, limit=0) == []
    page = store.list_messages(sid, limit=2, before=ids[2])
    assert page == entries[:2]
    held = text_part(sid, ids[-1], "held")
    store.put_part(sid, held, durable=False)  # a held-back part shows in its page
    assert held in store.list_messages(sid, limit=1)[0]["parts"]
    assert TinyDBStore(tmp_path).list_messages(sid) == entries


def test_recent_sessions_newest_first_and_fresh_after_changes(tmp_path):
    store = TinyDBStore(tmp_path)
    ids = [new_id("ses") for _ in range(4)]
    for n, sid in enumerate(ids):
        store.put_session({"id": sid, "title": str(n), "time": {"created": n, "updated": n}})
    assert [s["id"] for s in store.recent_sessions()] == ids[::-1]
    store.put_session({"id": ids[0], "title": "0", "time": {"created": 0, "updated": 99}})
    assert [s["id"] for s in store.recent_sessions()][0] == ids[0]
    other = TinyDBStore(tmp_path)
    other.delete_session(ids[3])
    assert ids[3] not in [s["id"] for s in store.recent_sessions()]


def test_no_file_is_left_open_beyond_the_cache(tmp_path):
    store = TinyDBStore(tmp_path, open_session_files=3)
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(10):
        sid, mid = seed(store)
        store.put_part(sid, text_part(sid, mid))
    assert len(os.listdir("/proc/self/fd")) - before <= 2 * 3 + 2
    store.close()


def writable_descriptors(root) -> list[str]:
    """Files under ``root`` this process holds open for writing."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
            with open(f"/proc/self/fdinfo/{fd}") as info:
                flags = int(next(line for line in info if line.startswith("flags:")).split()[1], 8)
        except (OSError, StopIteration):
            continue
        if target.startswith(str(root)) and flags & (os.O_WRONLY | os.O_RDWR):
            found.append(target)
    return found


def test_between_writes_no_file_of_the_store_is_held_open_for_writing(tmp_path):
    # A writable descriptor held open keeps the file system from being remounted read-only.
    store = TinyDBStore(tmp_path)
    sid, mid = seed(store)
    store.put_part(sid, text_part(sid, mid))
    release = store.claim_run(sid)  # a run in progress holds its lease
    assert list(tmp_path.rglob("*.jsonl")) and writable_descriptors(tmp_path) == []
    assert store.list_messages(sid)
    release()
    store.close()

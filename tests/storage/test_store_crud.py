"""One behaviour suite run against both stores: whatever MemoryStore does, TinyDBStore does too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from opencode_lsp.core.errors import InvalidInputError
from opencode_lsp.core.ids import new_id
from opencode_lsp.storage import MemoryStore, TinyDBStore


@pytest.fixture(params=["memory", "tinydb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MemoryStore | TinyDBStore]:
    made = MemoryStore() if request.param == "memory" else TinyDBStore(tmp_path / "ws")
    yield made
    made.close()


def session(title: str = "t") -> dict:
    return {"id": new_id("ses"), "title": title, "time": {"created": 1, "updated": 2}}


def message(session_id: str, role: str = "user") -> dict:
    return {"id": new_id("msg"), "sessionID": session_id, "role": role, "time": {"created": 1}}


def part(session_id: str, message_id: str, text: str = "hi") -> dict:
    return {"id": new_id("prt"), "sessionID": session_id, "messageID": message_id,
            "type": "text", "text": text}


def test_session_put_get_update_and_list_newest_first(store):
    older, newer = session("older"), session("newer")
    store.put_session(older)
    store.put_session(newer)
    assert store.get_session(older["id"]) == older
    assert store.get_session("ses_missing") is None
    # Session ids descend with time, so the id order is newest first.
    assert [s["title"] for s in store.list_sessions()] == ["newer", "older"]

    store.put_session({**older, "title": "renamed"})
    assert store.get_session(older["id"])["title"] == "renamed"
    assert len(store.list_sessions()) == 2


def test_records_are_copies_in_both_directions(store):
    info = session()
    store.put_session(info)
    info["title"] = "changed after put"
    fetched = store.get_session(info["id"])
    assert fetched["title"] == "t"
    fetched["time"]["updated"] = 999
    store.list_sessions()[0]["time"]["created"] = 999
    assert store.get_session(info["id"])["time"] == {"created": 1, "updated": 2}


def test_messages_and_parts_come_back_ordered_by_id(store):
    sid = session()["id"]
    first, second = message(sid), message(sid, "assistant")
    p1, p2, p3 = part(sid, first["id"], "a"), part(sid, first["id"], "b"), part(sid, second["id"], "c")
    # Written out of order on purpose.
    store.put_message(sid, second)
    store.put_part(sid, p3)
    store.put_part(sid, p2)
    store.put_message(sid, first)
    store.put_part(sid, p1)

    listed = store.list_messages(sid)
    assert [e["info"]["id"] for e in listed] == [first["id"], second["id"]]
    assert [p["text"] for p in listed[0]["parts"]] == ["a", "b"]
    assert [p["text"] for p in listed[1]["parts"]] == ["c"]
    assert store.get_message(sid, second["id"]) == {"info": second, "parts": [p3]}
    assert store.get_message(sid, "msg_missing") is None
    assert store.list_messages("ses_nothing_here") == []


def test_put_part_replaces_the_whole_part(store):
    sid = session()["id"]
    msg = message(sid)
    store.put_message(sid, msg)
    tool = {**part(sid, msg["id"]), "type": "tool", "state": {"status": "running", "input": {}}}
    tool.pop("text")
    tool["metadata"] = {"x": 1}
    store.put_part(sid, tool)
    done = {k: v for k, v in tool.items() if k != "metadata"}
    done["state"] = {"status": "completed", "output": "ok"}
    store.put_part(sid, done)
    (stored,) = store.get_message(sid, msg["id"])["parts"]
    assert stored == done  # replaced, not merged: "metadata" is gone


def test_delete_message_takes_its_parts(store):
    sid = session()["id"]
    keep, drop = message(sid), message(sid)
    for m in (keep, drop):
        store.put_message(sid, m)
        store.put_part(sid, part(sid, m["id"]))
        store.put_part(sid, part(sid, m["id"]), durable=False)
    store.delete_message(sid, drop["id"])
    listed = store.list_messages(sid)
    assert [e["info"]["id"] for e in listed] == [keep["id"]]
    assert len(listed[0]["parts"]) == 2
    store.flush()
    assert len(store.list_messages(sid)) == 1
    store.delete_message(sid, "msg_never_existed")  # no error


def test_delete_part(store):
    sid = session()["id"]
    msg = message(sid)
    store.put_message(sid, msg)
    a, b, c = part(sid, msg["id"], "a"), part(sid, msg["id"], "b"), part(sid, msg["id"], "c")
    store.put_part(sid, a)
    store.put_part(sid, b)
    store.put_part(sid, c, durable=False)
    store.delete_part(sid, msg["id"], a["id"])
    store.delete_part(sid, msg["id"], c["id"])
    store.delete_part(sid, "msg_other", b["id"])  # wrong message: the part stays
    assert [p["text"] for p in store.get_message(sid, msg["id"])["parts"]] == ["b"]
    store.flush()
    assert [p["text"] for p in store.get_message(sid, msg["id"])["parts"]] == ["b"]


def test_non_durable_parts_are_visible_at_once(store):
    sid = session()["id"]
    msg = message(sid)
    store.put_message(sid, msg)
    streaming = part(sid, msg["id"], "h")
    for text in ("h", "he", "hel"):
        store.put_part(sid, {**streaming, "text": text}, durable=False)
    assert store.get_message(sid, msg["id"])["parts"][0]["text"] == "hel"
    store.flush()
    assert store.list_messages(sid)[0]["parts"][0]["text"] == "hel"


def test_durable_write_replaces_a_held_back_version_of_the_same_part(store):
    sid = session()["id"]
    msg = message(sid)
    store.put_message(sid, msg)
    p = part(sid, msg["id"], "partial")
    store.put_part(sid, p, durable=False)
    store.put_part(sid, {**p, "text": "final"})
    store.flush()
    assert store.get_message(sid, msg["id"])["parts"] == [{**p, "text": "final"}]


def test_todos(store):
    sid = session()["id"]
    assert store.get_todos(sid) == []
    todos = [{"id": "1", "content": "write tests", "status": "pending", "priority": "high"}]
    store.put_todos(sid, todos)
    assert store.get_todos(sid) == todos
    store.put_todos(sid, [])
    assert store.get_todos(sid) == []


def test_delete_session_removes_record_messages_and_todos(store):
    gone, kept = session("gone"), session("kept")
    for info in (gone, kept):
        store.put_session(info)
        msg = message(info["id"])
        store.put_message(info["id"], msg)
        store.put_part(info["id"], part(info["id"], msg["id"]))
        store.put_part(info["id"], part(info["id"], msg["id"]), durable=False)
        store.put_todos(info["id"], [{"id": "1", "content": "x", "status": "pending", "priority": "low"}])
    store.delete_session(gone["id"])
    store.flush()
    assert store.get_session(gone["id"]) is None
    assert store.list_messages(gone["id"]) == []
    assert store.get_todos(gone["id"]) == []
    assert [s["id"] for s in store.list_sessions()] == [kept["id"]]
    assert len(store.list_messages(kept["id"])[0]["parts"]) == 2
    assert store.get_todos(kept["id"]) != []


def test_approvals_keep_order_and_collapse_duplicates(store):
    edit = {"permission": "edit", "pattern": "src/*", "action": "allow"}
    bash = {"permission": "bash", "pattern": "git status*", "action": "allow"}
    store.add_approval(edit)
    store.add_approval(bash)
    store.add_approval({"action": "allow", "pattern": "src/*", "permission": "edit"})
    assert store.list_approvals() == [edit, bash]


@pytest.mark.parametrize("bad", ["../escape", "a/b", "", "ses.json", None])
def test_ids_that_could_escape_the_store_are_refused(store, bad):
    with pytest.raises(InvalidInputError):
        store.put_session({"id": bad})
    with pytest.raises(InvalidInputError):
        store.put_message(bad, {"id": new_id("msg")})


def test_values_that_are_not_json_are_refused_up_front(store):
    with pytest.raises(InvalidInputError):
        store.put_session({"id": new_id("ses"), "when": object()})
    assert store.list_sessions() == []

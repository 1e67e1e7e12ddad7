"""Random operation sequences: TinyDBStore (also after reopening) answers exactly like MemoryStore."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opencode_lsp.storage import MemoryStore, TinyDBStore

# Small fixed id pools so operations keep hitting the same records.
SESSIONS = ["ses_fff000000001aaaaaaaaaaaaaa", "ses_fff000000000bbbbbbbbbbbbbb"]
MESSAGES = ["msg_000000000001aaaaaaaaaaaaaa", "msg_000000000002bbbbbbbbbbbbbb"]
PARTS = ["prt_000000000001aaaaaaaaaaaaaa", "prt_000000000002bbbbbbbbbbbbbb"]

sid = st.sampled_from(SESSIONS)
mid = st.sampled_from(MESSAGES)
pid = st.sampled_from(PARTS)
text = st.text(max_size=8)

operation = st.one_of(
    st.tuples(st.just("put_session"), sid, text),
    st.tuples(st.just("delete_session"), sid),
    st.tuples(st.just("put_message"), sid, mid, text),
    st.tuples(st.just("delete_message"), sid, mid),
    st.tuples(st.just("put_part"), sid, mid, pid, text, st.booleans()),
    st.tuples(st.just("delete_part"), sid, mid, pid),
    st.tuples(st.just("put_todos"), sid, st.lists(text, max_size=3)),
    st.tuples(st.just("add_approval"), st.sampled_from(["edit", "bash"]), st.sampled_from(["*", "a*"])),
    st.tuples(st.just("flush")),
)


def apply(store, op: tuple) -> None:
    name, *args = op
    if name == "put_session":
        s, title = args
        store.put_session({"id": s, "title": title, "time": {"created": 1, "updated": 2}})
    elif name == "delete_session":
        store.delete_session(args[0])
    elif name == "put_message":
        s, m, role = args
        store.put_message(s, {"id": m, "sessionID": s, "role": role})
    elif name == "delete_message":
        store.delete_message(*args)
    elif name == "put_part":
        s, m, p, body, durable = args
        part = {"id": p, "sessionID": s, "messageID": m, "type": "text", "text": body}
        store.put_part(s, part, durable=durable)
    elif name == "delete_part":
        store.delete_part(*args)
    elif name == "put_todos":
        s, contents = args
        store.put_todos(s, [{"id": str(i), "content": c, "status": "pending", "priority": "low"}
                            for i, c in enumerate(contents)])
    elif name == "add_approval":
        permission, pattern = args
        store.add_approval({"permission": permission, "pattern": pattern, "action": "allow"})
    else:
        store.flush()


def observe(store) -> dict:
    return {
        "sessions": store.list_sessions(),
        "approvals": store.list_approvals(),
        "messages": {s: store.list_messages(s) for s in SESSIONS},
        "todos": {s: store.get_todos(s) for s in SESSIONS},
        "one": {(s, m): store.get_message(s, m) for s in SESSIONS for m in MESSAGES},
    }


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, max_size=25))
def test_tinydb_store_matches_memory_store(ops):
    memory = MemoryStore()
    with tempfile.TemporaryDirectory() as tmp:
        disk = TinyDBStore(Path(tmp))
        for op in ops:
            apply(memory, op)
            apply(disk, op)
        assert observe(disk) == observe(memory)
        disk.close()
        reopened = TinyDBStore(Path(tmp))
        assert observe(reopened) == observe(memory)
        reopened.close()

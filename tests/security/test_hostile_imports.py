"""Generated hostile imports over an existing session, on the real TinyDB store: each must be
rejected as invalid input before anything is written, and the old session must be intact."""

from __future__ import annotations

import copy
import itertools
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opencode_lsp.core.errors import InvalidInputError
from opencode_lsp.core.events import Bus
from opencode_lsp.core.ids import new_id
from opencode_lsp.core.message import TextPart, UserMessage
from opencode_lsp.core.session import SessionManager
from opencode_lsp.storage import TinyDBStore
from tests.security.conftest import record

BAD_IDS = ["", "../x", "a/b", "x" * 200, "prt 1", "..", "a\\b", "é", "a\nb", 7, None]
NUMBERS = itertools.count()


def seeded(tmp: Path) -> tuple[SessionManager, str, dict]:
    sessions = SessionManager(TinyDBStore(tmp / f"store{next(NUMBERS)}"), Bus(), "/ws", running=())
    info = sessions.create(title="precious")
    mid = new_id("msg")
    sessions.update_message(UserMessage(id=mid, sessionID=info.id, time={"created": 1}, agent="build",
                                        model={"providerID": "p", "modelID": "m"}))
    sessions.update_part(TextPart(id=new_id("prt"), sessionID=info.id, messageID=mid, text="keep me"))
    return sessions, info.id, sessions.export(info.id)


@st.composite
def hostile_import(draw, good: dict) -> dict:
    data = copy.deepcopy(good)
    message = data["messages"][0]
    kind = draw(st.sampled_from(["part id", "message id", "session id", "parent self", "part session",
                                 "part message", "parts not a list", "part not an object", "info missing",
                                 "message info missing"]))
    bad = draw(st.sampled_from(BAD_IDS))
    if kind == "part id":
        message["parts"].append({**message["parts"][0], "id": bad})
    elif kind == "message id":
        data["messages"].append({"info": {**message["info"], "id": bad}, "parts": []})
    elif kind == "session id":
        data["info"]["id"] = bad
    elif kind == "parent self":
        data["info"]["parentID"] = data["info"]["id"]
    elif kind == "part session":
        message["parts"].append({**message["parts"][0], "id": new_id("prt"), "sessionID": "ses_other"})
    elif kind == "part message":
        message["parts"].append({**message["parts"][0], "id": new_id("prt"), "messageID": "msg_other"})
    elif kind == "parts not a list":
        message["parts"] = "nope"
    elif kind == "part not an object":
        message["parts"].append(bad)
    elif kind == "info missing":
        del data["info"]
    else:
        del message["info"]
    # Good new content next to the bad piece: none of it may land.
    data["messages"].insert(0, {"info": {**message.get("info", good["messages"][0]["info"]), "id": new_id("msg")},
                                "parts": []})
    return data


@settings(max_examples=int(os.environ.get("SECURITY_EXAMPLES", "300")) // 3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_a_rejected_import_loses_nothing(tmp_path, data):
    sessions, sid, before = seeded(tmp_path)
    hostile = data.draw(hostile_import(before))
    with pytest.raises(InvalidInputError):
        sessions.import_(hostile)
    record("hostile imports", "rejected")
    assert sessions.export(sid) == before


def test_a_parent_cycle_is_rejected_and_deletion_terminates(tmp_path):
    sessions, sid, before = seeded(tmp_path)
    child = sessions.create(parent_id=sid, title="child")
    exported = sessions.export(sid)
    exported["info"]["parentID"] = child.id  # sid -> child -> sid
    with pytest.raises(InvalidInputError):
        sessions.import_(exported)
    assert sessions.export(sid) == before
    # A cycle already on disk (written by an older version) still deletes, each session once.
    sessions.store.put_session({**sessions.store.get_session(sid), "parentID": child.id})
    sessions.delete(sid)
    assert not sessions.exists(sid) and not sessions.exists(child.id)

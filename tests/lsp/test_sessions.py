"""The session methods of protocol.md, driven over stdio against the real server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException

from .conftest import call

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "opencode-1.18.33-session-export.json"


async def error_of(client, method, params):
    with pytest.raises(JsonRpcException) as info:
        await call(client, method, params)
    return info.value


async def test_initialize_advertises_methods(client):
    advertised = client.init_result.capabilities.experimental["opencode"]
    assert advertised["version"]
    for name in ("opencode/session/create", "opencode/session/list", "opencode/session/prompt",
                 "opencode/session/import", "opencode/permission/reply"):
        assert name in advertised["methods"]
    assert await call(client, "opencode/session/list", {}) == []


async def test_create_get_list_roundtrip(client, workspace):
    created = await call(client, "opencode/session/create", {"title": "first"})
    assert created["id"].startswith("ses_") and created["title"] == "first"
    assert created["directory"] == str(workspace)
    assert created["version"] == "1.18.33"
    assert created["time"]["created"] == created["time"]["updated"]
    fetched = await call(client, "opencode/session/get", {"sessionID": created["id"]})
    assert fetched == created
    second = await call(client, "opencode/session/create", {})
    assert second["title"].startswith("New session - ")
    listed = await call(client, "opencode/session/list", {})
    assert [s["id"] for s in listed] == [second["id"], created["id"]]
    limited = await call(client, "opencode/session/list", {"limit": 1})
    assert [s["id"] for s in limited] == [second["id"]]
    searched = await call(client, "opencode/session/list", {"search": "FIRST"})
    assert [s["id"] for s in searched] == [created["id"]]


async def test_children_roots_and_cascade_delete(client):
    parent = await call(client, "opencode/session/create", {})
    child = await call(client, "opencode/session/create", {"parentID": parent["id"]})
    assert child["title"].startswith("Child session - ")
    kids = await call(client, "opencode/session/children", {"sessionID": parent["id"]})
    assert [k["id"] for k in kids] == [child["id"]]
    roots = await call(client, "opencode/session/list", {"roots": True})
    assert [r["id"] for r in roots] == [parent["id"]]
    assert await call(client, "opencode/session/delete", {"sessionID": parent["id"]}) is True
    err = await error_of(client, "opencode/session/get", {"sessionID": child["id"]})
    assert err.code == -31001


async def test_update_title_archive_permission(client):
    s = await call(client, "opencode/session/create", {})
    renamed = await call(client, "opencode/session/update", {"sessionID": s["id"], "title": "Renamed"})
    assert renamed["title"] == "Renamed"
    assert renamed["time"]["updated"] >= s["time"]["updated"]
    archived = await call(client, "opencode/session/update", {"sessionID": s["id"], "archived": True})
    assert archived["time"]["archived"] > 0
    assert await call(client, "opencode/session/list", {}) == []
    only_archived = await call(client, "opencode/session/list", {"archived": True})
    assert [x["id"] for x in only_archived] == [s["id"]]
    rules = [{"permission": "bash", "pattern": "*", "action": "deny"}]
    ruled = await call(client, "opencode/session/update", {"sessionID": s["id"], "permission": rules})
    assert ruled["permission"] == rules
    restored = await call(client, "opencode/session/update", {"sessionID": s["id"], "archived": False})
    assert "archived" not in restored["time"]


async def test_import_export_reference_roundtrip(client):
    data = json.loads(REFERENCE.read_text())
    imported = await call(client, "opencode/session/import", {"data": data})
    assert imported["id"] == data["info"]["id"]
    exported = await call(client, "opencode/session/export", {"sessionID": imported["id"]})
    assert exported["info"] == data["info"]
    assert exported["messages"] == data["messages"]
    messages = await call(client, "opencode/session/messages", {"sessionID": imported["id"]})
    assert [m["info"]["id"] for m in messages] == [m["info"]["id"] for m in data["messages"]]
    last_two = await call(client, "opencode/session/messages", {"sessionID": imported["id"], "limit": 2})
    assert [m["info"]["id"] for m in last_two] == [m["info"]["id"] for m in data["messages"][1:]]
    before = await call(client, "opencode/session/messages",
                        {"sessionID": imported["id"], "before": data["messages"][2]["info"]["id"]})
    assert len(before) == 2


async def test_import_turns_old_before_after_diffs_into_patches(client):
    """Sessions exported before summary.diffs took OpenCode 1.18.33's patch form still import;
    their entries come back as patches."""
    data = json.loads(REFERENCE.read_text())
    old = {"file": "hello.py", "before": "a\n", "after": "b\n", "additions": 1, "deletions": 1, "status": "modified"}
    data["messages"][0]["info"]["summary"] = {"diffs": [old]}
    imported = await call(client, "opencode/session/import", {"data": data})
    exported = await call(client, "opencode/session/export", {"sessionID": imported["id"]})
    [diff] = exported["messages"][0]["info"]["summary"]["diffs"]
    assert diff == {"file": "hello.py", "additions": 1, "deletions": 1, "status": "modified",
                    "patch": "Index: hello.py\n" + "=" * 67 + "\n--- hello.py\t\n+++ hello.py\t\n@@ -1,1 +1,1 @@\n-a\n+b\n"}


async def test_fork_copies_messages_before_the_given_one(client):
    data = json.loads(REFERENCE.read_text())
    source = await call(client, "opencode/session/import", {"data": data})
    cut = data["messages"][2]["info"]["id"]
    fork = await call(client, "opencode/session/fork", {"sessionID": source["id"], "messageID": cut})
    assert fork["title"] == f"{source['title']} (fork #1)"
    copied = await call(client, "opencode/session/messages", {"sessionID": fork["id"]})
    assert len(copied) == 2
    old_ids = {m["info"]["id"] for m in data["messages"]}
    assert all(m["info"]["id"] not in old_ids and m["info"]["sessionID"] == fork["id"] for m in copied)
    # The assistant's parentID follows its user message to the new id.
    assert copied[1]["info"]["parentID"] == copied[0]["info"]["id"]
    assert all(p["messageID"] == m["info"]["id"] for m in copied for p in m["parts"])
    # Usage rolls up from the copied step-finish parts.
    assert fork["tokens"]["input"] == 2441 and fork["tokens"]["output"] == 10
    again = await call(client, "opencode/session/fork", {"sessionID": source["id"]})
    assert again["title"] == f"{source['title']} (fork #2)"
    assert len(await call(client, "opencode/session/messages", {"sessionID": again["id"]})) == 3


async def test_todo_empty_for_new_session(client):
    s = await call(client, "opencode/session/create", {})
    assert await call(client, "opencode/session/todo", {"sessionID": s["id"]}) == []


@pytest.mark.parametrize(
    "method,params,field",
    [
        ("opencode/session/get", {}, "sessionID"),
        ("opencode/session/get", {"sessionID": 42}, "sessionID"),
        ("opencode/session/list", {"limit": "ten"}, "limit"),
        ("opencode/session/update", {"sessionID": "ses_x", "archived": "yes"}, "archived"),
        ("opencode/session/create", {"model": {"providerID": "p"}}, "model.modelID"),
        ("opencode/session/import", {"data": {"info": {"id": "ses_1"}}}, "data.info"),
        ("opencode/session/prompt", {"sessionID": "ses_x", "parts": [{"type": "nope"}]}, "parts.0"),
        ("opencode/session/messages", {"sessionID": "ses_x", "limit": -1}, "limit"),
    ],
)
async def test_malformed_params_name_the_field(client, method, params, field):
    err = await error_of(client, method, params)
    assert err.code == -32602
    assert field in err.message


@pytest.mark.parametrize(
    "method,params",
    [
        ("opencode/session/get", {"sessionID": "ses_missing"}),
        ("opencode/session/update", {"sessionID": "ses_missing", "title": "x"}),
        ("opencode/session/fork", {"sessionID": "ses_missing"}),
        ("opencode/session/delete", {"sessionID": "ses_missing"}),
        ("opencode/session/messages", {"sessionID": "ses_missing"}),
        ("opencode/session/children", {"sessionID": "ses_missing"}),
        ("opencode/session/todo", {"sessionID": "ses_missing"}),
        ("opencode/session/export", {"sessionID": "ses_missing"}),
        ("opencode/session/create", {"parentID": "ses_missing"}),
    ],
)
async def test_unknown_session_is_not_found(client, method, params):
    err = await error_of(client, method, params)
    assert err.code == -31001
    # The server keeps serving after the error.
    assert isinstance(await call(client, "opencode/session/list", {}), list)


async def test_events_feed(client):
    s = await call(client, "opencode/session/create", {"title": "evented"})
    await call(client, "opencode/session/update", {"sessionID": s["id"], "title": "renamed"})
    recorder = client.recorder
    await recorder.wait_for(lambda: [e for e in recorder.events if e["type"] == "session.updated"])
    types_seen = [e["type"] for e in recorder.events]
    assert "session.created" in types_seen and "session.updated" in types_seen
    updated = [e for e in recorder.events if e["type"] == "session.updated"][-1]
    assert updated["properties"]["info"]["title"] == "renamed"


async def test_prompt_without_a_configured_model_says_how_to_configure_one(client):
    s = await call(client, "opencode/session/create", {})
    err = await error_of(client, "opencode/session/prompt", {"sessionID": s["id"], "parts": [{"type": "text", "text": "hi"}]})
    assert err.code == -32602
    assert "No model is configured" in err.message and err.data["field"] == "model"


@pytest.mark.files({"opencode.json": "{ this is not json"})
async def test_server_logs_reach_the_editor(client):
    # The broken project config is reported through window/logMessage, and the server still serves.
    for _ in range(50):
        if any("opencode.json" in m.message for m in client.log_messages):
            break
        await asyncio.sleep(0.05)
    assert any("opencode.json" in m.message and m.type.value == 1 for m in client.log_messages)
    assert await call(client, "opencode/session/list", {}) == []

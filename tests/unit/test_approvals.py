"""Stored "always" approvals: the ask states their exact scope, they are listed and revoked, and a
revoked approval asks again, also after a restart (the store forgets it)."""

from __future__ import annotations

import asyncio

from opencode_lsp.core.events import Bus
from opencode_lsp.core.permission import PermissionBroker, always_scope
from opencode_lsp.storage.memory import MemoryStore

ASK_ALL = [{"permission": "*", "pattern": "*", "action": "ask"}]


def broker(store: MemoryStore, asked: list) -> PermissionBroker:
    bus = Bus()
    bus.subscribe(lambda e: asked.append(e.properties) if e.type == "permission.asked" else None)
    return PermissionBroker(bus, store.list_approvals, store.add_approval, store.remove_approvals)


async def answer_next(b: PermissionBroker, asked: list, reply: str) -> dict:
    while not b.list():
        await asyncio.sleep(0)
    request = b.list()[0]
    b.reply(request["id"], reply)
    return request


def test_edit_always_is_the_asked_file_not_every_edit():
    assert always_scope("edit", ["calc.py"], ["*"]) == ["calc.py"]
    assert always_scope("bash", ["git commit -m x"], ["git commit *"]) == ["git commit *"]


async def test_always_on_one_file_then_list_and_revoke():
    store, asked = MemoryStore(), []
    b = broker(store, asked)
    ask = asyncio.ensure_future(b.ask("ses_1", "edit", ["calc.py"], ["*"], {}, None, ASK_ALL))
    request = await answer_next(b, asked, "always")
    await ask
    assert request["always"] == ["calc.py"] and asked[0]["always"] == ["calc.py"]
    # That file is allowed from now on; another file still asks.
    await asyncio.wait_for(b.ask("ses_2", "edit", ["calc.py"], ["*"], {}, None, ASK_ALL), 5)
    other = asyncio.ensure_future(b.ask("ses_2", "edit", ["main.py"], ["*"], {}, None, ASK_ALL))
    await answer_next(b, asked, "once")
    await other
    (approval,) = b.approvals()
    assert approval["permission"] == "edit" and approval["pattern"] == "calc.py"
    assert approval["sessionID"] == "ses_1" and approval["id"].startswith("apr_") and approval["time"] > 0
    # A restart reads the same approvals back.
    assert broker(store, []).approvals() == [approval]
    assert b.revoke(approval["id"]) is True
    assert b.revoke(approval["id"]) is False and b.revoke("apr_unknown") is False
    assert b.approvals() == [] and store.list_approvals() == []
    again = asyncio.ensure_future(b.ask("ses_3", "edit", ["calc.py"], ["*"], {}, None, ASK_ALL))
    await answer_next(b, asked, "reject")
    assert isinstance((await asyncio.gather(again, return_exceptions=True))[0], Exception)
    assert broker(store, []).approvals() == []


def test_older_records_without_id_are_listed_and_revocable():
    store = MemoryStore()
    store.add_approval({"permission": "bash", "pattern": "ls *", "action": "allow"})
    b = broker(store, [])
    (approval,) = b.approvals()
    assert approval["pattern"] == "ls *" and approval["id"].startswith("apr_")
    assert b.revoke(approval["id"]) is True and store.list_approvals() == []

"""The task list follows undo and redo: while a session is reverted, the list clients get
(``todos`` and the ``todo.updated`` events) is the one the history before the revert point left;
redo brings the kept list back, and the next prompt makes the reverted list final. Real loop and
todowrite tool over a scripted model."""

from __future__ import annotations

from .test_compaction import ask, make_app


def todo(content: str, status: str = "pending") -> dict:
    return {"content": content, "status": status, "priority": "high"}


FIRST = [todo("read the code", "in_progress")]
SECOND = [todo("read the code", "completed"), todo("write the fix", "in_progress")]


def write(todos: list[dict]) -> list:
    return [{"tool": "todowrite", "args": {"todos": todos}}]


async def test_undo_shows_the_earlier_list_and_redo_the_later(tmp_path):
    app, model = make_app(tmp_path, [write(FIRST), "planned", write(SECOND), "fixing", "started over"])
    published: list[list[dict]] = []
    app.bus.subscribe(lambda e: published.append(e.properties["todos"]) if e.type == "todo.updated" else None)
    sid = app.sessions.create().id
    await ask(app, sid, "plan it")
    await ask(app, sid, "do it")
    assert app.sessions.todos(sid) == SECOND
    second_user = [e for e in app.sessions.messages(sid) if e["info"]["role"] == "user"][1]["info"]["id"]

    await app.revert.revert(sid, second_user)
    assert app.sessions.todos(sid) == FIRST
    assert published[-1] == FIRST

    await app.revert.unrevert(sid)
    assert app.sessions.todos(sid) == SECOND
    assert published[-1] == SECOND

    # Undo again, then a new prompt: the reverted turn and its list are gone for good.
    await app.revert.revert(sid, second_user)
    await ask(app, sid, "something else")
    assert app.sessions.get(sid).revert is None
    assert app.sessions.todos(sid) == FIRST
    assert app.store.get_todos(sid) == FIRST


async def test_undo_of_the_first_turn_leaves_no_list(tmp_path):
    app, _model = make_app(tmp_path, [write(FIRST), "planned"])
    sid = app.sessions.create().id
    await ask(app, sid, "plan it")
    first_user = app.sessions.messages(sid)[0]["info"]["id"]
    await app.revert.revert(sid, first_user)
    assert app.sessions.todos(sid) == []

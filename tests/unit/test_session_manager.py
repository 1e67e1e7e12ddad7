"""SessionManager over the memory store: usage roll-up up and down, cascading delete."""

from __future__ import annotations

from opencode_lsp.core.events import Bus
from opencode_lsp.core.ids import new_id
from opencode_lsp.core.message import AssistantMessage, AssistantPath, AssistantTime, StepFinishPart, Tokens, UserMessage
from opencode_lsp.core.session import SessionManager
from opencode_lsp.storage import MemoryStore


def step(sid: str, mid: str, cost: float, input_: int, output: int, read: int = 0) -> StepFinishPart:
    return StepFinishPart(id=new_id("prt"), sessionID=sid, messageID=mid, reason="stop", cost=cost,
                          tokens=Tokens(input=input_, output=output, cache={"read": read, "write": 0}))


def message(sessions: SessionManager, sid: str) -> str:
    info = UserMessage(id=new_id("msg"), sessionID=sid, time={"created": 1}, agent="build",
                       model={"providerID": "p", "modelID": "m"})
    sessions.update_message(info)
    return info.id


def manager() -> SessionManager:
    return SessionManager(MemoryStore(), Bus(), "/ws", running=())


def test_usage_rolls_up_and_goes_down_when_parts_go():
    sessions = manager()
    sid = sessions.create().id
    first, second = message(sessions, sid), message(sessions, sid)
    a = sessions.update_part(step(sid, first, 0.5, 100, 10, read=7))
    sessions.update_part(step(sid, second, 0.25, 50, 5))
    info = sessions.get(sid)
    assert info.cost == 0.75 and info.tokens.input == 150 and info.tokens.output == 15
    assert info.tokens.cache.read == 7
    # Rewriting a step-finish counts it once, with its new figures.
    a.cost, a.tokens.input = 1.0, 200
    sessions.update_part(a)
    info = sessions.get(sid)
    assert info.cost == 1.25 and info.tokens.input == 250
    sessions.remove_part(sid, first, a.id)
    info = sessions.get(sid)
    assert info.cost == 0.25 and info.tokens.input == 50 and info.tokens.cache.read == 0
    sessions.remove_message(sid, second)
    info = sessions.get(sid)
    assert info.cost == 0 and info.tokens.input == 0


def test_delete_cascades_to_children_and_todos():
    sessions = manager()
    parent = sessions.create().id
    child = sessions.create(parent_id=parent).id
    sessions.set_todos(child, [{"content": "x", "status": "pending", "priority": "low"}])
    sessions.delete(parent)
    assert not sessions.exists(parent) and not sessions.exists(child)
    assert sessions.store.get_todos(child) == []


def test_new_sessions_carry_opencodes_path_and_question_rules(tmp_path):
    """As OpenCode 1.18.33 stores them: ``path`` relative to the git worktree (to ``/`` outside
    one); a top-level session denies question/plan_enter/plan_exit (our clients cannot answer
    them, and OpenCode would offer them to the session once exported); a child or a session given
    its own rules gets no such rules."""
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "sub" / "deep").mkdir(parents=True)
    sessions = SessionManager(MemoryStore(), Bus(), str(tmp_path / "repo"), running=())
    top = sessions.create()
    assert top.path == ""
    assert [r.dump() for r in top.permission] == [{"permission": p, "pattern": "*", "action": "deny"}
                                                  for p in ("question", "plan_enter", "plan_exit")]
    assert sessions.create(directory=str(tmp_path / "repo" / "sub" / "deep")).path == "sub/deep"
    outside = tmp_path / "plain"
    outside.mkdir()
    assert sessions.create(directory=str(outside)).path == outside.as_posix().lstrip("/")
    child = sessions.create(parent_id=top.id)
    assert child.permission is None
    own = sessions.create(permission=[{"permission": "bash", "pattern": "*", "action": "ask"}])
    assert [r.permission for r in own.permission] == ["bash"]


def test_reading_closes_an_open_answer_only_of_a_session_not_running_here():
    running: set[str] = set()
    sessions = SessionManager(MemoryStore(), Bus(), "/ws", running=running)
    sid = sessions.create().id
    user = message(sessions, sid)
    sessions.update_message(AssistantMessage(
        id=new_id("msg"), sessionID=sid, parentID=user, time=AssistantTime(created=1), modelID="m",
        providerID="p", mode="build", agent="build", path=AssistantPath(cwd="/ws", root="/ws")))
    # The table the manager was given is the one it reads: a run in it is left alone...
    running.add(sid)
    assert sessions.messages(sid)[-1]["info"]["time"].get("completed") is None
    # ...and once the run is gone, what it left open reads as aborted (a crash's leftover).
    running.discard(sid)
    # stored_messages is the plain read: it leaves the open answer as stored.
    assert sessions.stored_messages(sid)[-1]["info"]["time"].get("completed") is None
    answer = sessions.messages(sid)[-1]["info"]
    assert answer["time"]["completed"] and answer["error"]["name"] == "MessageAbortedError"

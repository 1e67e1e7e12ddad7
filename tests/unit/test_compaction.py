"""Compaction: OpenCode's overflow rule, what the model sees afterwards, pruning, and the
summariser driven by the real session loop over a scripted model and a MemoryStore."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from opencode_lsp.app import App
from opencode_lsp.core.compaction import CONTINUE_TEXT, SUMMARY_TEMPLATE, UPDATE_NOTE, prune
from opencode_lsp.core.compaction_rules import (
    PRUNE_MINIMUM,
    PRUNE_PROTECT,
    filter_compacted,
    is_overflow,
    prune_candidates,
    split_tail,
    usable_context,
)
from opencode_lsp.core.config import CompactionConfig, load_config
from opencode_lsp.core.llm import ModelError, ModelInfo, ModelLimit
from opencode_lsp.core.transcript import CLEARED
from opencode_lsp.core.user_input import PromptInput
from opencode_lsp.storage.memory import MemoryStore
from tests.support.scripted_model import ScriptedModel, ScriptedProvider

def make_app(tmp_path: Path, turns: list[Any], *, limit: ModelLimit | None = None,
             compaction: dict[str, Any] | None = None) -> tuple[App, ScriptedModel]:
    root = tmp_path / "ws"
    root.mkdir(exist_ok=True)
    settings: dict[str, Any] = {"model": "test/m", "small_model": "test/small"}
    if compaction is not None:
        settings["compaction"] = compaction
    config = load_config(root, settings, use_global=False)
    model = ScriptedModel(ModelInfo(providerID="test", modelID="m", limit=limit or ModelLimit(context=10_000, output=1_000)),
                          turns)
    small = ScriptedModel(ModelInfo(providerID="test", modelID="small"), [])
    app = App(root, config, MemoryStore(), provider=ScriptedProvider(model, small), data_dir=tmp_path / "data")
    return app, model


def texts(request) -> str:
    return json.dumps(request.messages)


async def ask(app: App, session_id: str, text: str):
    return await app.runner.prompt(session_id, PromptInput(parts=[{"type": "text", "text": text}]))


# --- the overflow rule (OpenCode's cases) -----------------------------------------------------


def tokens(input: int, output: int = 0, cache_read: int = 0, total: int | None = None) -> dict[str, Any]:
    return {"input": input, "output": output, "total": total, "cache": {"read": cache_read, "write": 0}}


def test_overflow_context_minus_output():
    limit = ModelLimit(context=100_000, output=32_000)
    assert is_overflow(tokens(75_000, 5_000), limit)


def test_no_overflow_with_room_left():
    assert not is_overflow(tokens(110_000), ModelLimit(context=200_000, output=32_000))


def test_input_limit_minus_reserve():
    limit = ModelLimit(context=400_000, input=272_000, output=128_000)
    assert is_overflow(tokens(271_000, 1_000, cache_read=2_000), limit)
    assert not is_overflow(tokens(230_000), limit)
    # The reserve is min(20k, max output): usable is 252k.
    assert usable_context(limit) == 252_000
    assert is_overflow(tokens(252_000), limit) and not is_overflow(tokens(251_999), limit)


def test_unknown_context_never_overflows():
    assert not is_overflow(tokens(10_000_000), ModelLimit(context=0, output=4_000))


def test_auto_off_and_reserved_from_config():
    limit = ModelLimit(context=100_000, output=32_000)
    assert not is_overflow(tokens(99_000), limit, CompactionConfig(auto=False))
    with_input = ModelLimit(context=100_000, input=90_000, output=8_000)
    assert usable_context(with_input) == 82_000  # reserve min(20k, 8k)
    assert is_overflow(tokens(60_000), with_input, CompactionConfig(reserved=30_000))
    assert not is_overflow(tokens(59_999), with_input, CompactionConfig(reserved=30_000))


def test_total_wins_over_the_sum_and_output_is_capped():
    limit = ModelLimit(context=100_000, output=200_000)  # max output is capped at 32k
    assert is_overflow(tokens(10, total=68_000), limit)
    assert not is_overflow(tokens(67_000, total=None), limit)


# --- what the model sees ----------------------------------------------------------------------


def user(mid: str, text: str, **parts: Any) -> dict[str, Any]:
    items = [{"id": f"prt_{mid}_a", "type": "text", "text": text, "sessionID": "s", "messageID": mid}]
    if "compaction" in parts:
        items = [{"id": f"prt_{mid}_c", "type": "compaction", "auto": True, "sessionID": "s", "messageID": mid,
                  **parts["compaction"]}]
    return {"info": {"id": mid, "role": "user", "sessionID": "s"}, "parts": items}


def assistant(mid: str, parent: str, text: str = "", *, summary: bool = False, finish: str | None = "stop",
              error: dict[str, Any] | None = None, tool_output: str | None = None, compacted: bool = False) -> dict[str, Any]:
    info = {"id": mid, "role": "assistant", "sessionID": "s", "parentID": parent, "providerID": "test",
            "modelID": "m", "finish": finish, "summary": summary or None, "error": error,
            "time": {"created": 1, "completed": 2}}
    parts: list[dict[str, Any]] = []
    if text:
        parts.append({"id": f"prt_{mid}_t", "type": "text", "text": text})
    if tool_output is not None:
        parts.append({"id": f"prt_{mid}_x", "type": "tool", "tool": "read", "callID": f"c_{mid}",
                      "state": {"status": "completed", "input": {}, "output": tool_output, "title": "",
                                "time": {"start": 1, "end": 2, "compacted": 5 if compacted else None}}})
    return {"info": info, "parts": parts}


def ids(entries: list[dict[str, Any]]) -> list[str]:
    return [e["info"]["id"] for e in entries]


def test_filter_compacted_orders_request_summary_tail_newer():
    entries = [user("m01", "one"), assistant("m02", "m01", "a1"), user("m03", "two"), assistant("m04", "m03", "a2"),
               user("m05", "", compaction={"tail_start_id": "m03", "tail_count": 2}),
               assistant("m06", "m05", "SUMMARY", summary=True), user("m07", "three")]
    assert ids(filter_compacted(entries)) == ["m05", "m06", "m03", "m04", "m07"]


def test_filter_ignores_failed_summaries_and_finds_forked_tails():
    failed = [user("m01", "one"), user("m02", "", compaction={}),
              assistant("m03", "m02", "x", summary=True, error={"name": "APIError", "data": {"message": "x"}})]
    assert ids(filter_compacted(failed)) == ["m01", "m02", "m03"]
    # A fork renumbers ids: the stored tail start is gone, the count still finds the tail.
    forked = [user("n01", "one"), user("n02", "two"),
              user("n03", "", compaction={"tail_start_id": "m_old", "tail_count": 1}),
              assistant("n04", "n03", "S", summary=True)]
    assert ids(filter_compacted(forked)) == ["n03", "n04", "n02"]


def test_split_tail_keeps_recent_turns_within_budget():
    view = [user("m01", "one"), assistant("m02", "m01", "a" * 400), user("m03", "two"),
            assistant("m04", "m03", "b" * 400), user("m05", "three")]
    assert split_tail(view, budget=1_000) == 2  # the two newest turns
    assert split_tail(view, budget=50) == 4  # only the last user message fits
    assert split_tail(view, budget=1_000, max_turns=1) == 4
    assert split_tail(view[:1], budget=1_000) == 1  # never everything: nothing would be summarised
    # After an earlier compaction the tail comes only from what followed its summary.
    again = [user("m05", "", compaction={}), assistant("m06", "m05", "S", summary=True),
             user("m03", "old tail"), user("m07", "new")]
    assert split_tail(again, budget=1_000) == 4


def test_prune_clears_old_outputs_beyond_the_protected_window():
    big = "x" * (PRUNE_PROTECT * 4)  # one output worth PRUNE_PROTECT tokens
    entries = [user("m01", "one"), assistant("m02", "m01", tool_output=big), assistant("m03", "m01", tool_output=big),
               user("m04", "two"), assistant("m05", "m04", tool_output="small"), user("m06", "three")]
    picked = prune_candidates(entries)
    assert [p["id"] for p in picked] == ["prt_m02_x"]
    # Not worth it when it frees too little.
    small = "x" * (PRUNE_MINIMUM * 2)
    assert prune_candidates([user("m01", "a"), assistant("m02", "m01", tool_output=small),
                             assistant("m03", "m01", tool_output=big), user("m04", "b"), user("m05", "c")]) == []
    # Stops at a summary and at outputs pruned before.
    stopped = [user("m01", "a"), assistant("m02", "m01", tool_output=big), assistant("m03", "m01", summary=True, text="S"),
               assistant("m04", "m01", tool_output=big), user("m05", "b"), user("m06", "c")]
    assert prune_candidates(stopped) == []


def store_turn(app: App, sid: str, question: str, output: str) -> None:
    """A finished turn written straight to the store: a question and one completed read."""
    from opencode_lsp.core.ids import new_id
    from opencode_lsp.core.message import (AssistantMessage, StepFinishPart, TextPart, ToolPart,
                                           ToolStateCompleted, UserMessage)

    u = UserMessage(id=new_id("msg"), sessionID=sid, time={"created": 1}, agent="build",
                    model={"providerID": "test", "modelID": "m"})
    a = AssistantMessage(id=new_id("msg"), sessionID=sid, time={"created": 1, "completed": 2}, parentID=u.id,
                         modelID="m", providerID="test", mode="build", agent="build", finish="stop",
                         path={"cwd": "/", "root": "/"})
    app.sessions.update_message(u)
    app.sessions.update_part(TextPart(id=new_id("prt"), sessionID=sid, messageID=u.id, text=question))
    app.sessions.update_message(a)
    app.sessions.update_part(ToolPart(id=new_id("prt"), sessionID=sid, messageID=a.id, callID=new_id("tool"),
                                      tool="read", state=ToolStateCompleted(
                                          input={"filePath": "x"}, output=output, title="x",
                                          time={"start": 1, "end": 2})))
    app.sessions.update_part(StepFinishPart(id=new_id("prt"), sessionID=sid, messageID=a.id, reason="stop"))


async def test_prune_in_the_loop_marks_parts_and_the_model_reads_a_note(tmp_path):
    app, model = make_app(tmp_path, ["fine"], limit=ModelLimit(context=10_000_000, output=1_000),
                          compaction={"prune": True})
    sid = app.sessions.create().id
    store_turn(app, sid, "first", "x" * (PRUNE_PROTECT * 4))  # pushed out of the window below
    store_turn(app, sid, "second", "y" * (PRUNE_PROTECT * 4))
    store_turn(app, sid, "third", "z" * 40)
    await ask(app, sid, "fourth")
    tools = [p for e in app.sessions.messages(sid) for p in e["parts"] if p["type"] == "tool"]
    assert tools[0]["state"]["time"].get("compacted")
    assert not any(t["state"]["time"].get("compacted") for t in tools[1:])
    sent = json.dumps(model.requests[-1].messages)
    assert CLEARED in sent and "xxxx" not in sent and "yyyy" in sent
    assert prune(app.sessions, sid) == 0  # nothing left worth pruning


async def test_prune_is_off_by_default(tmp_path):
    app, model = make_app(tmp_path, ["fine"], limit=ModelLimit(context=10_000_000, output=1_000))
    sid = app.sessions.create().id
    store_turn(app, sid, "first", "x" * (PRUNE_PROTECT * 4))
    store_turn(app, sid, "second", "y" * (PRUNE_PROTECT * 4))
    await ask(app, sid, "third")
    assert CLEARED not in json.dumps(model.requests[-1].messages)


# --- the summariser in the loop ---------------------------------------------------------------


async def test_overflowing_step_compacts_at_once_in_the_same_run(tmp_path):
    # OpenCode 1.18.33: the step whose usage overflows is followed, in the same run, by the
    # compaction request, the summary, a synthetic "continue" and a new answer.
    app, model = make_app(tmp_path, [
        [f"First answer about apples. {'zucchini ' * 50}", {"usage": {"prompt": 8_500, "completion": 900}}],
        "## Goal\nApples were discussed.",
        "Carrying on after the summary.",
    ])
    sid = app.sessions.create().id
    result = await ask(app, sid, "tell me about apples")
    assert len(model.requests) == 3
    summary_request, final_request = model.requests[1], model.requests[2]
    assert "apples" in texts(summary_request)
    # OpenCode 1.18.33's shape: the system prompt, then one user message with the conversation
    # written out as text, then the instructions.
    assert summary_request.tools == [] and [m["role"] for m in summary_request.messages] == ["system", "user"]
    request_text = summary_request.messages[1]["content"]
    assert request_text.endswith(SUMMARY_TEMPLATE) and "<conversation>\n[user] tell me about apples" in request_text
    assert "[assistant] First answer about apples." in request_text
    assert "Apples were discussed." in texts(final_request)
    entries = app.sessions.messages(sid)
    shape = [(e["info"]["role"], e["info"].get("summary"), [p["type"] for p in e["parts"]]) for e in entries]
    assert [s[0] for s in shape] == ["user", "assistant", "user", "assistant", "user", "assistant"]
    request_part = entries[2]["parts"][0]
    assert request_part["type"] == "compaction" and request_part["auto"] is True
    assert entries[3]["info"]["summary"] is True and entries[3]["info"]["agent"] == "compaction"
    assert entries[4]["parts"][0]["text"] == CONTINUE_TEXT and entries[4]["parts"][0]["synthetic"] is True
    assert [p["text"] for p in entries[5]["parts"] if p["type"] == "text"] == ["Carrying on after the summary."]
    assert result.info.id == entries[5]["info"]["id"] or result.info.id == entries[1]["info"]["id"]
    assert app.sessions.get(sid).time.compacting is None


async def test_provider_overflow_compacts_and_replays_the_turn(tmp_path):
    app, model = make_app(tmp_path, [
        "Answer one.",
        ModelError("prompt is too long", kind="context_overflow"),
        "## Goal\nsummary of one",
        "Answer two, after the replay.",
    ])
    sid = app.sessions.create().id
    await ask(app, sid, "question one")
    await ask(app, sid, "question two")
    answer = app.sessions.messages(sid)[-1]
    assert [p["text"] for p in answer["parts"] if p["type"] == "text"] == ["Answer two, after the replay."]
    summary_request = texts(model.requests[2])
    assert "question one" in summary_request and "question two" not in summary_request
    entries = app.sessions.messages(sid)
    compaction = next(e for e in entries if any(p["type"] == "compaction" for p in e["parts"]))
    assert compaction["parts"][0]["overflow"] is True
    replayed = entries[-2]
    assert replayed["info"]["role"] == "user" and replayed["parts"][0]["text"] == "question two"
    final = model.requests[3].messages
    assert [m["role"] for m in final[1:]] == ["user", "assistant", "user"]
    # The replay reaches the model as the newest user turn (wrapped as news, since the loop had
    # already run a step, as OpenCode does for messages that arrive mid-run).
    assert "question two" in final[-1]["content"] and "summary of one" in final[2]["content"]
    assert "question one" not in json.dumps(final)


async def test_summarize_on_demand_stops_and_an_update_follows(tmp_path):
    app, model = make_app(tmp_path, ["First.", "SUMMARY-ONE", "Second.", "SUMMARY-TWO", "Third."])
    sid = app.sessions.create().id
    await ask(app, sid, "alpha")
    assert await app.compaction.summarize(sid) is True
    assert len(model.requests) == 2  # no continuation after a manual summary
    events = []
    app.bus.subscribe(lambda e: events.append(e.type))
    await ask(app, sid, "beta")
    second = texts(model.requests[2])
    assert "SUMMARY-ONE" in second and "alpha" not in second
    assert await app.compaction.summarize(sid) is True
    update = model.requests[3]
    update_text = update.messages[-1]["content"]
    assert [m["role"] for m in update.messages] == ["system", "user"]
    assert "<prior-summary>\nSUMMARY-ONE\n</prior-summary>" in update_text and UPDATE_NOTE in update_text
    assert "[user] beta" in update_text and "[user] alpha" not in update_text
    assert "session.compacted" in events
    await ask(app, sid, "gamma")
    last = texts(model.requests[4])
    assert "SUMMARY-TWO" in last and "SUMMARY-ONE" not in last


async def test_summarize_refuses_a_busy_or_empty_session(tmp_path):
    from opencode_lsp.core.errors import BusyError, InvalidInputError

    app, _ = make_app(tmp_path, [])
    sid = app.sessions.create().id
    with pytest.raises(InvalidInputError):
        await app.compaction.summarize(sid)
    app.runner.runs[sid] = object()  # what a running loop looks like to ensure_idle
    with pytest.raises(BusyError):
        await app.compaction.summarize(sid)

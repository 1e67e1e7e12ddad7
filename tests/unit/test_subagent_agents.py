"""A subagent runs with the agents its caller's run started with: an agent file removed while
the caller runs does not take the subagent away half-way (the caller offered it, its rules
allowed it). Real loop, task tool and agent files over a scripted model."""

from __future__ import annotations

from opencode_lsp.core.message import ToolPart, ToolStateCompleted

from .test_compaction import ask, make_app

REVIEWER = """---
description: Reviews a change
mode: subagent
---
You review changes and answer in one line.
"""


async def test_subagent_of_a_removed_agent_file_still_runs_for_the_running_caller(tmp_path):
    app, model = make_app(tmp_path, [
        [{"tool": "task", "args": {"description": "review it", "prompt": "review the change",
                                   "subagent_type": "reviewer"}}],
        "looks fine",
        "the reviewer agreed",
    ])
    agent_file = app.root / ".opencode" / "agent" / "reviewer.md"
    agent_file.parent.mkdir(parents=True)
    agent_file.write_text(REVIEWER)
    assert app.agents.get("reviewer") is not None
    stream = model.stream

    def remove_then_stream(request):
        agent_file.unlink(missing_ok=True)  # during the caller's first step
        return stream(request)

    model.stream = remove_then_stream  # type: ignore[method-assign]
    sid = app.sessions.create().id
    await ask(app, sid, "get this reviewed")

    assert app.agents.get("reviewer") is None  # the workspace's agents follow the file
    parts = [p for e in app.sessions.messages(sid) for p in e["parts"] if p["type"] == "tool"]
    task = ToolPart.model_validate(parts[0])
    assert isinstance(task.state, ToolStateCompleted), task.state
    child = app.sessions.children(sid)[0]
    answer = [e["info"] for e in app.sessions.messages(child.id) if e["info"]["role"] == "assistant"]
    assert [a["agent"] for a in answer] == ["reviewer"]
    assert "looks fine" in task.state.output

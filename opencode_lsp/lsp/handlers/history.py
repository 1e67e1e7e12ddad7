"""Long sessions: summarize (compaction on demand), revert and unrevert of the agent's file edits."""

from __future__ import annotations

from pydantic import StrictInt, StrictStr

from .. import methods as m
from .. import params as p
from ..host import ServerHost
from ..progress import label, run_with_progress
from ..rpc import method


class SummarizeParams(p.SessionSummarize):
    workDoneToken: StrictStr | StrictInt | None = None


@method(m.SESSION_SUMMARIZE, SummarizeParams)
async def summarize(ls: ServerHost, params: SummarizeParams):
    ls.app.sessions.get(params.sessionID)
    ls.app.runner.ensure_idle(params.sessionID)
    plan = ls.app.runner.resolve(params.sessionID, None, params.model.model_dump() if params.model else None)
    return await run_with_progress(
        ls, params.sessionID, params.workDoneToken, label(plan, "compaction"),
        lambda: ls.app.compaction.summarize(params.sessionID, plan=plan),
        lambda done: "summarized" if done else "the summary failed")


@method(m.SESSION_REVERT, p.SessionRevert)
async def revert(ls: ServerHost, params: p.SessionRevert):
    return await ls.app.revert.revert(params.sessionID, params.messageID, params.partID)


@method(m.SESSION_UNREVERT, p.SessionRef)
async def unrevert(ls: ServerHost, params: p.SessionRef):
    return await ls.app.revert.unrevert(params.sessionID)

"""Long sessions: summarize (compaction on demand), revert and unrevert of the agent's file edits."""

from __future__ import annotations

import asyncio

from pydantic import StrictInt, StrictStr

from .. import methods as m
from .. import params as p
from ..host import ServerHost
from ..progress import RunProgress
from ..rpc import method


class SummarizeParams(p.SessionSummarize):
    workDoneToken: StrictStr | StrictInt | None = None


@method(m.SESSION_SUMMARIZE, SummarizeParams)
async def summarize(ls: ServerHost, params: SummarizeParams):
    ls.app.sessions.get(params.sessionID)
    ls.app.runner.ensure_idle(params.sessionID)
    model = params.model.model_dump() if params.model else None
    label = "compaction · " + (f"{params.model.providerID}/{params.model.modelID}" if params.model
                               else ls.app.config.model or "default model")
    async with RunProgress(ls, params.sessionID, params.workDoneToken, label) as progress:
        try:
            await ls.app.models_ready()
            done = await ls.app.compaction.summarize(params.sessionID, model)
        except asyncio.CancelledError:
            await asyncio.shield(ls.app.runner.abort(params.sessionID))
            await progress.finish("aborted")
            raise
        await progress.finish("summarized" if done else "the summary failed")
        return done


@method(m.SESSION_REVERT, p.SessionRevert)
async def revert(ls: ServerHost, params: p.SessionRevert):
    return await ls.app.revert.revert(params.sessionID, params.messageID, params.partID)


@method(m.SESSION_UNREVERT, p.SessionRef)
async def unrevert(ls: ServerHost, params: p.SessionRef):
    return await ls.app.revert.unrevert(params.sessionID)

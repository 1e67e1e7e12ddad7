"""Prompting: prompt, command, shell, abort, status. Each run streams on its progress token."""

from __future__ import annotations

import asyncio
from typing import Any

from ...core.user_input import PromptInput
from .. import methods as m
from .. import params as p
from ..progress import RunProgress
from ..rpc import method


def end_message(result: Any) -> str:
    info = result.info
    error = getattr(info, "error", None)
    if error is not None:
        return f"{error.name}: {getattr(error.data, 'message', '')}".strip()
    return getattr(info, "finish", None) or "done"


async def stream_run(ls, session_id: str, token: Any, agent: str | None, model: Any, start) -> Any:
    """Run ``start()`` (a coroutine factory) with progress; abort the run if the request is cancelled."""
    label = f"{agent or ls.app.runner.resolve_agent(session_id, None)} · "
    label += f"{model.providerID}/{model.modelID}" if model else (ls.app.config.model or "default model")
    async with RunProgress(ls, session_id, token, label) as progress:
        try:
            await ls.app.models_ready()
            result = await start()
        except asyncio.CancelledError:
            # $/cancelRequest: stop the run the same way opencode/session/abort does.
            await asyncio.shield(ls.app.runner.abort(session_id))
            await progress.finish("aborted")
            raise
        await progress.finish(end_message(result))
        return result


@method(m.SESSION_PROMPT, p.SessionPrompt)
async def prompt(ls, params: p.SessionPrompt):
    ls.app.sessions.get(params.sessionID)
    request = PromptInput(
        parts=[part.model_dump(exclude_none=True) for part in params.parts],
        agent=params.agent,
        model=params.model.model_dump() if params.model else None,
        no_reply=bool(params.noReply),
        format=params.format,
        system=params.system,
        message_id=params.messageID,
    )
    if request.no_reply:
        return await ls.app.runner.prompt(params.sessionID, request)
    return await stream_run(ls, params.sessionID, params.workDoneToken, params.agent, params.model,
                            lambda: ls.app.runner.prompt(params.sessionID, request))


@method(m.SESSION_ABORT, p.SessionRef)
async def abort(ls, params: p.SessionRef):
    ls.app.sessions.get(params.sessionID)
    return await ls.app.runner.abort(params.sessionID)


@method(m.SESSION_STATUS, p.Empty)
def status(ls, params: p.Empty):
    return ls.app.runner.status()

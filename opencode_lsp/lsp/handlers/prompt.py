"""Prompting: prompt, command, shell, abort, status. Each run streams on its progress token."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from lsprotocol import types

from ...core.errors import MessageAbortedError, MessageError, MessageOutputLengthError
from ...core.message import AssistantMessage, MessageWithParts, TextPart
from ...core.run_plan import RunPlan
from ...core.user_input import PromptInput
from .. import methods as m
from .. import params as p
from ..host import ServerHost
from ..progress import RunProgress, label, run_with_progress
from ..rpc import method

log = logging.getLogger(__name__)


def _error_text(error: MessageError) -> str:
    # MessageOutputLengthError's data is a bare object; every other error's data has a message.
    return "" if isinstance(error, MessageOutputLengthError) else error.data.message


def _failure(result: MessageWithParts) -> MessageError | None:
    info = result.info
    return info.error if isinstance(info, AssistantMessage) else None


def end_message(result: MessageWithParts) -> str:
    # protocol.md: the end report's message is the finish reason, or the error.
    error = _failure(result)
    if error is not None:
        return f"{error.name}: {_error_text(error)}".strip().rstrip(":")
    info = result.info
    return (info.finish if isinstance(info, AssistantMessage) else None) or "stop"


def answer_text(result: MessageWithParts) -> str:
    return "\n".join(p.text for p in result.parts if isinstance(p, TextPart) and not p.synthetic).strip()


def tell_plain_client(ls: ServerHost, result: MessageWithParts) -> None:
    """A client without events sees the answer, the failure as an Error, or that it stopped, in a message."""
    if ls.wants_events:
        return
    error = _failure(result)
    text = answer_text(result)
    if isinstance(error, MessageAbortedError):
        # The client asked for it (opencode.abort, $/cancelRequest): not a failure to report in red.
        stopped = f"opencode stopped: {text}" if text else "opencode stopped"
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=_clip(stopped)))
        return
    if error is not None:
        ls.window_show_message(types.ShowMessageParams(
            type=types.MessageType.Error,
            message=f"opencode failed: {error.name}: {_error_text(error)}".rstrip(": ")))
        return
    ls.window_show_message(types.ShowMessageParams(
        type=types.MessageType.Info, message=_clip(f"opencode: {text or end_message(result)}")))


def _clip(message: str, limit: int = 2000) -> str:
    return message if len(message) <= limit else message[:limit] + "…"


async def stream_run(ls: ServerHost, session_id: str, token: Any, plan: RunPlan,
                     start: Callable[[], Awaitable[MessageWithParts]]) -> MessageWithParts:
    """Run ``start()`` (which runs with ``plan``) with progress naming the plan's agent and model."""
    return await run_with_progress(ls, session_id, token, label(plan), start, end_message)


async def start_run(ls: ServerHost, session_id: str, request: PromptInput) -> dict[str, Any]:
    """For executeCommand: answer as soon as the run has started (a plain client's request times
    out long before a run ends); the run streams on progress and ends with a message."""
    plan = await ls.app.runner.plan(session_id, request)
    progress = RunProgress(ls, session_id, None, label(plan))
    await progress.__aenter__()
    try:
        user, _, run = await ls.app.runner.submit(session_id, request, plan=plan)
    except BaseException:
        await progress.finish("Cancelled")
        raise
    assert run is not None  # only a no-reply prompt starts no run

    async def follow() -> None:
        try:
            await asyncio.shield(run.done)
            result = ls.app.runner.answer_to(session_id, user.id)
            await progress.finish(end_message(result))
            tell_plain_client(ls, result)
        except Exception:  # the answer is stored; only telling the editor failed
            log.exception("could not report the end of a run")

    task = asyncio.ensure_future(follow())
    ls.app.runner.background.add(task)
    task.add_done_callback(ls.app.runner.background.discard)
    return {"sessionID": session_id, "messageID": user.id, "workDoneToken": progress.token if progress.enabled else None}


@method(m.SESSION_PROMPT, p.SessionPrompt)
async def prompt(ls: ServerHost, params: p.SessionPrompt):
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
    plan = await ls.app.runner.plan(params.sessionID, request)
    return await stream_run(ls, params.sessionID, params.workDoneToken, plan,
                            lambda: ls.app.runner.prompt(params.sessionID, request, plan=plan))


@method(m.SESSION_ABORT, p.SessionRef)
async def abort(ls: ServerHost, params: p.SessionRef):
    ls.app.sessions.get(params.sessionID)
    return await ls.app.runner.abort(params.sessionID)


@method(m.SESSION_STATUS, p.Empty)
def status(ls: ServerHost, params: p.Empty):
    return ls.app.runner.status()

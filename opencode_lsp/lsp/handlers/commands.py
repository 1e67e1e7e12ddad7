"""Custom slash commands, the user's own shell commands, and the editor-neutral entry points
(``workspace/executeCommand`` and the "Ask opencode to fix" code action)."""

from __future__ import annotations

import functools
from typing import Any

from cattrs import Converter
from lsprotocol import converters, types

from ...core.errors import InvalidInputError, NotFoundError
from ...core.user_input import PromptInput
from .. import methods as m
from .. import params as p
from ..host import ServerHost
from ..rpc import command, feature, method
from .prompt import start_run, stream_run


@method(m.SESSION_COMMAND, p.SessionCommand)
async def session_command(ls: ServerHost, params: p.SessionCommand):
    from ...core.command import CommandRegistry

    ls.app.sessions.get(params.sessionID)
    info = CommandRegistry(ls.app.opencode_config(), ls.app.root).get(params.command)
    if info is None:
        raise NotFoundError(f"command not found: {params.command}")
    text = info.render(params.arguments)
    agent = params.agent or info.agent
    model = params.model.model_dump() if params.model else (info.model_ref.model_dump() if info.model_ref else None)
    if info.subtask:
        parts = [{"type": "subtask", "prompt": text, "description": info.description or info.name,
                  "agent": agent or "general"}]
        agent = None
    else:
        parts = [{"type": "text", "text": text}]
    request = PromptInput(parts=parts, agent=agent, model=model)
    plan = await ls.app.runner.plan(params.sessionID, request)
    return await stream_run(ls, params.sessionID, params.workDoneToken, plan,
                            lambda: ls.app.runner.prompt(params.sessionID, request, plan=plan))


@method(m.SESSION_SHELL, p.SessionShell)
async def session_shell(ls: ServerHost, params: p.SessionShell):
    ls.app.sessions.get(params.sessionID)
    plan = ls.app.runner.shell_plan(params.sessionID, params.agent)
    return await stream_run(ls, params.sessionID, params.workDoneToken, plan,
                            lambda: ls.app.runner.shell(params.sessionID, params.command, plan=plan))


# --- workspace/executeCommand ---------------------------------------------------------------


def _arg(args: list[Any], index: int) -> Any:
    return args[index] if len(args) > index else None


@command(m.CMD_SESSION_NEW)
async def cmd_session_new(ls: ServerHost, args: list[Any]):
    title = _arg(args or [], 0)
    return ls.app.sessions.create(title=title if isinstance(title, str) else None).dump()


@command(m.CMD_SESSION_LIST)
async def cmd_session_list(ls: ServerHost, args: list[Any]):
    return [s.dump() for s in ls.app.sessions.list(roots=True)]


@command(m.CMD_ABORT)
async def cmd_abort(ls: ServerHost, args: list[Any]):
    session_id = _arg(args or [], 0)
    if not isinstance(session_id, str):
        raise InvalidInputError("arguments.0: expected a session id", "arguments.0")
    return await ls.app.runner.abort(session_id)


@command(m.CMD_PROMPT)
async def cmd_prompt(ls: ServerHost, args: list[Any]):
    """``[sessionID?, text]``: a new root session when no id is given."""
    args = list(args or [])
    text = args[-1] if args else None
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError("arguments: expected [sessionID?, text]", "arguments")
    if len(args) > 1 and isinstance(args[0], str):
        session_id = ls.app.sessions.get(args[0]).id
    else:
        session_id = ls.app.sessions.create().id
    request = PromptInput(parts=[{"type": "text", "text": text}])
    return await start_run(ls, session_id, request)


@command(m.CMD_FIX)
async def cmd_fix(ls: ServerHost, args: list[Any]):
    """Started from the code action: ``[{uri, range, diagnostics}]``."""
    payload = _arg(args or [], 0) or {}
    if not isinstance(payload, dict) or "uri" not in payload:
        raise InvalidInputError("arguments.0: expected {uri, range, diagnostics}", "arguments.0")
    session_id = ls.app.sessions.create(title="Fix diagnostics").id
    request = PromptInput(parts=fix_prompt_parts(payload))
    return await start_run(ls, session_id, request)


def fix_prompt_parts(payload: dict[str, Any]) -> list[dict[str, Any]]:
    rng = payload.get("range") or {}
    start = (rng.get("start") or {}).get("line", 0)
    end = (rng.get("end") or {}).get("line", start)
    problems = "\n".join(
        f"- line {d.get('range', {}).get('start', {}).get('line', 0) + 1}: {d.get('message', '')}"
        + (f" ({d.get('source')})" if d.get("source") else "")
        for d in payload.get("diagnostics") or []
    )
    context_start, context_end = max(start - 10, 0) + 1, end + 11
    ask = (f"Fix these problems reported by the editor:\n{problems}" if problems else
           f"Look at lines {start + 1}-{end + 1} of this file and fix what is wrong there; say what you changed.")
    return [
        {"type": "text", "text": ask},
        {"type": "file", "url": f"{payload['uri']}?start={context_start}&end={context_end}", "mime": "text/plain"},
    ]


@functools.cache
def _converter() -> Converter:
    """lsprotocol's converter, as the server's (built once, on the first code action)."""
    return converters.get_converter()


@feature(types.TEXT_DOCUMENT_CODE_ACTION,
         types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
def code_action(ls: ServerHost, params: types.CodeActionParams):
    # Offered on any range: Neovim's and eglot's requests never carry another server's
    # diagnostics, so the action must not depend on them; when some came, they go along.
    if ls.app_if_ready is None:
        return None
    diagnostics = list(params.context.diagnostics or [])
    payload = {
        "uri": params.text_document.uri,
        "range": _converter().unstructure(params.range),
        "diagnostics": [_converter().unstructure(d) for d in diagnostics],
    }
    title = "Ask opencode to fix" if diagnostics else "Ask opencode about this code"
    return [types.CodeAction(
        title=title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=diagnostics or None,
        command=types.Command(title=title, command=m.CMD_FIX, arguments=[payload]),
    )]

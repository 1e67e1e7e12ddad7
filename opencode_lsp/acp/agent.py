"""The ACP agent: sessions, prompts and cancellation over the same core as the language server.

One ``App`` per workspace folder (the session's ``cwd``), built exactly as the LSP server builds
its own, so both see the same TinyDB store, config, agents and remembered approvals.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acp import RequestError
from acp.schema import (
    AgentCapabilities,
    AuthMethodAgent,
    ForkSessionResponse,
    Implementation,
    InitializeResponse,
    ListSessionsResponse,
    LoadSessionResponse,
    McpCapabilities,
    NewSessionResponse,
    PromptCapabilities,
    PromptResponse,
    ResumeSessionResponse,
    SessionCapabilities,
    SessionForkCapabilities,
    SessionInfo,
    SessionListCapabilities,
    SessionResumeCapabilities,
    SetSessionConfigOptionResponse,
    SetSessionModeResponse,
    StopReason,
)

from .. import __version__
from ..core.errors import BusyError, InvalidInputError, NotFoundError
from ..core.user_input import PromptInput
from . import commands, options, updates
from .auth import auth_required, missing_key_variables
from .mcp import ClientMcpServer, add_client_servers
from .stream import Pump
from .workspace import AcpWorkspace, ClientFiles, current_session

if TYPE_CHECKING:  # imported where an app is built (it loads the core)
    from ..app import App
    from ..core.message import Session

log = logging.getLogger(__name__)

PAGE = 50  # sessions per session/list page


@dataclass
class AcpSession:
    id: str
    app: App
    mode: str | None = None
    model: str | None = None
    cancelled: bool = False


def _not_found(session_id: str) -> RequestError:
    return RequestError(-32002, f"session not found: {session_id}", {"sessionId": session_id})


def _iso(ms: int | None) -> str | None:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat() if ms else None


class OpencodeAgent:
    def __init__(self) -> None:
        self.conn: Any = None
        self.files = ClientFiles()
        self.apps: dict[Path, App] = {}
        self.sessions: dict[str, AcpSession] = {}
        self.pump = Pump(lambda: self.conn)

    def on_connect(self, conn: Any) -> None:
        self.conn = conn
        self.files.conn = conn

    async def ext_method(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        raise RequestError.method_not_found(f"_{method}")  # no extension methods

    async def ext_notification(self, method: str, params: dict[str, Any]) -> None:
        return None  # extension notifications are ignored

    # --- workspaces -------------------------------------------------------------------------

    def app_for(self, cwd: object) -> App:
        """The app for the client's ``cwd``, which is checked here whatever its declared type."""
        if not isinstance(cwd, str) or not os.path.isabs(cwd):
            raise RequestError.invalid_params({"cwd": "must be an absolute path"})
        root = Path(cwd).resolve()
        if not root.is_dir():
            raise RequestError.invalid_params({"cwd": f"not a directory: {cwd}"})
        app = self.apps.get(root)
        if app is None:
            from ..app import App

            app = App.create(root, {}, workspace=AcpWorkspace(root, self.files))
            app.bus.subscribe(self.pump.on_event)
            app.warm_up()
            self.apps[root] = app
        return app

    def session(self, session_id: str) -> AcpSession:
        state = self.sessions.get(session_id)
        if state is None:
            raise _not_found(session_id)
        return state

    def _open(self, session_id: str, app: App) -> AcpSession:
        state = self.sessions.get(session_id)
        if state is None or state.app is not app:
            state = AcpSession(session_id, app)
            self.sessions[session_id] = state
        self.pump.watch(session_id, app.root, app.permissions, app.sessions.get(session_id).title)
        self.pump.start()
        # After the answer that names the session, as the client can only then place it.
        asyncio.get_running_loop().call_soon(self._announce_commands, session_id, app)
        return state

    def _announce_commands(self, session_id: str, app: App) -> None:
        try:
            self.pump.send(session_id, commands.announcement(app))
        except Exception:  # a broken command file must not break the session
            log.exception("could not list the commands")

    def _switches(self, state: AcpSession) -> tuple[Any, list[Any]]:
        mode = options.current_mode(state.app, state.id, state.mode)
        model = options.current_model(state.app, state.id, mode, state.model)
        return options.modes(state.app, mode), options.config_options(state.app, mode, model)

    # --- initialize -------------------------------------------------------------------------

    async def initialize(self, protocol_version: int, client_capabilities: Any = None, client_info: Any = None,
                         **kwargs: Any) -> InitializeResponse:
        fs = getattr(client_capabilities, "fs", None)
        self.files.can_read = bool(getattr(fs, "read_text_file", False))
        self.files.can_write = bool(getattr(fs, "write_text_file", False))
        return InitializeResponse(
            protocol_version=min(protocol_version, 1),
            agent_capabilities=AgentCapabilities(
                load_session=True,
                prompt_capabilities=PromptCapabilities(image=True, embedded_context=True, audio=False),
                # Client MCP servers join opencode.json's (stdio always; http, and sse via its fallback).
                mcp_capabilities=McpCapabilities(http=True, sse=True),
                session_capabilities=SessionCapabilities(
                    list=SessionListCapabilities(), fork=SessionForkCapabilities(),
                    resume=SessionResumeCapabilities()),
            ),
            auth_methods=[AuthMethodAgent(
                id="env", name="Provider API key",
                description="Set the provider's API key variable (for example ANTHROPIC_API_KEY) in the "
                            "environment the editor starts opencode-lsp with, or in opencode.json.")],
            agent_info=Implementation(name="opencode-lsp", title="OpenCode (opencode-lsp)", version=__version__),
        )

    async def authenticate(self, method_id: str, **kwargs: Any) -> None:
        # Keys come from the environment or opencode.json; the next prompt checks them again.
        return None

    # --- sessions ---------------------------------------------------------------------------

    async def new_session(self, cwd: str, additional_directories: list[str] | None = None,
                          mcp_servers: list[ClientMcpServer] | None = None, **kwargs: Any) -> NewSessionResponse:
        app = self.app_for(cwd)
        await add_client_servers(app, mcp_servers)
        info = app.sessions.create(directory=str(app.root))
        state = self._open(info.id, app)
        modes, config = self._switches(state)
        return NewSessionResponse(session_id=info.id, modes=modes, config_options=config)

    def _existing(self, cwd: str, session_id: str) -> tuple[App, Session]:
        app = self.app_for(cwd)
        try:
            return app, app.sessions.get(session_id)
        except NotFoundError:
            raise _not_found(session_id) from None

    async def load_session(self, cwd: str, session_id: str, mcp_servers: list[ClientMcpServer] | None = None,
                           additional_directories: list[str] | None = None, **kwargs: Any) -> LoadSessionResponse:
        app, _info = self._existing(cwd, session_id)
        await add_client_servers(app, mcp_servers)
        state = self._open(session_id, app)
        for entry in app.sessions.messages(session_id):
            for update in updates.replay(entry, app.root):
                self.pump.send(session_id, update)
        todos = app.sessions.todos(session_id)
        if todos:
            self.pump.send(session_id, updates.plan(todos))
        await self.pump.drain()
        modes, config = self._switches(state)
        return LoadSessionResponse(modes=modes, config_options=config)

    async def resume_session(self, session_id: str, cwd: str, additional_directories: list[str] | None = None,
                             mcp_servers: list[ClientMcpServer] | None = None, **kwargs: Any) -> ResumeSessionResponse:
        app, _info = self._existing(cwd, session_id)
        await add_client_servers(app, mcp_servers)
        modes, config = self._switches(self._open(session_id, app))
        return ResumeSessionResponse(modes=modes, config_options=config)

    async def fork_session(self, session_id: str, cwd: str, additional_directories: list[str] | None = None,
                           mcp_servers: list[ClientMcpServer] | None = None, **kwargs: Any) -> ForkSessionResponse:
        app, _info = self._existing(cwd, session_id)
        await add_client_servers(app, mcp_servers)
        forked = app.sessions.fork(session_id)
        modes, config = self._switches(self._open(forked.id, app))
        return ForkSessionResponse(session_id=forked.id, modes=modes, config_options=config)

    async def list_sessions(self, cwd: str | None = None, cursor: str | None = None,
                            **kwargs: Any) -> ListSessionsResponse:
        app = self.app_for(cwd or os.getcwd())
        try:
            start = int(cursor) if cursor else 0
        except ValueError:
            raise RequestError.invalid_params({"cursor": "not a cursor this agent gave out"}) from None
        found = app.sessions.list(roots=True, limit=start + PAGE + 1)
        page = found[start:start + PAGE]
        return ListSessionsResponse(
            sessions=[SessionInfo(session_id=s.id, cwd=s.directory, title=s.title, updated_at=_iso(s.time.updated))
                      for s in page],
            next_cursor=str(start + PAGE) if len(found) > start + PAGE else None,
        )

    async def close_session(self, session_id: str, **kwargs: Any) -> None:
        state = self.session(session_id)
        await state.app.runner.abort(session_id)
        self.pump.forget(session_id)
        self.sessions.pop(session_id, None)

    async def set_session_mode(self, session_id: str, mode_id: str, **kwargs: Any) -> SetSessionModeResponse:
        state = self.session(session_id)
        options.check_mode(state.app, mode_id)
        state.mode = mode_id
        state.app.sessions.update(session_id, agent=mode_id)
        return SetSessionModeResponse()

    async def set_config_option(self, config_id: str, session_id: str, value: Any,
                                **kwargs: Any) -> SetSessionConfigOptionResponse:
        state = self.session(session_id)
        if config_id == options.MODE_OPTION:
            await self.set_session_mode(session_id, str(value))
        elif config_id == options.MODEL_OPTION:
            state.model = options.check_model(state.app, value)
        else:
            raise RequestError.invalid_params({"configId": f"unknown option {config_id!r}"})
        _modes, config = self._switches(state)
        return SetSessionConfigOptionResponse(config_options=config)

    # --- prompting --------------------------------------------------------------------------

    async def prompt(self, session_id: str, prompt: list[Any], **kwargs: Any) -> PromptResponse:
        state = self.session(session_id)
        app = state.app
        parts = options.prompt_parts(prompt)
        mode = options.current_mode(app, session_id, state.mode)
        model = self._model_for(state, mode)
        await app.models_ready()
        missing = await asyncio.to_thread(missing_key_variables, app, model["providerID"], model["modelID"])
        if missing:
            raise auth_required(model["providerID"], missing)
        state.cancelled = False
        request = PromptInput(parts=parts, agent=mode, model=model)
        slash = commands.parse(parts)
        if slash is not None:
            expanded = commands.command_request(app, slash[0], slash[1], mode, model)
            if expanded is not None:
                request = expanded
            elif slash[0] == commands.COMPACT:
                return await self._compact(state, model)
        token = current_session.set(session_id)
        try:
            result = await app.runner.prompt(session_id, request)
        except InvalidInputError as exc:
            raise RequestError.invalid_params({getattr(exc, "field", None) or "prompt": str(exc)}) from None
        except BusyError as exc:
            raise RequestError(-31002, str(exc)) from None
        finally:
            current_session.reset(token)
        await self.pump.drain()
        return PromptResponse(stop_reason=self._stop_reason(state, result, mode))

    async def _compact(self, state: AcpSession, model: dict[str, str]) -> PromptResponse:
        try:
            await state.app.compaction.summarize(state.id, model)
        except BusyError as exc:
            raise RequestError(-31002, str(exc)) from None
        except InvalidInputError as exc:
            raise RequestError.invalid_params({getattr(exc, "field", None) or "prompt": str(exc)}) from None
        await self.pump.drain()
        return PromptResponse(stop_reason="cancelled" if state.cancelled else "end_turn")

    def _model_for(self, state: AcpSession, mode: str) -> dict[str, str]:
        try:
            ref = state.app.runner.resolve_model(state.id, None, mode)
        except InvalidInputError as exc:
            raise RequestError.invalid_params({"model": str(exc)}) from None
        chosen = state.model or f"{ref.providerID}/{ref.modelID}"
        provider, _, model_id = chosen.partition("/")
        return {"providerID": provider, "modelID": model_id}

    def _stop_reason(self, state: AcpSession, result: Any, mode: str) -> StopReason:
        info = result.info
        error = getattr(info, "error", None)
        if state.cancelled or (error is not None and error.name == "MessageAbortedError"):
            return "cancelled"
        if error is not None:
            if error.name == "MessageOutputLengthError":
                return "max_tokens"
            message = getattr(error.data, "message", "") or ""
            if error.name == "ProviderAuthError":
                provider = getattr(error.data, "providerID", "") or getattr(info, "providerID", "")
                raise auth_required(provider, missing_key_variables(state.app, provider, info.modelID))
            raise RequestError(-32603, f"{error.name}: {message}".strip(), {"error": error.dump()})
        finish = getattr(info, "finish", None)
        if finish == "length":
            return "max_tokens"
        if finish == "content-filter":
            return "refusal"
        agent = state.app.agents.get(mode)
        steps = getattr(agent, "steps", None)
        if steps and steps > 1:
            # The loop was cut when the step limit was reached while the model still wanted tools.
            answered = [e["info"] for e in state.app.sessions.messages(state.id)
                        if e["info"]["role"] == "assistant" and e["info"].get("parentID") == info.parentID]
            if len(answered) >= steps and answered[-2].get("finish") == "tool-calls":
                return "max_turn_requests"
        return "end_turn"

    async def cancel(self, session_id: str, **kwargs: Any) -> None:
        state = self.sessions.get(session_id)
        if state is None:
            return
        state.cancelled = True
        await state.app.runner.abort(session_id)

    async def shutdown(self) -> None:
        await self.pump.stop()
        for app in self.apps.values():
            try:
                await app.shutdown()
            except Exception:
                log.exception("shutting down %s failed", app.root)

"""The server as the LSP layer's helpers see it (rpc, progress, permission_ui, client_log,
editor_workspace, the handlers): ``server.OpencodeServer`` is the one implementation. Typing
against this Protocol keeps those modules from importing server.py, which imports them.

``app.py`` imports nothing of the LSP layer (the server hands it the editor workspace), so this
module may name ``App`` itself: handlers are checked against the real services."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Callable, Protocol, TypeVar

from lsprotocol import types
from pygls.progress import Progress
from pygls.workspace import Workspace

if TYPE_CHECKING:
    from ..app import App

F = TypeVar("F", bound=Callable[..., Any])


class ServerHost(Protocol):
    loop: asyncio.AbstractEventLoop | None
    progress_sessions: dict[str | int, str]  # work-done token -> session it streams
    client_gone: bool  # a send to the editor failed

    @property
    def app(self) -> App:
        """The workspace's services; raises the "server not initialized" JSON-RPC error before
        ``initialize`` built them."""
        ...

    @property
    def app_if_ready(self) -> App | None:
        """The services, or None before ``initialize`` (for hooks that may fire earlier)."""
        ...

    # From pygls' LanguageServer.
    @property
    def workspace(self) -> Workspace: ...

    @property
    def work_done_progress(self) -> Progress: ...

    @property
    def client_capabilities(self) -> types.ClientCapabilities: ...

    def feature(self, feature_name: str, options: Any | None = None) -> Callable[[F], F]: ...

    def command(self, command_name: str) -> Callable[[F], F]: ...

    def window_show_message(self, params: types.ShowMessageParams) -> None: ...

    async def window_show_message_request_async(
            self, params: types.ShowMessageRequestParams) -> types.MessageActionItem | None: ...

    async def workspace_apply_edit_async(
            self, params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult: ...

    # OpencodeServer's own.
    @property
    def wants_events(self) -> bool: ...

    def require_ready(self) -> App: ...

    def client_can_apply_edit(self) -> bool: ...

    def send_soon(self, method: str, params: Any) -> None: ...

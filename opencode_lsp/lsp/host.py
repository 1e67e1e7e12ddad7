"""The server as the LSP layer's helpers see it (rpc, progress, permission_ui, client_log,
editor_workspace): ``server.OpencodeServer`` is the one implementation. Typing against this
Protocol keeps those modules from importing server.py, which imports them."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Protocol


class ServerHost(Protocol):
    app: Any  # opencode_lsp.app.App, built at initialize
    loop: asyncio.AbstractEventLoop | None
    progress_sessions: dict[Any, str]  # work-done token -> session it streams
    client_gone: bool  # a send to the editor failed

    # From pygls' LanguageServer.
    @property
    def workspace(self) -> Any: ...

    @property
    def work_done_progress(self) -> Any: ...

    @property
    def client_capabilities(self) -> Any: ...

    def feature(self, feature_name: str, options: Any = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]: ...

    def command(self, command_name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]: ...

    def window_show_message(self, params: Any) -> None: ...

    def window_show_message_request_async(self, params: Any) -> Any: ...

    def workspace_apply_edit_async(self, params: Any) -> Any: ...

    # OpencodeServer's own.
    @property
    def wants_events(self) -> bool: ...

    def require_ready(self) -> None: ...

    def client_can_apply_edit(self) -> bool: ...

    def send_soon(self, method: str, params: Any) -> None: ...

"""Streaming a run to the editor as work-done progress: begin, one report per event, end.

Each report carries a short human ``message`` for plain LSP clients and the bus ``event`` for
the plugins. Reports are sent as raw ``$/progress`` notifications because lsprotocol's
``WorkDoneProgressReport`` has no room for the ``event`` field.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from ..core.events import Event

if TYPE_CHECKING:
    from .server import OpencodeServer

log = logging.getLogger(__name__)


def describe(event: Event) -> str:
    """A short human status line for an event."""
    props = event.properties
    if event.type == "message.part.updated":
        part = props.get("part", {})
        kind = part.get("type")
        if kind == "text":
            return "writing"
        if kind == "reasoning":
            return "thinking"
        if kind == "tool":
            state = part.get("state", {})
            title = state.get("title") or part.get("tool")
            return f"{part.get('tool')}: {state.get('status')}" + (f" · {title}" if title != part.get("tool") else "")
        if kind == "step-finish":
            return f"step finished ({part.get('reason')})"
        if kind == "step-start":
            return "step started"
        return kind or "part"
    if event.type == "session.status":
        status = props.get("status", {})
        if status.get("type") == "retry":
            return f"retrying (attempt {status.get('attempt')}): {status.get('message', '')}"[:200]
        return str(status.get("type"))
    if event.type == "permission.asked":
        return f"waiting for permission: {props.get('permission')}"
    if event.type == "session.error":
        error = props.get("error") or {}
        return f"error: {error.get('name', '')}"
    return event.type


class RunProgress:
    """Work-done progress for one prompt request, fed from the bus for its session."""

    def __init__(self, ls: "OpencodeServer", session_id: str, token: Any, title_message: str):
        self.ls = ls
        self.session_id = session_id
        self.token = token
        self.title_message = title_message
        self.enabled = False
        self._unsubscribe: Any = None

    def _client_supports_progress(self) -> bool:
        caps = self.ls.client_capabilities
        return bool(caps and caps.window and caps.window.work_done_progress)

    async def __aenter__(self) -> "RunProgress":
        if self.token is None:
            if not self._client_supports_progress():
                return self
            self.token = f"opencode-{uuid.uuid4().hex}"
            try:
                await self.ls.work_done_progress.create_async(self.token)
            except Exception as exc:  # the client refused: run without progress
                log.info("work done progress refused: %s", exc)
                return self
        self.enabled = True
        self.ls.progress_sessions[self.token] = self.session_id
        self._send({"kind": "begin", "title": "opencode", "message": self.title_message, "cancellable": True})
        self._unsubscribe = self.ls.app.bus.subscribe(self._on_event)
        return self

    def _on_event(self, event: Event) -> None:
        if event.session_id != self.session_id:
            return
        self._send({"kind": "report", "message": describe(event), "event": event.dump()})

    def _send(self, value: dict[str, Any]) -> None:
        self.ls.send_soon("$/progress", {"token": self.token, "value": value})

    async def finish(self, message: str) -> None:
        if not self.enabled:
            return
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
        self._send({"kind": "end", "message": message})
        self.ls.progress_sessions.pop(self.token, None)
        self.enabled = False

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.finish("aborted" if exc_info[0] else "done")

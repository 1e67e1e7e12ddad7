"""Streaming a run to the editor as work-done progress: begin, one report per event, end.

Each report carries a short human ``message``; for a client that did not ask for events it also
carries the bus ``event`` (a client that asked gets each event once, on ``opencode/event``, and
progress only for the human line). Reports are sent as raw ``$/progress`` notifications because lsprotocol's
``WorkDoneProgressReport`` has no room for the ``event`` field.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Awaitable, Callable, TypeVar

from ..core.events import Event
from ..core.run_plan import RunPlan
from .host import ServerHost

log = logging.getLogger(__name__)

T = TypeVar("T")


TOOL_WORDS = {"edit": "Editing", "write": "Writing", "apply_patch": "Patching", "read": "Reading",
              "bash": "Running bash:", "glob": "Finding files", "grep": "Searching", "webfetch": "Fetching",
              "task": "Delegating:", "todowrite": "Updating the todo list", "skill": "Loading skill"}


def _short(text: Any, limit: int = 80) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(event: Event) -> str | None:
    """Human words for what the run is doing, or None when the event says nothing new to a person."""
    props = event.properties
    if event.type == "message.part.updated":
        part = props.get("part", {})
        kind = part.get("type")
        if kind == "text":
            return "Writing the answer…"
        if kind == "reasoning":
            return "Thinking…"
        if kind == "tool":
            tool = part.get("tool") or "tool"
            state = part.get("state", {})
            subject = state.get("title") or ""
            if not subject:
                args = state.get("input") or {}
                subject = args.get("description") or args.get("command") or args.get("filePath") or ""
                if isinstance(subject, str) and "/" in subject and tool != "bash":
                    subject = subject.rsplit("/", 1)[-1]
            words = TOOL_WORDS.get(tool, f"Using {tool}")
            line = _short(f"{words} {subject}".strip())
            if state.get("status") == "error":
                return _short(f"{line} failed: {state.get('error', '')}")
            return line
        if kind == "step-start":
            return "Thinking…"
        if kind == "retry":
            return "Retrying…"
        return None
    if event.type == "session.status":
        status = props.get("status", {})
        if status.get("type") == "retry":
            return _short(f"Retrying (attempt {status.get('attempt')}): {status.get('message', '')}", 200)
        return None
    if event.type == "permission.asked":
        patterns = ", ".join(props.get("patterns") or [])
        return _short(f"Waiting for your permission: {props.get('permission')} {patterns}".strip())
    if event.type == "session.error":
        error = props.get("error") or {}
        message = (error.get("data") or {}).get("message") or error.get("name", "")
        return _short(f"Failed: {message}", 200)
    if event.type == "session.compacted":
        return "Summarized the conversation"
    return None


class RunProgress:
    """Work-done progress for one prompt request, fed from the bus for its session."""

    def __init__(self, ls: ServerHost, session_id: str, token: str | int | None, title_message: str):
        self.ls = ls
        self.session_id = session_id
        self.token = token
        self.title_message = title_message
        self.enabled = False
        self._unsubscribe: Callable[[], None] | None = None
        self.last_words = "Working…"

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
        words = describe(event)
        if words is not None:
            self.last_words = words
        if self.ls.wants_events:
            # The client gets this event on opencode/event already: each event reaches it once.
            self._send({"kind": "report", "message": words or self.last_words})
        else:
            self._send({"kind": "report", "message": words or self.last_words, "event": event.dump()})

    def _send(self, value: dict[str, Any]) -> None:
        self.ls.send_soon("$/progress", {"token": self.token, "value": value})

    async def finish(self, message: str) -> None:
        if not self.enabled or self.token is None:  # (enabled implies a token)
            return
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
        self._send({"kind": "end", "message": message})
        self.ls.progress_sessions.pop(self.token, None)
        self.enabled = False

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.finish("aborted" if exc_info[0] else "done")


def label(plan: RunPlan, doing: str | None = None) -> str:
    """The ``begin`` report's message: ``<agent> · <provider/model>`` (protocol.md) from the
    plan the run uses; ``doing`` stands for the agent when the run is not the agent's (compaction)."""
    return f"{doing or plan.agent} · {plan.model}"  # ModelRef prints as provider/model


async def run_with_progress(ls: ServerHost, session_id: str, token: Any, title_message: str,
                            start: Callable[[], Awaitable[T]], ended: Callable[[T], str]) -> T:
    """The life of a run a request waits for: progress begins, the model library is loaded,
    ``start()`` runs and the end report says ``ended(result)``. Cancelling the request
    (``$/cancelRequest``) stops the run as ``opencode/session/abort`` does."""
    async with RunProgress(ls, session_id, token, title_message) as progress:
        try:
            await ls.app.models_ready()
            result = await start()
        except asyncio.CancelledError:
            await asyncio.shield(ls.app.runner.abort(session_id))
            await progress.finish("Cancelled")
            raise
        await progress.finish(ended(result))
        return result

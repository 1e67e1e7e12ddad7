"""One step of a run: model stream events -> parts, exactly where OpenCode puts them.

Deltas are folded into their text/reasoning part here and only published (``delta`` events);
the part is written once, when it ends. Tool parts go pending -> running -> completed/error and
are written at each of those boundaries. The step ends with a step-finish part carrying tokens and
cost, and the assistant message gets ``finish``, ``tokens`` and ``cost``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from .ids import new_id, now_ms
from .llm import (
    ChatRequest,
    Finish,
    LanguageModel,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolCallStart,
)
from .message import (
    AssistantMessage,
    PartIds,
    PartTime,
    ReasoningPart,
    StepFinishPart,
    StepStartPart,
    TextPart,
    ToolPart,
    ToolStateCompleted,
    ToolStateError,
    ToolStatePending,
    ToolStateRunning,
    ToolTimeEnd,
    ToolTimeStart,
)
from .session import SessionManager
from .store import is_record
from .usage import compute_usage

log = logging.getLogger(__name__)

# Live progress of a running tool: update(title, metadata).
ProgressUpdate = Callable[[str | None, dict[str, Any]], None]
# execute(part, args, update) -> (title, output, metadata, attachments); raises to mark the tool
# errored. ``update`` pushes live progress into that part (see ``update_running``).
ToolExecutor = Callable[[ToolPart, dict[str, Any], ProgressUpdate], Awaitable[Any]]


class ToolBlocked(Exception):
    """A tool error that must stop the loop (the user rejected a permission ask)."""


class StepHalted(ToolBlocked):
    """The user refused to let a repeating call go on (doom loop): as in OpenCode 1.18.33 the
    step ends there, the message takes the error and no step-finish is written."""


@dataclass
class StepResult:
    finish: str = "unknown"
    blocked: bool = False
    halted: Exception | None = None


async def run_tool_call(sessions: SessionManager, execute_tool: ToolExecutor, part: ToolPart,
                        args: dict[str, Any], result: StepResult | None = None) -> None:
    """Run one call whose part is stored as running; store its completed or error state. A
    blocking failure (a refused permission, a refused doom loop) is noted in ``result``."""
    start = part.state.time.start if isinstance(part.state, ToolStateRunning) else now_ms()
    try:
        title, output, metadata, attachments = await execute_tool(
            part, args, lambda title, metadata: update_running(sessions, part, title, metadata))
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # the tool failed: the model sees the error and may recover
        if result is not None and isinstance(exc, ToolBlocked):
            result.blocked = True
        if result is not None and isinstance(exc, StepHalted):
            result.halted = exc
        running_meta = part.state.metadata if isinstance(part.state, ToolStateRunning) else None
        part.state = ToolStateError(
            input=args, error=str(exc) or type(exc).__name__, metadata=running_meta,
            time=ToolTimeEnd(start=start, end=now_ms()),
        )
    else:
        part.state = ToolStateCompleted(
            input=args, output=output, title=title or "", metadata=metadata or {},
            time=ToolTimeEnd(start=start, end=now_ms()), attachments=attachments or None,
        )
    sessions.update_part(part)


def update_running(sessions: SessionManager, part: ToolPart, title: str | None, metadata: dict[str, Any]) -> None:
    """Live tool progress (e.g. bash output): published and written lazily, not fsynced."""
    if isinstance(part.state, ToolStateRunning):
        part.state.title = title or part.state.title
        part.state.metadata = metadata
        sessions.update_part(part, durable=False)


class StepProcessor:
    def __init__(
        self,
        sessions: SessionManager,
        message: AssistantMessage,
        model: LanguageModel,
        execute_tool: ToolExecutor,
        snapshot: str | None = None,
        track: Callable[[], Awaitable[str | None]] | None = None,
    ):
        self.sessions = sessions
        self.message = message
        self.model = model
        # The workspace snapshot the step starts from (on step-start) and how to take the one it
        # ends with (on step-finish), as OpenCode 1.18.33 records them.
        self.snapshot = snapshot
        self.track = track
        self.execute_tool = execute_tool
        self.text: TextPart | None = None
        self.reasoning: ReasoningPart | None = None
        # The open parts as JSON, updated in place per delta instead of dumped again each time.
        self._text_data: dict[str, Any] = {}
        self._reasoning_data: dict[str, Any] = {}
        self.tools: dict[int, ToolPart] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.result = StepResult()

    def _part_ids(self) -> PartIds:
        return {"id": new_id("prt"), "sessionID": self.message.sessionID, "messageID": self.message.id}

    async def run(self, request: ChatRequest) -> StepResult:
        """Stream one completion. ModelError and CancelledError propagate to the caller."""
        # Every part the client hears about is on disk first (a crash keeps what was announced);
        # only deltas and live tool output are held back.
        # The step starts when the provider's stream does (as the AI SDK's start-step): a request
        # refused before streaming (HTTP 4xx/5xx, then retried) leaves no step-start behind.
        started = False
        try:
            async for event in self.model.stream(request):
                if not started:
                    started = True
                    self.sessions.update_part(StepStartPart(**self._part_ids(), snapshot=self.snapshot))
                if isinstance(event, TextDelta):
                    self._on_text(event.text)
                elif isinstance(event, ReasoningDelta):
                    self._on_reasoning(event.text)
                elif isinstance(event, ToolCallStart):
                    self._close_text()
                    self._on_tool_start(event.index, event.id, event.name)
                # ToolCallDelta (argument fragments) needs nothing here: the provider folds them
                # into the ToolCall it sends once the call is complete.
                elif isinstance(event, ToolCall):
                    self._on_tool_call(event)
                elif isinstance(event, Finish):
                    self._close_text()
                    self._close_reasoning()
                    if self.tasks:
                        await asyncio.gather(*self.tasks)
                    if self.result.halted is None:
                        self._on_finish(event, await self.track() if self.track is not None else None)
                    else:
                        self._abort_siblings()
        finally:
            # Parts left open by an error or cancel are still written with what they have.
            self._close_text()
            self._close_reasoning()
        return self.result

    # --- text and reasoning ---------------------------------------------------------------

    def _on_text(self, delta: str) -> None:
        if self.text is None:
            self._close_reasoning()
            self.text = TextPart(**self._part_ids(), text="", time=PartTime(start=now_ms()))
            self.sessions.update_part(self.text)
            self._text_data = self.text.dump()
        self.text.text += delta
        # The event carries only the new text (clients append it): bytes linear in the answer.
        self.sessions.publish_delta({**self._text_data, "text": delta}, delta)

    def _close_text(self) -> None:
        if self.text is None:
            return
        part, self.text = self.text, None
        part.text = part.text.rstrip()
        part.time = PartTime(start=part.time.start if part.time else now_ms(), end=now_ms())
        self.sessions.update_part(part)

    def _on_reasoning(self, delta: str) -> None:
        if self.reasoning is None:
            self.reasoning = ReasoningPart(**self._part_ids(), text="", time=PartTime(start=now_ms()))
            self.sessions.update_part(self.reasoning)
            self._reasoning_data = self.reasoning.dump()
        self.reasoning.text += delta
        self.sessions.publish_delta({**self._reasoning_data, "text": delta}, delta)

    def _close_reasoning(self) -> None:
        if self.reasoning is None:
            return
        part, self.reasoning = self.reasoning, None
        part.text = part.text.rstrip()
        part.time = PartTime(start=part.time.start, end=now_ms())
        self.sessions.update_part(part)

    # --- tools ----------------------------------------------------------------------------

    def _on_tool_start(self, index: int, call_id: str, name: str) -> None:
        part = ToolPart(**self._part_ids(), callID=call_id, tool=name, state=ToolStatePending())
        self.tools[index] = part
        self.sessions.update_part(part)

    def _on_tool_call(self, call: ToolCall) -> None:
        part = self.tools.get(call.index)
        if part is None:
            self._close_text()
            self._on_tool_start(call.index, call.id, call.name)
            part = self.tools[call.index]
        try:
            parsed: object = json.loads(call.arguments) if call.arguments.strip() else {}
            if not is_record(parsed):
                raise ValueError("arguments must be a JSON object")
            args = parsed
        except ValueError as exc:
            # Malformed arguments go to the `invalid` tool so the model reads why and retries.
            args = {"tool": call.name, "error": f"The arguments of {call.name!r} are not valid JSON: {exc}"}
            part.tool = "invalid"
        part.state = ToolStateRunning(input=args, time=ToolTimeStart(start=now_ms()))
        self.sessions.update_part(part)
        self.tasks.append(asyncio.ensure_future(self._execute(part, args)))

    async def _execute(self, part: ToolPart, args: dict[str, Any]) -> None:
        await run_tool_call(self.sessions, self.execute_tool, part, args, self.result)

    # --- finish ---------------------------------------------------------------------------

    def _on_finish(self, event: Finish, snapshot: str | None = None) -> None:
        tokens, cost = compute_usage(self.model.info.cost, event.usage)
        self.result.finish = event.reason
        self.sessions.update_part(StepFinishPart(**self._part_ids(), reason=event.reason, snapshot=snapshot,
                                                 cost=cost or 0, tokens=tokens))
        msg = self.message
        msg.finish = event.reason
        msg.cost += cost or 0
        msg.tokens = tokens
        self.sessions.update_message(msg)

    def _abort_siblings(self) -> None:
        """A halted step (doom loop refused) ends with the stream in OpenCode 1.18.33: results of
        the step's other calls never reach the message, so every call of it ends as an error."""
        for part in self.tools.values():
            if isinstance(part.state, ToolStateCompleted):
                part.state = ToolStateError(input=part.state.input, error="Tool execution aborted",
                                            metadata={"interrupted": True},
                                            time=ToolTimeEnd(start=part.state.time.start, end=now_ms()))
                self.sessions.update_part(part)

    def interrupt(self, error_text: str = "Tool execution aborted") -> None:
        """Mark every unfinished tool of this step as interrupted (abort or failure)."""
        for part in self.tools.values():
            if isinstance(part.state, (ToolStatePending, ToolStateRunning)):
                start = part.state.time.start if isinstance(part.state, ToolStateRunning) else now_ms()
                meta = dict(part.state.metadata or {}) if isinstance(part.state, ToolStateRunning) else {}
                meta["interrupted"] = True
                part.state = ToolStateError(
                    input=part.state.input, error=error_text, metadata=meta,
                    time=ToolTimeEnd(start=start, end=now_ms()),
                )
                self.sessions.update_part(part)

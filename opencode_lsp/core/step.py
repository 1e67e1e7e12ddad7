"""The body of the session loop: pick up the latest user turn, run steps until the model stops.

Handles retries of retryable model errors (2 s, 4 s, 8 s ... capped at 30 s, or the server's
``retry-after``), the step cap with a final no-more-tools instruction, queued user messages, the
structured-output tool, and turning errors and aborts into OpenCode's message errors.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from . import events
from .agent import AgentInfo
from .errors import (
    APIError,
    APIErrorData,
    ContextOverflowData,
    ContextOverflowError,
    MessageError,
    MessageOutputLengthError,
    ProviderAuthData,
    ProviderAuthError,
    StructuredOutputData,
    StructuredOutputError,
    aborted,
    unknown,
)
from .compaction import new_request
from .compaction_rules import filter_compacted, is_overflow
from .ids import new_id, now_ms
from .llm import ChatRequest, LanguageModel, ModelError
from .message import (
    AssistantMessage,
    AssistantPath,
    AssistantTime,
    MessageWithParts,
    SubtaskPart,
    UserMessage,
)
from .processor import StepProcessor, StepResult, ToolExecutor
from .run_state import Run, RunHost
from .system import MAX_STEPS_NOTE, QUEUED_REMINDER, STRUCTURED_OUTPUT_NOTE, build_system
from .tool_exec import ToolBox
from .tools.external import sources_ready
from .reminders import add_reminders
from .store import sub_record
from .transcript import to_model_messages

log = logging.getLogger(__name__)

RETRY_INITIAL_MS = 2000
RETRY_MAX_MS = 30000
MAX_RETRIES = 8
def retry_delay_ms(attempt: int, error: ModelError) -> int:
    if error.retry_after_ms is not None:
        return max(0, error.retry_after_ms)
    return min(RETRY_INITIAL_MS * 2 ** (attempt - 1), RETRY_MAX_MS)


def message_error(error: Exception) -> MessageError:
    if not isinstance(error, ModelError):
        return unknown(str(error) or type(error).__name__)
    if error.kind == "auth":
        return ProviderAuthError(data=ProviderAuthData(providerID=error.provider_id or "", message=error.message))
    if error.kind == "context_overflow":
        return ContextOverflowError(data=ContextOverflowData(message=error.message, responseBody=error.body))
    if error.kind == "output_length":
        return MessageOutputLengthError()
    return api_error(error)


def api_error(error: ModelError) -> APIError:
    return APIError(data=APIErrorData(
        message=error.message, statusCode=error.status_code, isRetryable=error.retryable,
        responseHeaders=error.headers, responseBody=error.body,
    ))


def _last_completed(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest assistant message that finished (raw info record)."""
    for entry in reversed(entries):
        info = entry["info"]
        if info["role"] == "assistant" and sub_record(info, "time").get("completed"):
            return info
    return None


class StepRunner:
    def __init__(self, runner: RunHost, run: Run):
        self.runner = runner
        self.run = run
        self.app = runner.app
        self.sessions = runner.sessions
        self.session_id = run.session_id
        self.current: AssistantMessage | None = None
        self.processor: StepProcessor | None = None

    def _begin_message(self, user: UserMessage, agent: AgentInfo) -> AssistantMessage:
        """A new assistant message answering ``user``, stored and made the current one."""
        message = AssistantMessage(
            id=new_id("msg"), sessionID=self.session_id, time=AssistantTime(created=now_ms()),
            parentID=user.id, modelID=user.model.modelID, providerID=user.model.providerID,
            mode=agent.name, agent=agent.name,
            path=AssistantPath(cwd=str(self.app.root), root=str(self.app.root)),
        )
        self.current = message
        self.sessions.update_message(message)
        return message

    # --- the loop -------------------------------------------------------------------------

    async def loop(self) -> None:
        step = 0
        handled_user: str | None = None
        while True:
            # Raw records: validating a long session's every message each step costs more than
            # the step (270 ms at 2,000 messages); only the turn being answered is typed.
            entries = self.sessions.stored_messages(self.session_id)
            user_record = next((e for e in reversed(entries) if e["info"]["role"] == "user"), None)
            if user_record is None:
                return
            last_user = MessageWithParts.model_validate(user_record)
            last_done = _last_completed(entries)
            if last_done is not None and last_user.info.id < last_done["id"] and (
                    last_done.get("finish") not in (None, "tool-calls", "unknown")
                    or last_done.get("error") is not None):
                return
            # Compaction: answer a pending request, or start one when the last step overflowed.
            history = await self.app.compaction.before_step(self, entries, last_user)
            if history == "stop":
                return
            if history == "continue":
                continue
            step += 1
            subtask = next((p for p in last_user.parts if isinstance(p, SubtaskPart)), None)
            if subtask is not None and handled_user != last_user.info.id:
                handled_user = last_user.info.id
                await self._run_subtask(last_user, subtask)
                continue
            outcome = await self._step(entries, last_user, step)
            if outcome == "stop":
                return

    async def _step(self, entries: list[dict[str, Any]], user: MessageWithParts, step: int) -> str:
        info = user.info
        assert isinstance(info, UserMessage)
        agent = self.run.agents.get(info.agent) or self.run.agents.default_agent()
        model = self.app.provider.get(info.model.providerID, info.model.modelID)
        max_steps = agent.steps or 0
        last_step = bool(max_steps) and step >= max_steps
        # Outside tool servers (MCP) still starting get their start-up timeout before the step.
        await sources_ready(self.app.tool_sources)
        message = self._begin_message(info, agent)
        toolbox = ToolBox(self, agent, message, info)
        chat = self._chat_messages(entries, model.info.ref, step, agent.name)
        system = build_system(agent.prompt, self.app.root, model.info.ref,
                              self.app.config.instructions, info.system)
        if info.format and info.format.get("type") == "json_schema":
            system = [*system, STRUCTURED_OUTPUT_NOTE]
        if last_step:
            # As OpenCode 1.18.33: the note is the model's own last word and tools stay offered.
            chat.append({"role": "assistant", "content": MAX_STEPS_NOTE})
        tools = toolbox.specs(structured=info.format)
        request = ChatRequest(
            model=model.info,
            messages=[{"role": "system", "content": "\n\n".join(system)}, *chat],
            tools=tools,
            # The AI SDK OpenCode uses sends "auto" whenever tools are offered and none is forced.
            tool_choice=("required" if info.format else "auto" if tools else None),
            max_tokens=min(model.info.limit.output or 32000, 32000),
            temperature=agent.temperature,
            top_p=agent.top_p,
        )
        before = await self.app.summaries.before_step()  # snapshot, for the step's patch part
        try:
            result = await self.process_with_retries(message, model, request, toolbox.execute, before)
        finally:
            await asyncio.shield(self.app.summaries.after_step(message, before))
        if result is None:
            if (message.error is not None and message.error.name == "ContextOverflowError"
                    and self.app.compaction.request_after_overflow(self.session_id, info)):
                return "continue"
            return "stop"
        if result.halted is not None:
            self._fail(message, result.halted)
            return "stop"
        message.time.completed = now_ms()
        if toolbox.structured is not None:
            message.structured = toolbox.structured
            message.finish = message.finish or "stop"
            self.sessions.update_message(message)
            return "stop"
        if info.format and result.finish != "tool-calls":
            message.error = StructuredOutputError(data=StructuredOutputData(
                message="The model did not produce the requested structured output.", retries=0))
        self.sessions.update_message(message)
        if message.error is not None or result.blocked:
            return "stop"
        if self._overflowed(message, model.info.limit, info):
            return "continue"
        return "continue" if result.finish == "tool-calls" else "stop"

    def _overflowed(self, message: AssistantMessage, limit: Any, user: UserMessage) -> bool:
        """A step whose usage leaves no room for the next starts an automatic compaction at once,
        in this same run (OpenCode 1.18.33): summary, a synthetic "continue", then a new answer."""
        if message.summary or not is_overflow(message.tokens, limit, self.app.compaction.config):
            return False
        new_request(self.sessions, self.session_id, user.agent, user.model, auto=True,
                    overflow=not message.finish)
        return True

    def _chat_messages(self, entries: list[dict[str, Any]], model_ref: str, step: int,
                       agent: str = "") -> list[dict[str, Any]]:
        chat = add_reminders(to_model_messages(filter_compacted(entries), model_ref), agent, entries)
        if step <= 1:
            return chat
        # Users who wrote while the loop ran: wrap their words so the model treats them as news.
        done = _last_completed(entries)
        last_done = done["id"] if done is not None else ""
        queued = [e for e in entries if e["info"]["role"] == "user" and e["info"]["id"] > last_done]
        texts = {p.get("text") for e in queued for p in e["parts"]
                 if p.get("type") == "text" and not p.get("synthetic") and not p.get("ignored")}
        if not queued or not texts:
            return chat

        def wrap(message: dict[str, Any]) -> dict[str, Any]:
            content = message.get("content")
            if message["role"] != "user":
                return message
            if isinstance(content, str):
                return {**message, "content": QUEUED_REMINDER.format(text=content)} if content in texts else message
            items: list[dict[str, Any]] = content or []
            return {**message, "content": [
                {**c, "text": QUEUED_REMINDER.format(text=c["text"])}
                if c.get("type") == "text" and c.get("text") in texts else c for c in items]}

        return [wrap(m) for m in chat]

    # --- one completion with retries --------------------------------------------------------

    async def process_with_retries(self, message: AssistantMessage, model: LanguageModel, request: ChatRequest,
                                   execute_tool: ToolExecutor, before: str | None = None) -> StepResult | None:
        """One completion into ``message``, retried while the error is retryable; None when it
        failed for good (the error is then stored on the message)."""
        attempt = 0
        while True:
            processor = StepProcessor(self.sessions, message, model, execute_tool,
                                      snapshot=before, track=self.app.summaries.before_step)
            self.processor = processor
            try:
                return await processor.run(request)
            except ModelError as error:
                processor.interrupt("Tool execution aborted")
                attempt += 1
                if error.retryable and attempt <= MAX_RETRIES:
                    delay = retry_delay_ms(attempt, error)
                    # OpenCode 1.18.33 stores nothing for a retry; only the session status says so.
                    self.runner.set_status(self.session_id, {
                        "type": "retry", "attempt": attempt, "message": error.message, "next": now_ms() + delay,
                    })
                    await asyncio.sleep(delay / 1000)
                    self.runner.set_status(self.session_id, {"type": "busy"})
                    continue
                self._fail(message, error)
                return None

    def _fail(self, message: AssistantMessage, error: Exception) -> None:
        message.error = info = message_error(error)
        message.time.completed = now_ms()
        self.sessions.update_message(message)
        self.sessions.bus.publish(events.session_error(self.session_id, info.dump()))

    # --- subtasks -----------------------------------------------------------------------------

    async def _run_subtask(self, user: MessageWithParts, subtask: SubtaskPart) -> None:
        """A subtask part from the user runs the task tool directly, recorded as a tool part."""
        info = user.info
        assert isinstance(info, UserMessage)
        agent = self.run.agents.get(info.agent) or self.run.agents.default_agent()
        message = self._begin_message(info, agent)
        toolbox = ToolBox(self, agent, message, info)
        args = {"description": subtask.description, "prompt": subtask.prompt, "subagent_type": subtask.agent}
        await toolbox.run_direct("task", args)
        message.finish = "tool-calls"
        message.time.completed = now_ms()
        self.sessions.update_message(message)

    async def shell(self, user: UserMessage, command: str) -> None:
        """Record the user's own command as a bash tool call of an assistant message."""
        agent = self.run.agents.get(user.agent) or self.run.agents.default_agent()
        message = self._begin_message(user, agent)
        toolbox = ToolBox(self, agent, message, user, trusted=True)
        await toolbox.run_direct("bash", {"command": command, "description": "Run the user's command"})
        message.finish = "stop"
        message.time.completed = now_ms()
        self.sessions.update_message(message)

    # --- ending ---------------------------------------------------------------------------

    def mark_aborted(self) -> None:
        if self.processor is not None:
            self.processor.interrupt("Tool execution aborted")
        message = self.current
        if message is not None and message.time.completed is None:
            message.error = aborted()
            message.time.completed = now_ms()
            self.sessions.update_message(message)
            self.sessions.bus.publish(events.session_error(self.session_id, message.error.dump()))

    def mark_failed(self, exc: Exception) -> None:
        if self.processor is not None:
            self.processor.interrupt(f"Tool execution failed: {exc}")
        message = self.current
        if message is not None and message.time.completed is None:
            self._fail(message, exc)

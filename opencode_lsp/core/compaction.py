"""Long sessions: the compaction service, which acts on the rules in ``compaction_rules``.

``Compaction`` is the service the session loop calls before each step (``before_step``): it
answers pending requests (the summariser: the ``compaction`` agent asked for a summary of the
head, the tail kept verbatim), starts one when the last step overflowed, and prunes when
enabled. ``opencode/session/summarize`` asks for one directly (``summarize``).
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from . import events
from .config import CompactionConfig
from .host import CoreApp, Stepper
from .ids import new_id, now_ms
from .llm import ChatRequest
from .processor import ProgressUpdate
from .run_plan import RunPlan
from .message import (
    AssistantMessage,
    AssistantPath,
    AssistantTime,
    CompactionPart,
    MessageWithParts,
    ModelRef,
    TextPart,
    ToolPart,
    UserMessage,
    UserTime,
    parse_part,
)
from .compaction_rules import (
    filter_compacted,
    is_overflow,
    max_output_tokens,
    pending_request,
    prune_candidates,
    replay_turn,
    split_tail,
    tail_budget,
)
from .compaction_text import summary_request_text
from .transcript import field, info_of, is_user, parts_of, record_of

log = logging.getLogger(__name__)


# --- pruning ----------------------------------------------------------------------------------


def prune(sessions: Any, session_id: str, entries: list[Any] | None = None) -> int:
    """Mark old tool outputs compacted; returns how many parts were pruned."""
    records = entries if entries is not None else sessions.store.list_messages(session_id)
    stamp = now_ms()
    picked = prune_candidates(records)
    for part in picked:
        data = record_of(part)
        data = {**data, "state": {**data["state"], "time": {**data["state"]["time"], "compacted": stamp}}}
        sessions.update_part(parse_part(data))
    return len(picked)


# --- requests ---------------------------------------------------------------------------------


def new_request(sessions: Any, session_id: str, agent: str, model: ModelRef, *, auto: bool,
                overflow: bool = False) -> tuple[UserMessage, CompactionPart]:
    """Store a user message asking for a compaction (the loop answers it)."""
    user = UserMessage(id=new_id("msg"), sessionID=session_id, time=UserTime(created=now_ms()),
                       agent=agent, model=model)
    part = CompactionPart(id=new_id("prt"), sessionID=session_id, messageID=user.id, auto=auto,
                          overflow=overflow or None)
    sessions.update_message(user)
    sessions.update_part(part)
    return user, part


# --- the summariser ---------------------------------------------------------------------------

SUMMARY_TEMPLATE = """Write the summary now. It replaces everything above it: the work will go on from your summary and the last few messages, which are kept as they are. Write for an engineer who has to continue without seeing this conversation.

Use these headings, in this order, and keep every section even when it is short ("none" is a fine answer):

## Goal
What the user wants overall, in one or two sentences.

## Constraints
Requirements, preferences and limits the user stated (style, tools, things not to touch).

## Progress
### Done
Finished work: what changed, in which files, and how it was checked.
### In progress
What was being worked on when the conversation was cut, and how far it got.
### Blocked
Failures, open questions and anything waiting on the user.

## Key decisions
Choices made and the reason for each; approaches tried and dropped, so they are not retried.

## Next steps
The concrete actions still to take, in order.

## Critical context
Facts that are costly to find again: exact error messages, commands and their results, names of functions, types and settings, values the user gave.

## Relevant files
Paths of the files that matter, each with a few words on its role.

Be specific and brief. Record only what actually happened; do not invent progress. Do not call tools."""

UPDATE_NOTE = """The prior summary covers everything before the conversation. Produce one updated summary of both: keep its points that still hold, fold in what happened in the conversation (which wins where the two disagree), and drop what is finished or no longer true; anything you leave out is lost."""

CONTINUE_TEXT = """The conversation was summarised to free context. Carry on from the summary with the next steps if there are any; if it is not clear how to go on, stop and ask the user."""

SUMMARY_SYSTEM = "You condense coding sessions into summaries another engineer can continue from."


async def _no_tools(part: ToolPart, args: dict[str, Any], update: ProgressUpdate) -> NoReturn:
    """The summariser is offered no tools; a call the model makes anyway fails."""
    raise ValueError("no tools are available while the conversation is being summarised")


class Compaction:
    def __init__(self, app: CoreApp):
        self.app = app

    @property
    def config(self) -> CompactionConfig:
        return self.app.config.compaction

    async def before_step(self, stepper: Stepper, entries: list[Any], last_user: MessageWithParts) -> str:
        """``run`` the next step, ``continue`` the loop (the history changed) or ``stop`` it."""
        sessions, session_id = self.app.sessions, stepper.session_id
        part = pending_request(entries, last_user)
        if part is not None:
            return await self.process(stepper, entries, last_user, part)
        user = info_of(last_user)
        last_done = next((e for e in reversed(entries) if not is_user(e)
                          and field(field(info_of(e), "time"), "completed")), None)
        if last_done is not None and not field(info_of(last_done), "summary"):
            limit = self.app.provider.get(user.model.providerID, user.model.modelID).info.limit
            if is_overflow(field(info_of(last_done), "tokens"), limit, self.config):
                new_request(sessions, session_id, user.agent, user.model, auto=True)
                return "continue"
        if self.config.prune and prune(sessions, session_id, entries):
            return "continue"
        return "run"

    def request_after_overflow(self, session_id: str, user: UserMessage) -> bool:
        """The provider said the context was too long: compact, then replay the turn."""
        if self.config.auto is False:
            return False
        new_request(self.app.sessions, session_id, user.agent, user.model, auto=True, overflow=True)
        return True

    async def process(self, stepper: Stepper, entries: list[Any], request_entry: Any, part: Any) -> str:
        sessions, session_id = self.app.sessions, stepper.session_id
        request = info_of(request_entry)
        if field(part, "overflow"):
            replay, prior = replay_turn(entries, request.id)
        else:
            replay, prior = None, [e for e in entries if field(info_of(e), "id") < request.id]
        ref = self._model_ref(request)
        model = self.app.provider.get(ref.providerID, ref.modelID)
        view = filter_compacted(prior)
        cut = len(view) if replay is not None else split_tail(view, tail_budget(model.info.limit, self.config.reserved))
        head, tail = view[:cut], view[cut:]
        if tail:
            data = record_of(part)
            sessions.update_part(parse_part({**data, "tail_start_id": field(info_of(tail[0]), "id"),
                                             "tail_count": len(tail)}))
        message = AssistantMessage(
            id=new_id("msg"), sessionID=session_id, time=AssistantTime(created=now_ms()), parentID=request.id,
            modelID=ref.modelID, providerID=ref.providerID, mode="compaction", agent="compaction",
            path=AssistantPath(cwd=str(self.app.root), root=str(self.app.root)), summary=True,
        )
        sessions.update_message(message)
        stepper.current = message
        agent = self.app.agents.get("compaction")
        # As OpenCode 1.18.33: the conversation written out as text in one user message.
        chat = ChatRequest(
            model=model.info,
            messages=[{"role": "system", "content": (agent.prompt if agent else None) or SUMMARY_SYSTEM},
                      {"role": "user", "content": summary_request_text(head, SUMMARY_TEMPLATE, UPDATE_NOTE)}],
            max_tokens=max_output_tokens(model.info.limit),
        )
        self._set_compacting(session_id, now_ms())
        try:
            result = await stepper.process_with_retries(message, model, chat, _no_tools)
        finally:
            self._set_compacting(session_id, None)
        if result is None:  # the failure is stored on the summary message
            return "stop"
        message.time.completed = now_ms()
        message.finish = message.finish or "stop"
        sessions.update_message(message)
        sessions.bus.publish(events.session_compacted(session_id))
        if not field(part, "auto"):
            return "stop"
        self._resume(session_id, request, replay)
        return "continue"

    def _model_ref(self, request: Any) -> ModelRef:
        agent = self.app.agents.get("compaction")
        configured = agent.model if agent else None
        if configured is not None and field(configured, "providerID") and field(configured, "modelID"):
            return ModelRef(providerID=field(configured, "providerID"), modelID=field(configured, "modelID"))
        return request.model

    def _resume(self, session_id: str, request: Any, replay: Any) -> None:
        """After an automatic compaction: replay the interrupted turn, or ask to carry on."""
        sessions = self.app.sessions
        source = info_of(replay) if replay is not None else request
        user = UserMessage(id=new_id("msg"), sessionID=session_id, time=UserTime(created=now_ms()),
                           agent=field(source, "agent"), model=field(source, "model"), system=field(source, "system"),
                           format=field(source, "format"), tools=field(source, "tools"))
        sessions.update_message(user)
        if replay is None:
            sessions.update_part(TextPart(id=new_id("prt"), sessionID=session_id, messageID=user.id,
                                          text=CONTINUE_TEXT, synthetic=True))
            return
        for old in parts_of(replay):
            if field(old, "type") == "compaction":
                continue
            data = record_of(old)
            sessions.update_part(parse_part({**data, "id": new_id("prt"), "messageID": user.id}))

    def _set_compacting(self, session_id: str, when: int | None) -> None:
        sessions = self.app.sessions
        if not sessions.exists(session_id):
            return
        info = sessions.get(session_id)
        sessions.update(session_id, time=info.time.model_copy(update={"compacting": when}))

    async def summarize(self, session_id: str, model: dict[str, str] | None = None, *,
                        plan: RunPlan | None = None) -> bool:
        """``opencode/session/summarize``: compact now (the session must be idle). ``plan``:
        the runner's ``resolve`` for ``model``, when the caller has shown it already."""
        from .errors import InvalidInputError

        runner, sessions = self.app.runner, self.app.sessions
        runner.ensure_idle(session_id)
        if not sessions.messages(session_id):
            raise InvalidInputError("the session has no messages to summarise", "sessionID")
        if plan is None:
            plan = runner.resolve(session_id, None, model)
        user, _ = new_request(sessions, session_id, plan.agent, plan.model, auto=False)
        await runner.run_existing(session_id)
        answer = next((e for e in sessions.messages(session_id)
                       if e["info"].get("parentID") == user.id and e["info"].get("summary")), None)
        return bool(answer and answer["info"].get("finish") and not answer["info"].get("error"))

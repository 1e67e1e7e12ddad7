"""The session loop: one runner per session.

``prompt`` stores the user message, then either starts the loop or, when the session is already
running, leaves the message for the running loop to pick up (OpenCode's behaviour) and waits for
that loop to end; it answers with the last assistant message made for its own user message.
``submit`` is the first half, for callers that answer once the run has started. Each step is one assistant message whose ``parentID`` is the user message it
answers; the loop goes on while the model asks for tools and stops on any other finish.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from . import events
from .agent import AgentRegistry
from .errors import BusyError, InvalidInputError, NotFoundError
from .host import CoreApp
from .message import MessageWithParts, ModelRef, SessionModel, UserMessage
from .run_plan import RunPlan
from .run_state import Run
from .session import SessionManager, is_default_title
from .step import StepRunner
from .title import generate_title
from .user_input import PromptInput, build_user_message

log = logging.getLogger(__name__)

# What a run does instead of the usual loop (a user's shell command).
StepBody = Callable[[StepRunner], Awaitable[None]]

SHELL_NOTE = "The user ran the following shell command themselves."


class SessionRunner:
    def __init__(self, app: CoreApp, runs: dict[str, Run]):
        self.app = app
        # The runs of this process by session. The composition root made this table and gave
        # it to the SessionManager too, whose reads close what a killed process left open in
        # any session not in it.
        self.runs = runs
        self.background: set[asyncio.Task[Any]] = set()

    @property
    def sessions(self) -> SessionManager:
        return self.app.sessions

    # --- status ---------------------------------------------------------------------------

    def status(self) -> dict[str, dict[str, Any]]:
        return {sid: dict(run.status) for sid, run in self.runs.items()}

    def is_busy(self, session_id: str) -> bool:
        return session_id in self.runs

    def set_status(self, session_id: str, status: dict[str, Any]) -> None:
        run = self.runs.get(session_id)
        if run is not None:
            run.status = status
        self.sessions.bus.publish(events.session_status(session_id, status))

    # --- model and agent resolution -------------------------------------------------------

    async def plan(self, session_id: str, request: PromptInput, agents: AgentRegistry | None = None) -> RunPlan:
        """What ``request`` will run with. Resolve once and hand the plan to ``prompt`` or
        ``submit``, so what a caller shows (the editor's progress label) is what runs. A pending
        revert is applied first: the messages it drops must not be resolved from."""
        await self._apply_pending_revert(session_id)
        return self.resolve(session_id, request.agent, request.model, agents)

    def shell_plan(self, session_id: str, agent: str | None = None) -> RunPlan:
        """What a user's shell command is recorded with: no model is needed to run a command, so
        with none configured the record names a placeholder."""
        try:
            return self.resolve(session_id, agent, None)
        except NotConfiguredError:
            return RunPlan(agent=self.resolve_agent(session_id, agent),
                           model=ModelRef(providerID="opencode", modelID="shell"), agents=self.app.agents)

    def resolve(self, session_id: str, agent: str | None, model: dict[str, str] | None,
                agents: AgentRegistry | None = None) -> RunPlan:
        """The agent (requested, else the session's, else the default) and the model for it
        (``resolve_model``), in ``agents`` (default: the workspace's current registry)."""
        registry = agents if agents is not None else self.app.agents
        name = self.resolve_agent(session_id, agent, registry)
        return RunPlan(agent=name, model=self.resolve_model(session_id, model, name, registry), agents=registry)

    def resolve_model(self, session_id: str, request_model: dict[str, str] | None, agent_name: str,
                      agents: AgentRegistry | None = None) -> ModelRef:
        """Request, then agent, then session, then last user message, then config default.
        ``agents``: the registry the run uses (default: the workspace's current one)."""
        if request_model:
            return ModelRef(**request_model)
        agent = (agents if agents is not None else self.app.agents).get(agent_name)
        if agent is not None and agent.model is not None:
            return ModelRef(providerID=agent.model.providerID, modelID=agent.model.modelID)
        info = self.sessions.get(session_id)
        if info.model is not None:
            return ModelRef(providerID=info.model.providerID, modelID=info.model.id)
        for entry in reversed(self.sessions.messages(session_id)):
            if entry["info"]["role"] == "user":
                return ModelRef.model_validate(entry["info"]["model"])
        if self.app.config.model:
            try:
                return ModelRef.parse(self.app.config.model)
            except ValueError as exc:  # say what is wrong with the configured name
                raise NotConfiguredError(f"The configured model is not usable: {exc}.") from None
        raise NotConfiguredError(
            "No model is configured. Set `model` (\"provider/model\") in the editor settings, "
            "initializationOptions, or opencode.json."
        )

    def resolve_agent(self, session_id: str, requested: str | None, agents: AgentRegistry | None = None) -> str:
        registry = agents if agents is not None else self.app.agents
        if requested:
            if registry.get(requested) is None:
                raise NotFoundError(f"agent not found: {requested}")
            return requested
        info = self.sessions.get(session_id)
        if info.agent and registry.get(info.agent) is not None:
            return info.agent
        return registry.default_agent().name

    # --- prompting ------------------------------------------------------------------------

    async def prompt(self, session_id: str, request: PromptInput, *,
                     agents: AgentRegistry | None = None, plan: RunPlan | None = None) -> MessageWithParts:
        """Store the user message, run (or join the running loop), answer with this prompt's own
        answer: the last assistant message made for it. ``agents``: the registry to resolve and
        run with (a subagent's: its caller's, as the caller's run started); default: the
        workspace's current one. ``plan``: what ``self.plan`` resolved for ``request``."""
        user, parts, run = await self.submit(session_id, request, agents=agents, plan=plan)
        if run is None:
            return MessageWithParts(info=user, parts=parts)
        await asyncio.shield(run.done)
        return self.answer_to(session_id, user.id)

    async def submit(self, session_id: str, request: PromptInput, *, agents: AgentRegistry | None = None,
                     plan: RunPlan | None = None) -> tuple[UserMessage, list[Any], "Run | None"]:
        """Store the user message and start the loop, or leave it to the running loop (which
        picks it up after its current step, as OpenCode does). Returns once the run has started."""
        if plan is None:
            plan = await self.plan(session_id, request, agents)
        else:  # a revert made since the plan was resolved
            await self._apply_pending_revert(session_id)
        registry, agent, model = plan.agents, plan.agent, plan.model
        user, parts = await build_user_message(
            session_id=session_id, parts=request.parts, agent=agent, model=model,
            workspace=self.app.workspace, system=request.system, format=request.format,
            message_id=request.message_id,
        )
        self.sessions.update_message(user)
        for part in parts:
            self.sessions.update_part(part)
        # The session records the agent and model it was last prompted with (OpenCode 1.18.33).
        self.sessions.update(session_id, agent=agent, model=SessionModel(
            id=model.modelID, providerID=model.providerID, variant=user.variant or "default"))
        if request.no_reply:
            return user, parts, None
        self._maybe_title(session_id, user, parts)
        # No await from here to the lookup: a loop that is ending either sees this message or
        # is gone from ``runs`` (see ``_loop``).
        run = self.runs.get(session_id)
        if run is None:
            run = self._start(session_id, agents=registry)
        return user, parts, run

    async def _apply_pending_revert(self, session_id: str) -> None:
        if self.sessions.get(session_id).revert is not None:
            await self.app.revert.cleanup(session_id)

    def answer_to(self, session_id: str, user_id: str) -> MessageWithParts:
        """The last assistant message answering ``user_id`` (else the session's last one)."""
        for entry in reversed(self.sessions.messages(session_id)):
            info = entry["info"]
            if info["role"] == "assistant" and info.get("parentID") == user_id:
                return MessageWithParts.model_validate(entry)
        return self.last_assistant(session_id)

    def _unanswered(self, session_id: str) -> str | None:
        """The newest user message when no assistant message came after it."""
        for entry in reversed(self.sessions.store.list_messages(session_id)):
            role = entry["info"]["role"]
            if role == "assistant":
                return None
            if role == "user":
                return entry["info"]["id"]
        return None

    async def run_existing(self, session_id: str) -> MessageWithParts:
        """Run the loop on what is stored (e.g. after a command or shell part was added)."""
        run = self.runs.get(session_id) or self._start(session_id)
        await asyncio.shield(run.done)
        return self.last_assistant(session_id)

    async def shell(self, session_id: str, command: str, agent: str | None = None, *,
                    plan: RunPlan | None = None) -> MessageWithParts:
        """The user's own shell command, run now and recorded as a bash tool part. ``plan``:
        what ``shell_plan`` resolved for ``agent``."""
        self.sessions.get(session_id)
        self.ensure_idle(session_id)
        if plan is None:
            plan = self.shell_plan(session_id, agent)
        user, parts = await build_user_message(
            session_id=session_id, agent=plan.agent, model=plan.model, workspace=self.app.workspace,
            parts=[{"type": "text", "text": SHELL_NOTE, "synthetic": True}],
        )
        self.sessions.update_message(user)
        for part in parts:
            self.sessions.update_part(part)
        run = self._start(session_id, lambda stepper: stepper.shell(user, command), agents=plan.agents)
        await asyncio.shield(run.done)
        return self.last_assistant(session_id)

    def _start(self, session_id: str, body: StepBody | None = None, *, agents: AgentRegistry | None = None) -> Run:
        store = self.sessions.store
        # A message a crashed process left open must not look like the run that starts now.
        if not store.run_active_elsewhere(session_id):
            self.sessions.close_interrupted(session_id)
        run = Run(session_id=session_id, agents=agents if agents is not None else self.app.agents)
        run.release = store.claim_run(session_id)
        self.runs[session_id] = run
        self.set_status(session_id, {"type": "busy"})
        run.task = asyncio.ensure_future(self._loop(run, body))
        return run

    async def _loop(self, run: Run, body: StepBody | None = None) -> None:
        stepper = StepRunner(self, run)
        try:
            await self.app.models_ready()  # the model library may still be importing (in a thread)
            await (body(stepper) if body else stepper.loop())
            # A prompt stored while the loop was ending (after its last look at the messages,
            # e.g. during the step's snapshot) is answered now; the check and the removal from
            # ``runs`` below happen with no await in between, so nothing slips through.
            tried: set[str] = set()
            while not run.abort.is_set() and (waiting := self._unanswered(run.session_id)) not in (None, *tried):
                tried.add(waiting)
                stepper = StepRunner(self, run)
                await stepper.loop()
        except asyncio.CancelledError:
            stepper.mark_aborted()
        except Exception as exc:  # a bug in a step must not leave the session busy forever
            log.exception("session loop failed")
            stepper.mark_failed(exc)
        finally:
            self.runs.pop(run.session_id, None)
            try:
                self.sessions.store.flush()
            except Exception:  # e.g. the disk filled up: still end the run and answer the client
                log.exception("could not flush the store after a run")
            run.release()
            self.set_status(run.session_id, {"type": "idle"})
            self.sessions.bus.publish(events.Event(type="session.idle", properties={"sessionID": run.session_id}))
            if not run.done.done():
                run.done.set_result(None)

    def last_assistant(self, session_id: str) -> MessageWithParts:
        for entry in reversed(self.sessions.messages(session_id)):
            if entry["info"]["role"] == "assistant":
                return MessageWithParts.model_validate(entry)
        entries = self.sessions.messages(session_id)
        if not entries:
            raise NotFoundError(f"session has no messages: {session_id}")
        return MessageWithParts.model_validate(entries[-1])

    # --- abort ----------------------------------------------------------------------------

    async def abort(self, session_id: str) -> bool:
        run = self.runs.get(session_id)
        if run is None:
            return False
        run.abort.set()
        self.app.permissions.cancel_session(session_id)
        if run.task is not None and not run.task.done():
            run.task.cancel()
        await asyncio.shield(run.done)
        return True

    async def abort_tree(self, session_id: str) -> None:
        for child in self.sessions.children(session_id) if self.sessions.exists(session_id) else []:
            await self.abort_tree(child.id)
        await self.abort(session_id)

    async def abort_all(self) -> None:
        for session_id in list(self.runs):
            await self.abort(session_id)
        for task in list(self.background):
            task.cancel()

    def ensure_idle(self, session_id: str) -> None:
        if session_id in self.runs:
            raise BusyError(f"session is busy: {session_id}")

    # --- titles ---------------------------------------------------------------------------

    def _maybe_title(self, session_id: str, user: UserMessage, parts: list[Any]) -> None:
        info = self.sessions.get(session_id)
        if info.parentID or not is_default_title(info.title):
            return
        real_users = [e for e in self.sessions.messages(session_id) if e["info"]["role"] == "user"
                      and any(p.get("type") == "text" and not p.get("synthetic") for p in e["parts"])]
        if len(real_users) != 1:
            return
        async def title() -> None:
            await self.app.models_ready()  # importing the model library on the loop would freeze it
            await generate_title(self.app, session_id, user, parts)

        task = asyncio.ensure_future(title())
        self.background.add(task)
        task.add_done_callback(self.background.discard)


class NotConfiguredError(InvalidInputError):
    """No model could be resolved for a prompt (reported to the client as invalid params)."""

    def __init__(self, message: str):
        super().__init__(message, "model")


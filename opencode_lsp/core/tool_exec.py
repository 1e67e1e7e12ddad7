"""The tools offered in one step and how a call runs: permissions, doom-loop guard, services.

Tools denied outright by the rules (a ``*`` deny) are not offered at all. Every ``ask`` goes to
the permission broker with the merged ruleset: defaults and the agent's rules, then the config's
``permission``, then the session's own rules.
"""

from __future__ import annotations

from typing import Any

from .agent import AgentInfo
from .ids import new_id, now_ms
from .llm import ToolSpec
from .message import AssistantMessage, TextPart, ToolPart, ToolStateRunning, ToolTimeStart, UserMessage
from .processor import ProgressUpdate, StepHalted, ToolBlocked, run_tool_call
from .run_state import RunStep
from .tools.base import DescribedTool, SubagentResult, ToolContext, ToolError, ToolServices

STRUCTURED_TOOL = "StructuredOutput"
DOOM_LOOP_THRESHOLD = 3


def uses_apply_patch(model_id: str) -> bool:
    """GPT-5-class models edit through apply_patch; OpenCode 1.18.33 picks by the model id alone."""
    return "gpt-" in model_id and "oss" not in model_id and "gpt-4" not in model_id


def tools_hidden_for(model_id: str, agent: AgentInfo, *, subagent: bool) -> set[str]:
    """Tools a model is not offered in this session, whatever the permissions say."""
    hidden = {"edit", "write"} if uses_apply_patch(model_id) else {"apply_patch"}
    if subagent:
        # A subagent starts subagents only when its agent has task rules (general's todo list is
        # taken away by its own permission rule, which a user's rules can override).
        if not any(rule.permission == "task" for rule in agent.permission):
            hidden.add("task")
    return hidden


class ToolBox:
    def __init__(self, step: RunStep, agent: AgentInfo, message: AssistantMessage, user: UserMessage,
                 *, trusted: bool = False):
        from . import permission
        from .tools.external import external_tools
        from .tools.registry import builtin_tools

        self.step = step
        self.app = step.app
        self.agent = agent
        self.message = message
        self.user = user
        self.structured: Any = None
        # The user's own commands (session/shell) need no permission: the user asked for them.
        self.trusted = trusted
        session = self.app.sessions.get(message.sessionID)
        # The agent's rules already carry the defaults and the config's ``permission``.
        self.ruleset = [*agent.permission, *(session.permission or [])]
        tools = builtin_tools()
        tools.update(external_tools(self.app.tool_sources, tools))
        disabled = permission.disabled_tools(list(tools), self.ruleset)
        overrides = user.tools or {}
        hidden = tools_hidden_for(message.modelID, agent, subagent=bool(session.parentID))
        self.tools = {
            tid: tool for tid, tool in tools.items()
            if tid not in disabled and tid not in hidden and overrides.get(tid, True) and (tid != "invalid")
        }
        self.invalid = tools.get("invalid")

    def specs(self, structured: dict[str, Any] | None = None) -> list[ToolSpec]:
        services = self.services()
        specs: list[ToolSpec] = []
        for tid, tool in self.tools.items():
            description = tool.describe(services) if isinstance(tool, DescribedTool) else tool.description
            specs.append(ToolSpec(name=tid, description=description, parameters=tool.parameters))
        if structured:
            schema = structured.get("schema") if structured.get("type") == "json_schema" else None
            specs.append(ToolSpec(
                name=STRUCTURED_TOOL,
                description="Return your final answer by calling this tool with data matching its schema.",
                parameters=schema or {"type": "object"},
            ))
        return specs

    # --- services tools may use --------------------------------------------------------------

    def services(self) -> ToolServices:
        sessions = self.app.sessions
        sid = self.message.sessionID
        return ToolServices(
            set_todos=lambda todos: sessions.set_todos(sid, todos),
            run_subagent=self._run_subagent,
            subagents=[
                {"name": a.name, "description": a.description or ""}
                for a in self.step.run.agents.list() if a.mode in ("subagent", "all") and not a.hidden
            ],
            data_dir=str(self.app.data_dir),
            # Loopback and private hosts are refused by webfetch unless the config allows them.
            allow_private_network=bool((self.app.config.model_extra or {}).get("allowPrivateNetwork")),
            root=str(self.app.root),
        )

    async def _run_subagent(self, *, agent: str, prompt: str, description: str,
                            task_id: str | None = None, command: str | None = None) -> SubagentResult:
        from .user_input import PromptInput

        sessions = self.app.sessions
        if self.step.run.agents.get(agent) is None:
            raise ValueError(f"unknown subagent {agent!r}")
        child = None
        if task_id:
            # Only the caller's own subagents may be continued: another session would run with
            # its own (maybe looser) rules, and the caller itself would wait on its own run.
            caller = self.message.sessionID
            if task_id == caller:
                raise ToolError("task_id names this session itself; a task cannot continue its own caller.")
            child = sessions.get(task_id) if sessions.exists(task_id) else None
            if child is None or child.parentID != caller:
                raise ToolError(f"task_id {task_id!r} is not a subagent session started from this session; "
                                "leave task_id out to start a new subagent.")
        if child is None:
            child = sessions.create(parent_id=self.message.sessionID, title=f"{description} (@{agent} subagent)")
        # The child runs under the caller's rules as they were when the caller's run started.
        result = await self.app.runner.prompt(child.id, agents=self.step.run.agents, request=PromptInput(
            parts=[{"type": "text", "text": prompt}], agent=agent,
            model={"providerID": self.message.providerID, "modelID": self.message.modelID},
        ))
        # The subagent's last text part is its answer (OpenCode 1.18.33).
        texts = [p.text for p in result.parts if isinstance(p, TextPart)]
        return {"session_id": child.id, "text": texts[-1] if texts else ""}

    # --- running one call -----------------------------------------------------------------

    async def _ask(self, part: ToolPart, permission: str, patterns: list[str], always: list[str] | None = None,
                   metadata: dict[str, Any] | None = None) -> None:
        if self.trusted:
            return
        await self.app.permissions.ask(
            session_id=self.message.sessionID, permission=permission, patterns=list(patterns),
            always=list(always or []), metadata=metadata or {},
            tool={"messageID": self.message.id, "callID": part.callID}, ruleset=self.ruleset,
        )

    def _is_doom_loop(self, part: ToolPart, args: dict[str, Any]) -> bool:
        entry = self.app.sessions.store.get_message(self.message.sessionID, self.message.id)
        # Only calls made before this one count: parallel identical calls ask once, on the third.
        previous = [p for p in (entry or {}).get("parts", []) if p.get("type") == "tool" and p["id"] < part.id]
        recent = previous[-(DOOM_LOOP_THRESHOLD - 1):]
        return len(recent) == DOOM_LOOP_THRESHOLD - 1 and all(
            p["tool"] == part.tool and p["state"].get("input") == args for p in recent
        )

    async def execute(self, part: ToolPart, args: dict[str, Any],
                      update: ProgressUpdate | None = None) -> tuple[str, str, dict[str, Any], Any]:
        from .permission import PermissionDenied, PermissionRejected

        if part.tool == STRUCTURED_TOOL:
            self.structured = args
            return "Structured output", "The structured output was recorded.", {}, None
        tool = self.tools.get(part.tool)
        if tool is None and part.tool == "invalid" and self.invalid is not None:
            tool = self.invalid  # the processor routed a call with malformed arguments here
        if tool is None:
            if self.invalid is None:
                raise ValueError(f"unknown tool {part.tool!r}")
            # Stored and replayed as a call of `invalid` with {tool, error} (OpenCode 1.18.33):
            # the caller's dict is replaced in place so the finished part records this input.
            routed = {"tool": part.tool, "error": f"There is no tool named {part.tool!r}. "
                      f"The tools you can call are: {', '.join(sorted(self.tools))}."}
            args.clear()
            args.update(routed)
            part.tool, tool = "invalid", self.invalid

        async def ask(permission: str, patterns: list[str], *, always: list[str] | None = None,
                      metadata: dict[str, Any] | None = None) -> None:
            await self._ask(part, permission, patterns, always, metadata)

        try:
            if self._is_doom_loop(part, args):
                try:
                    await self._ask(part, "doom_loop", [part.tool], [part.tool], {"tool": part.tool, "input": args})
                except (PermissionRejected, PermissionDenied) as exc:  # the user or a rule said no
                    raise StepHalted(str(exc)) from exc
            ctx = ToolContext(
                session_id=self.message.sessionID, message_id=self.message.id, call_id=part.callID,
                agent=self.agent.name, workspace=self.app.workspace, abort=self.step.run.abort,
                ask=ask,
                update=update or (lambda title, metadata: None),
                services=self.services(),
            )
            result = await tool.execute(args, ctx)
        except PermissionRejected as exc:
            feedback = exc.feedback
            if not feedback:
                raise ToolBlocked(str(exc)) from exc
            # A refusal with a note corrects the agent instead of stopping it (as OpenCode does):
            # the call fails with the note and the model answers it in the same run.
            raise ToolCorrected(f"{exc}\nThe user said: {feedback}") from exc
        return result.title, result.output, result.metadata, _attachments(result.attachments, part)

    async def run_direct(self, tool_id: str, args: dict[str, Any]) -> None:
        """Run a tool without the model asking for it (subtask parts)."""
        part = ToolPart(id=new_id("prt"), sessionID=self.message.sessionID, messageID=self.message.id,
                        callID=f"call_{new_id('tool')[5:]}", tool=tool_id,
                        state=ToolStateRunning(input=args, time=ToolTimeStart(start=now_ms())))
        self.app.sessions.update_part(part)
        await run_tool_call(self.app.sessions, self.execute, part, args)


class ToolCorrected(Exception):
    """A rejected call with the user's note: an ordinary tool error, so the loop goes on."""


def _attachments(items: list[dict[str, Any]] | None, part: ToolPart) -> list[dict[str, Any]] | None:
    if not items:
        return None
    return [{**a, "id": new_id("prt"), "sessionID": part.sessionID, "messageID": part.messageID,
             "type": "file"} for a in items]


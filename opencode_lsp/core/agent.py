"""Agents: the built-in ones, custom ones from config and from markdown files.

An agent is a prompt, an optional model and sampling settings, and a permission ruleset. Every
ruleset is the defaults (``permission.default_ruleset``), then the agent's own rules, then the
user's top-level ``permission`` config, then the agent's ``permission`` config: later rules win,
so the user can loosen or tighten any agent.

Custom agents come from ``agent.<name>`` in the config and from ``.opencode/agent/*.md`` /
``.opencode/agents/*.md`` (front matter = config fields, body = prompt). Markdown is read after
the config, so a file's fields win. ``disable: true`` removes an agent, built-in or not.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping, cast

from pydantic import BaseModel, Field, ValidationError

from . import permission as perm
from .command import markdown_files, read_markdown_definition
from .errors import InvalidInputError
from .message import Model, ModelRef, PermissionRule

log = logging.getLogger(__name__)

AGENT_DIRS = (".opencode/agent", ".opencode/agents")
AgentMode = Literal["primary", "subagent", "all"]


class AgentInfo(Model):
    name: str
    description: str | None = None
    mode: AgentMode = "all"
    native: bool = False
    hidden: bool = False
    prompt: str | None = None
    model: ModelRef | None = None
    variant: str | None = None
    color: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    steps: int | None = Field(default=None, gt=0)
    permission: list[PermissionRule] = Field(default_factory=list[PermissionRule])
    options: dict[str, Any] = Field(default_factory=dict[str, Any])


# --- built-in prompts (our own words) -----------------------------------------------------

TITLE_PROMPT = """You name conversations. Read the user's message and reply with a short title for the conversation it starts.

Rules:
- One line, at most 100 characters; around 50 is best.
- Write the title in the same language the user wrote in.
- Name the topic or task, not the person: "Fix flaky login test", not "User wants help with a test".
- Keep file names, function names, libraries and error codes exactly as written.
- No quotation marks, no trailing period, no markdown, no preamble or explanation.
- Never answer or refuse the message itself; a greeting or a bare question still gets a title.

Reply with the title and nothing else."""

SUMMARY_PROMPT = """Summarise what happened in this conversation as a short note for someone reviewing the work later.

- Two to four sentences of plain text: no headings, lists or code blocks.
- Say what was asked, what was actually changed (files, behaviour), and what was left undone.
- Write in the language the user used.
- Do not address the user, ask questions, or call tools."""

COMPACTION_PROMPT = """You are condensing a coding session so it can continue in a fresh context window where your summary is the only record of what came before. Write it so that a capable engineer could pick the work up from it alone.

Cover, under short headings:
1. Goal: what the user asked for, including constraints and preferences they stated.
2. Done so far: changes made, files touched (with paths), commands run and what they showed.
3. Current state: what was in progress at the end, and what is broken or not yet verified.
4. Findings and decisions: facts learned about the code, choices made and why, dead ends not worth retrying.
5. Next steps: the concrete remaining actions, in order.

Be specific (names, paths, error messages) and brief. Record only what actually happened. Do not call tools; reply with the summary only."""

EXPLORE_PROMPT = """You are a fast, read-only search agent. Another agent asks you a question about this codebase; find the answer and report back.

How to work:
- Use glob to find files by name or path pattern, grep to search file contents, and read once you know which file matters.
- Start broad, then narrow down. Run independent searches in parallel.
- Match the thoroughness you were asked for (quick, medium or very thorough); without a hint, be reasonably thorough.
- Use bash only to inspect (ls, git log, git show and the like). Never create, modify or delete anything, and never run a command that would.

How to report:
- Answer the question directly and back every claim with absolute file paths and line numbers.
- Quote code only where it helps.
- Say plainly what you searched for and did not find.

Your final message is all the caller will see, so make it complete."""

DESCRIPTIONS = {
    "build": "The default agent: uses every tool, within the configured permissions.",
    "plan": "Planning mode: reads and analyses without editing files (except plans under .opencode/plans).",
    "general": "General-purpose subagent for researching questions and carrying out multi-step tasks; "
    "several can run in parallel.",
    "explore": "Fast read-only subagent for finding things in the codebase: files by pattern (e.g. "
    '"src/**/*.ts"), code by keyword (e.g. "retry policy"), or answers to "how does X work?". '
    "Say how thorough it should be: quick, medium or very thorough.",
}

# Search and fetch tools the explore agent keeps; everything else it is denied.
EXPLORE_TOOLS = ("grep", "glob", "list", "bash", "read", "webfetch", "websearch", "codesearch")
# Tools whose legacy ``tools: {name: false}`` switch means the shared ``edit`` permission.
_LEGACY_EDIT_SWITCHES = frozenset({"write", "edit", "patch", "multiedit", "apply_patch"})
_KNOWN_FIELDS = frozenset({
    "name", "model", "variant", "prompt", "description", "temperature", "top_p", "mode", "hidden",
    "color", "steps", "maxSteps", "options", "permission", "disable", "tools",
})


def _builtins(defaults: list[PermissionRule], user: list[PermissionRule],
              allowed_external: Iterable[str]) -> dict[str, AgentInfo]:
    def rules(overrides: Mapping[str, Any]) -> list[PermissionRule]:
        return [*defaults, *perm.from_config(overrides), *user]

    deny_all = {"*": "deny"}
    read_rules = {"*": "allow", "*.env": "ask", "*.env.*": "ask", "*.env.example": "allow"}
    explore = {
        "*": "deny",
        **{tool: "allow" for tool in EXPLORE_TOOLS},
        # Re-state the secret-file asks: the blanket allow above must not make .env readable.
        "read": read_rules,
        "external_directory": {"*": "ask", **{d: "allow" for d in allowed_external}},
    }
    plan = {"edit": {"*": "deny", ".opencode/plans/*.md": "allow"}}
    specs: list[dict[str, Any]] = [
        {"name": "build", "mode": "primary", "permission": rules({})},
        {"name": "plan", "mode": "primary", "permission": rules(plan)},
        {"name": "general", "mode": "subagent", "permission": rules({"todowrite": "deny"})},
        {"name": "explore", "mode": "subagent", "permission": rules(explore), "prompt": EXPLORE_PROMPT},
        {"name": "compaction", "mode": "primary", "hidden": True, "prompt": COMPACTION_PROMPT,
         "permission": rules(deny_all)},
        {"name": "title", "mode": "primary", "hidden": True, "prompt": TITLE_PROMPT, "temperature": 0.5,
         "permission": rules(deny_all)},
        {"name": "summary", "mode": "primary", "hidden": True, "prompt": SUMMARY_PROMPT,
         "permission": rules(deny_all)},
    ]
    return {
        spec["name"]: AgentInfo(native=True, description=DESCRIPTIONS.get(spec["name"]), **spec)
        for spec in specs
    }


def parse_model(value: Any) -> ModelRef | None:
    """``"provider/model"`` (the model part may contain more slashes) -> ModelRef."""
    if isinstance(value, Mapping):
        return ModelRef.model_validate(value)
    return ModelRef.parse(value)


def tools_to_permission(tools: Mapping[str, Any]) -> dict[str, str]:
    """OpenCode's legacy ``tools: {bash: false}`` switches as permission config."""
    out: dict[str, str] = {}
    for tool, enabled in tools.items():
        out["edit" if tool in _LEGACY_EDIT_SWITCHES else tool] = "allow" if enabled else "deny"
    return out


def _agent_permission_config(entry: Mapping[str, Any]) -> dict[str, Any]:
    config = tools_to_permission(entry.get("tools") or {})
    explicit = entry.get("permission")
    if isinstance(explicit, str):
        explicit = {"*": explicit}
    config.update(explicit or {})
    return config


def _apply(item: AgentInfo, entry: Mapping[str, Any]) -> AgentInfo:
    """One ``agent.<name>`` config entry laid over an agent (fields absent keep their value)."""
    data = item.model_dump()
    if entry.get("model") is not None:
        data["model"] = parse_model(entry["model"])
    steps = entry.get("steps", entry.get("maxSteps"))
    for key, value in (("steps", steps), *((k, entry.get(k)) for k in (
            "prompt", "description", "temperature", "top_p", "mode", "hidden", "color", "variant"))):
        if value is not None:
            data[key] = value
    unknown = {k: v for k, v in entry.items() if k not in _KNOWN_FIELDS}
    data["options"] = _deep_merge(data["options"], {**(entry.get("options") or {}), **unknown})
    data["permission"] = [*item.permission, *perm.from_config(_agent_permission_config(entry), strict=True)]
    return AgentInfo.model_validate(data)


def _mapping(value: object) -> Mapping[str, Any] | None:
    """``value`` when it is a config object (JSON: its keys are strings), else None."""
    return cast(Mapping[str, Any], value) if isinstance(value, Mapping) else None


def _deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        below, above = _mapping(merged.get(key)), _mapping(value)
        if below is not None and above is not None:
            merged[key] = _deep_merge(below, above)
        else:
            merged[key] = value
    return merged


class AgentRegistry:
    """The agents of one workspace, built once from the config and the agent files.

    ``allowed_external`` are directory globs outside the workspace every agent may touch
    without asking (e.g. the directory truncated tool output is written to)."""

    def __init__(self, config: Mapping[str, Any] | BaseModel | None, workspace_root: Path,
                 *, allowed_external: Iterable[str] = ()):
        if isinstance(config, BaseModel):
            config = config.model_dump(mode="json", exclude_none=True)
        config = dict(config or {})
        self.root = Path(workspace_root)
        allowed_external = list(allowed_external)
        # The config shape differs by caller: OpenCode's file shape has ``agent`` as the map of
        # agent configs and ``default_agent``; editor settings use ``agent`` for the default name.
        agent_field: object = config.get("agent")
        agent_map = _mapping(agent_field)
        entries: dict[str, Any] = dict(agent_map if agent_map is not None else _mapping(config.get("agents")) or {})
        self._default_name = config.get("default_agent") or (agent_field if isinstance(agent_field, str) else None)
        for name, mode_entry in (_mapping(config.get("mode")) or {}).items():  # legacy ``mode.<name>``
            mode_map = _mapping(mode_entry)
            if mode_map is not None:
                entries[name] = _deep_merge(_mapping(entries.get(name)) or {}, {**mode_map, "mode": "primary"})
        for name, path in markdown_files(self.root, AGENT_DIRS):
            fields = read_markdown_definition(path)
            if fields is not None:
                body = fields.pop("body")
                entries[name] = _deep_merge(_mapping(entries.get(name)) or {},
                                            {**fields, **({"prompt": body} if body else {})})

        user_config = tools_to_permission(config.get("tools") or {})
        top = config.get("permission")
        user_config.update({"*": top} if isinstance(top, str) else top or {})
        user = perm.from_config(user_config, strict=False)
        defaults = perm.default_ruleset(allowed_external)
        self._agents = _builtins(defaults, user, allowed_external)
        for name, value in entries.items():
            entry = _mapping(value)
            if entry is None:
                log.error("ignoring agent.%s: expected an object", name)
                continue
            if entry.get("disable"):
                self._agents.pop(name, None)
                continue
            base = self._agents.get(name) or AgentInfo(name=name, mode="all", permission=[*defaults, *user])
            try:
                self._agents[name] = _apply(base, entry)
            except (ValidationError, ValueError, InvalidInputError) as exc:
                # A built-in keeps its defaults; a new agent with bad settings is left out.
                log.error("ignoring invalid settings for agent %s: %s", name, exc)

    def get(self, name: str) -> AgentInfo | None:
        return self._agents.get(name)

    def list(self) -> list[AgentInfo]:
        """Every agent, the default one first, then by name."""
        try:
            default = self.default_agent().name
        except LookupError:
            default = ""
        return sorted(self._agents.values(), key=lambda a: (a.name != default, a.name))

    def default_agent(self) -> AgentInfo:
        """The configured default when it can lead a session, else ``build``, else the first
        visible primary agent. A misconfigured default is logged rather than raised, so a typo
        in the settings does not stop every prompt."""
        wanted = self._default_name
        if wanted:
            agent = self._agents.get(wanted)
            if agent is not None and _can_lead(agent):
                return agent
            log.warning("default agent %r is unknown, a subagent or hidden; using another", wanted)
        build = self._agents.get("build")
        if build is not None and _can_lead(build):
            return build
        for agent in sorted(self._agents.values(), key=lambda a: a.name):
            if _can_lead(agent):
                return agent
        raise LookupError("no visible primary agent is configured")


def _can_lead(agent: AgentInfo) -> bool:
    return agent.mode != "subagent" and not agent.hidden

"""Built-in agents, config overrides, markdown agents and the default agent."""

from __future__ import annotations

from pathlib import Path

import pytest

from opencode_lsp.core.agent import AgentInfo, AgentRegistry, parse_model
from opencode_lsp.core.config import Config
from opencode_lsp.core.message import ModelRef
from opencode_lsp.core.permission import disabled_tools, evaluate

ALL_TOOLS = ["bash", "edit", "write", "apply_patch", "read", "grep", "glob", "list", "webfetch",
             "task", "todowrite", "skill"]


def action(agent: AgentInfo, permission: str, pattern: str = "*") -> str:
    return evaluate(permission, pattern, agent.permission).action


def test_builtins(tmp_path: Path) -> None:
    registry = AgentRegistry({}, tmp_path)
    names = {a.name for a in registry.list()}
    assert names == {"build", "plan", "general", "explore", "compaction", "title", "summary"}
    for agent in registry.list():
        assert agent.native is True

    build = registry.get("build")
    assert build is not None and build.mode == "primary" and not build.hidden
    assert disabled_tools(ALL_TOOLS, build.permission) == set()
    assert action(build, "bash", "rm -rf /") == "allow"
    assert action(build, "read", "/w/.env") == "ask"
    assert action(build, "read", "/w/.env.example") == "allow"
    assert action(build, "external_directory", "/etc/*") == "ask"
    assert action(build, "doom_loop") == "ask"

    plan = registry.get("plan")
    assert plan is not None and plan.mode == "primary"
    assert action(plan, "edit", "src/main.py") == "deny"
    assert action(plan, "edit", ".opencode/plans/feature.md") == "allow"
    assert action(plan, "edit", ".opencode/plans/notes.txt") == "deny"
    assert action(plan, "bash", "ls") == "allow"

    general = registry.get("general")
    assert general is not None and general.mode == "subagent"
    assert disabled_tools(ALL_TOOLS, general.permission) == {"todowrite"}

    explore = registry.get("explore")
    assert explore is not None and explore.mode == "subagent" and explore.prompt
    offered = set(ALL_TOOLS) - disabled_tools(ALL_TOOLS, explore.permission)
    assert offered == {"bash", "read", "grep", "glob", "list", "webfetch"}
    assert action(explore, "read", "/w/.env") == "ask"  # secrets still ask

    for name in ("compaction", "title", "summary"):
        agent = registry.get(name)
        assert agent is not None and agent.hidden and agent.mode == "primary" and agent.prompt
        assert disabled_tools(ALL_TOOLS, agent.permission) == set(ALL_TOOLS)

    title = registry.get("title")
    assert title is not None and "100" in (title.prompt or "") and "language" in (title.prompt or "")
    assert registry.get("nope") is None


def test_list_puts_default_first_and_dumps(tmp_path: Path) -> None:
    registry = AgentRegistry({"default_agent": "plan"}, tmp_path)
    listed = registry.list()
    assert listed[0].name == "plan"
    assert [a.name for a in listed[1:]] == sorted(a.name for a in listed[1:])
    dumped = listed[0].dump()
    assert dumped["name"] == "plan" and dumped["mode"] == "primary" and dumped["native"] is True
    assert {"permission": "edit", "pattern": "*", "action": "deny"} in dumped["permission"]


def test_user_permission_applies_to_every_agent(tmp_path: Path) -> None:
    registry = AgentRegistry({"permission": {"bash": {"*": "ask", "git *": "allow"}, "webfetch": "deny"}}, tmp_path)
    for name in ("build", "plan", "general", "explore"):
        agent = registry.get(name)
        assert agent is not None
        assert action(agent, "bash", "git log") == "allow"
        assert action(agent, "bash", "make") == "ask"
        assert "webfetch" in disabled_tools(["webfetch"], agent.permission)


def test_config_overrides_builtin(tmp_path: Path) -> None:
    config = {"agent": {"build": {
        "model": "openrouter/anthropic/claude-sonnet", "temperature": 0.2, "top_p": 0.9, "steps": 12,
        "prompt": "Be terse.", "description": "mine", "permission": {"edit": "ask"}, "tools": {"bash": False},
        "reasoningEffort": "high",
    }}}
    build = AgentRegistry(config, tmp_path).get("build")
    assert build is not None
    assert build.model == ModelRef(providerID="openrouter", modelID="anthropic/claude-sonnet")
    assert (build.temperature, build.top_p, build.steps) == (0.2, 0.9, 12)
    assert build.prompt == "Be terse." and build.description == "mine" and build.native
    assert action(build, "edit", "a.py") == "ask"
    assert disabled_tools(["bash", "read"], build.permission) == {"bash"}
    assert build.options == {"reasoningEffort": "high"}  # unknown fields become options


def test_custom_agent_and_legacy_tools(tmp_path: Path) -> None:
    config = {"agent": {"reviewer": {"description": "reviews diffs", "mode": "subagent",
                                     "tools": {"write": False, "edit": False, "bash": True}}}}
    reviewer = AgentRegistry(config, tmp_path).get("reviewer")
    assert reviewer is not None and reviewer.mode == "subagent" and reviewer.native is False
    assert disabled_tools(["edit", "write", "apply_patch", "bash", "read"], reviewer.permission) == {
        "edit", "write", "apply_patch"}
    assert action(reviewer, "read", "/p/.env") == "ask"  # starts from the defaults


def test_disable_removes_agents(tmp_path: Path) -> None:
    registry = AgentRegistry({"agent": {"general": {"disable": True}, "x": {"disable": True}}}, tmp_path)
    assert registry.get("general") is None and registry.get("x") is None
    assert "general" not in {a.name for a in registry.list()}


def test_markdown_agents(tmp_path: Path) -> None:
    folder = tmp_path / ".opencode" / "agent"
    folder.mkdir(parents=True)
    (folder / "docs-writer.md").write_text(
        "---\n"
        "description: Writes documentation  # trailing comment\n"
        "mode: subagent\n"
        "model: anthropic/claude-haiku\n"
        "temperature: 0.3\n"
        "tools:\n"
        "  bash: false\n"
        "permission:\n"
        "  edit:\n"
        '    "*": deny\n'
        '    "docs/*": allow\n'
        "---\n\n"
        "You write clear documentation.\nKeep it short.\n",
        encoding="utf-8",
    )
    nested = tmp_path / ".opencode" / "agents" / "team"
    nested.mkdir(parents=True)
    (nested / "lead.md").write_text("Plain prompt without front matter.", encoding="utf-8")
    (folder / "broken.md").write_text("---\ndescription: never closed\n", encoding="utf-8")

    registry = AgentRegistry({"agent": {"docs-writer": {"description": "from config", "top_p": 0.5}}}, tmp_path)
    writer = registry.get("docs-writer")
    assert writer is not None
    assert writer.description == "Writes documentation"  # the file wins over config
    assert writer.top_p == 0.5  # config fields the file does not set survive
    assert writer.mode == "subagent" and writer.temperature == 0.3
    assert writer.model == ModelRef(providerID="anthropic", modelID="claude-haiku")
    assert writer.prompt == "You write clear documentation.\nKeep it short."
    assert action(writer, "edit", "docs/intro.md") == "allow"
    assert action(writer, "edit", "src/a.py") == "deny"
    assert disabled_tools(["bash"], writer.permission) == {"bash"}

    lead = registry.get("team/lead")
    assert lead is not None and lead.prompt == "Plain prompt without front matter." and lead.mode == "all"
    assert registry.get("broken") is None


def test_markdown_can_override_builtin(tmp_path: Path) -> None:
    folder = tmp_path / ".opencode" / "agent"
    folder.mkdir(parents=True)
    (folder / "plan.md").write_text("---\ntemperature: 0.1\n---\nPlan carefully.", encoding="utf-8")
    plan = AgentRegistry({}, tmp_path).get("plan")
    assert plan is not None and plan.prompt == "Plan carefully." and plan.temperature == 0.1
    assert action(plan, "edit", "src/x.py") == "deny"  # built-in rules kept


def test_invalid_agent_settings_are_skipped(tmp_path: Path) -> None:
    registry = AgentRegistry({"agent": {
        "build": {"mode": "boss"},
        "bad": {"model": "no-slash"},
        "worse": {"permission": {"bash": "sometimes"}},
        "good": {"description": "fine"},
    }}, tmp_path)
    build = registry.get("build")
    assert build is not None and build.mode == "primary"  # built-in kept as it was
    assert registry.get("bad") is None and registry.get("worse") is None
    assert registry.get("good") is not None


def test_default_agent(tmp_path: Path) -> None:
    assert AgentRegistry({}, tmp_path).default_agent().name == "build"
    assert AgentRegistry({"default_agent": "plan"}, tmp_path).default_agent().name == "plan"
    # Editor-settings shape: ``agent`` is the default's name.
    assert AgentRegistry({"agent": "plan"}, tmp_path).default_agent().name == "plan"
    # Subagents, hidden agents and unknown names cannot lead a session.
    for wanted in ("explore", "title", "missing"):
        assert AgentRegistry({"default_agent": wanted}, tmp_path).default_agent().name == "build"
    custom = {"default_agent": "mine", "agent": {"mine": {"description": "x"}}}
    assert AgentRegistry(custom, tmp_path).default_agent().name == "mine"  # mode "all" may lead
    no_build = {"agent": {"build": {"disable": True}}}
    assert AgentRegistry(no_build, tmp_path).default_agent().name == "plan"


def test_accepts_config_model_and_legacy_modes(tmp_path: Path) -> None:
    config = Config.model_validate({"agent": "plan", "agents": {"plan": {"temperature": 0.4}}})
    registry = AgentRegistry(config, tmp_path)
    plan = registry.get("plan")
    assert plan is not None and plan.temperature == 0.4
    assert registry.default_agent().name == "plan"
    legacy = AgentRegistry({"mode": {"review": {"prompt": "Review."}}}, tmp_path).get("review")
    assert legacy is not None and legacy.mode == "primary" and legacy.prompt == "Review."


def test_parse_model() -> None:
    assert parse_model("ollama/qwen2.5-coder") == ModelRef(providerID="ollama", modelID="qwen2.5-coder")
    with pytest.raises(ValueError):
        parse_model("gpt-4o")

import json
from pathlib import Path

import pytest

from opencode_lsp.core.tools.base import ToolError, ToolServices
from opencode_lsp.core.tools.invalid import tool as invalid
from opencode_lsp.core.permission import tool_permission
from opencode_lsp.core.tools.registry import builtin_tools
from opencode_lsp.core.tools.skill import tool as skill
from opencode_lsp.core.tools.task import tool as task
from opencode_lsp.core.tools.todo import tool as todowrite
from opencode_lsp.core.tools.truncate import truncate_output

SCHEMAS = json.loads(Path("/work/shared/reference/opencode-1.18.33-tool-schemas.json").read_text())["tools"]


def strip_descriptions(schema):
    if isinstance(schema, dict):
        return {k: strip_descriptions(v) for k, v in schema.items() if not (k == "description" and isinstance(v, str))}
    if isinstance(schema, list):
        return [strip_descriptions(v) for v in schema]
    return schema


def test_registry_covers_reference_tools_with_exact_schemas():
    tools = builtin_tools()
    assert set(SCHEMAS) <= set(tools)
    for tid, schema in SCHEMAS.items():
        assert strip_descriptions(tools[tid].parameters) == schema, tid
        assert tools[tid].id == tid and len(tools[tid].description) > 80
    assert tools["apply_patch"].parameters == {
        "type": "object", "properties": {"patchText": {"type": "string", "description": tools["apply_patch"].parameters["properties"]["patchText"]["description"]}},
        "required": ["patchText"]}
    assert "invalid" in tools


@pytest.mark.parametrize("tid,permission", [("edit", "edit"), ("write", "edit"), ("apply_patch", "edit"),
                                            ("bash", "bash"), ("read", "read"), ("webfetch", "webfetch")])
def test_tool_permission(tid, permission):
    assert tool_permission(tid) == permission


async def test_todowrite(ctx):
    stored = []
    ctx.services.set_todos = lambda todos: stored.append(todos) or [{**t, "id": f"t{i}"} for i, t in enumerate(todos)]
    todos = [{"content": "a", "status": "completed", "priority": "high"},
             {"content": "b", "status": "in_progress", "priority": "medium"},
             {"content": "c", "status": "pending", "priority": "low"}]
    result = await todowrite.execute({"todos": todos}, ctx)
    assert stored == [todos] and result.title == "2 todos"
    # The model reads every todo, completed ones too, without the ids the store adds.
    assert json.loads(result.output) == todos and result.output == json.dumps(todos, indent=2)
    assert result.metadata == {"todos": [{**t, "id": f"t{i}"} for i, t in enumerate(todos)]}
    with pytest.raises(ToolError, match="todos\\[0\\]"):
        await todowrite.execute({"todos": [{"content": "x"}]}, ctx)


async def test_task_runs_subagent_and_returns_task_id(ctx, rec):
    calls = []

    async def run_subagent(**kwargs):
        calls.append(kwargs)
        return {"session_id": "ses_child", "text": "found it in a.py:3"}

    ctx.services.run_subagent = run_subagent
    ctx.services.subagents = [{"name": "general", "description": "does things"},
                              {"name": "explore", "description": "searches"}]
    result = await task.execute({"description": "Find the bug", "prompt": "look", "subagent_type": "explore",
                                 "task_id": "ses_old"}, ctx)
    assert calls == [{"agent": "explore", "prompt": "look", "description": "Find the bug",
                      "task_id": "ses_old", "command": None}]
    # OpenCode 1.18.33's envelope: the child session's id (task_id continues it) and its state.
    assert result.output == ('<task id="ses_child" state="completed">\n<task_result>\n'
                             'found it in a.py:3\n</task_result>\n</task>')
    assert result.title == "Find the bug" and result.metadata == {"sessionId": "ses_child"}
    assert rec.of("task")[0]["patterns"] == ["explore"]
    with pytest.raises(ToolError, match="Unknown subagent_type 'nope'.*general, explore"):
        await task.execute({"description": "d", "prompt": "p", "subagent_type": "nope"}, ctx)
    described = task.describe(ctx.services)
    assert "- general: does things" in described and "- explore: searches" in described


def write_skill(base: Path, folder: str, name: str, description: str, body: str) -> None:
    (base / folder).mkdir(parents=True)
    (base / folder / "SKILL.md").write_text(f"---\nname: {name}\ndescription: {description}\n---\n{body}\n")


async def test_skill_loads_from_workspace_and_config(root, tmp_path, ctx, rec, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    write_skill(root / ".opencode" / "skill", "release", "release", "How to cut a release", "Step 1: tag.")
    write_skill(root / ".opencode" / "skills", "pdfs", "pdf-tools", "Work with PDFs", "Use pdftotext.")
    write_skill(tmp_path / "cfg" / "opencode" / "skills", "global", "global-one", "From home", "Home body.")
    result = await skill.execute({"name": "release"}, ctx)
    assert "Step 1: tag." in result.output and str(root / ".opencode/skill/release") in result.output
    assert result.title == "Loaded skill: release"
    assert "Use pdftotext." in (await skill.execute({"name": "pdf-tools"}, ctx)).output
    assert "Home body." in (await skill.execute({"name": "global-one"}, ctx)).output
    with pytest.raises(ToolError, match="no skill named 'nope'.*global-one, pdf-tools, release"):
        await skill.execute({"name": "nope"}, ctx)
    described = skill.describe(ToolServices(root=str(root)))
    assert "- release: How to cut a release" in described and "- global-one: From home" in described
    assert rec.of("skill")[0]["patterns"] == ["release"]


async def test_invalid_explains_the_error(ctx):
    result = await invalid.execute({"tool": "bsh", "error": "there is no tool named 'bsh'"}, ctx)
    assert "'bsh'" in result.output and "there is no tool named" in result.output
    assert result.title == "Invalid tool call"


def test_truncate_output(tmp_path):
    services = str(tmp_path)
    assert truncate_output("short", services) == ("short", False, None)
    text = "".join(f"{i}\n" for i in range(3000))
    head, cut, saved = truncate_output(text, services)
    assert cut and Path(saved).read_text() == text and Path(saved).parent == tmp_path / "tool-output"
    assert head.startswith("0\n1\n") and "1999\n" in head and "\n2000\n" not in head and saved in head
    tail, _, _ = truncate_output(text, services, keep="tail")
    assert tail.rstrip().endswith("2999") and "\n999\n" not in tail
    wide, cut, _ = truncate_output("z" * 60_000, services)
    assert cut and len(wide) < 52_000
    nosave, cut, path = truncate_output(text, None)
    assert cut and path is None and "not saved" in nosave


async def test_arguments_that_do_not_fit_the_schema_name_each_field(ctx, rec):
    tools = builtin_tools()
    with pytest.raises(ToolError, match=r"^Invalid arguments for the read tool \(filePath: Field required\)"):
        await tools["read"].execute({}, ctx)
    with pytest.raises(ToolError, match=r"offset: Input should be a valid integer.*limit: Input should be greater"):
        await tools["read"].execute({"filePath": "a.txt", "offset": "first", "limit": -1}, ctx)
    with pytest.raises(ToolError, match=r"command: must not be empty; timeout: Input should be greater than 0"):
        await tools["bash"].execute({"command": "  ", "timeout": 0}, ctx)
    with pytest.raises(ToolError, match=r"format: Input should be 'text', 'markdown' or 'html'"):
        await tools["webfetch"].execute({"url": "https://example.com", "format": "pdf"}, ctx)
    with pytest.raises(ToolError, match=r"todos\[1\]\.priority: Field required"):
        await tools["todowrite"].execute({"todos": [{"content": "a", "status": "pending", "priority": "low"},
                                                    {"content": "b", "status": "pending"}]}, ctx)
    assert rec.asks == []  # nothing was asked, let alone run

"""The ``skill`` tool: load a skill's instructions (a ``SKILL.md``) into the conversation.

Skills live in ``.opencode/skill/<name>/`` or ``.opencode/skills/<name>/`` in the workspace
and in the same folders under the user's opencode config directory. The workspace wins when
both define a name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..command import FrontMatterError, split_front_matter
from pydantic import Field

from .args import ArgsTool, NonBlank, ToolArgs
from .base import ToolContext, ToolError, ToolResult, ToolServices

INTRO = """\
Load a skill: a set of instructions, and sometimes scripts or reference files, for a specific
kind of task. When the user's request matches a skill's description, load it before starting
and follow what it says. Files the skill mentions are relative to its base directory.
"""


@dataclass
class Skill:
    name: str
    description: str
    body: str
    directory: Path


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "opencode"


def skill_roots(root: Path | None) -> list[Path]:
    roots: list[Path] = []
    if root is not None:
        roots += [root / ".opencode" / "skill", root / ".opencode" / "skills"]
    home = config_dir()
    return roots + [home / "skill", home / "skills"]


def discover(root: Path | None) -> dict[str, Skill]:
    found: dict[str, Skill] = {}
    for base in skill_roots(root):
        try:
            folders = sorted(p for p in base.iterdir() if p.is_dir())
        except OSError:
            continue
        for folder in folders:
            path = folder / "SKILL.md"
            try:
                meta, body = split_front_matter(path.read_text("utf-8", "replace"))
            except (OSError, FrontMatterError):
                continue
            name = str(meta.get("name") or folder.name)
            if name not in found:
                found[name] = Skill(name, str(meta.get("description") or ""), body.strip(), folder)
    return found


def _describe(skills: dict[str, Skill]) -> str:
    if not skills:
        return INTRO + "\nNo skills are installed."
    listed = "\n".join(f"- {s.name}: {s.description or '(no description)'}" for s in skills.values())
    return INTRO + "\nAvailable skills:\n" + listed


class SkillArgs(ToolArgs):
    name: NonBlank = Field(description="Name of the skill to load.")


class SkillTool(ArgsTool[SkillArgs]):
    id = "skill"
    description = INTRO
    Args = SkillArgs

    def describe(self, services: ToolServices) -> str:
        return _describe(discover(Path(services.root) if services.root else None))

    async def run(self, args: SkillArgs, ctx: ToolContext) -> ToolResult:
        name = args.name
        skills = discover(ctx.workspace.root)
        skill = skills.get(name.strip())
        if skill is None:
            available = ", ".join(sorted(skills)) or "none"
            raise ToolError(f"There is no skill named {name!r}. Available skills: {available}.")
        await ctx.ask("skill", [skill.name], always=[skill.name], metadata={})
        output = (f"<skill name=\"{skill.name}\">\nBase directory: {skill.directory}\n\n"
                  f"{skill.body}\n</skill>")
        return ToolResult(title=f"Loaded skill: {skill.name}", output=output,
                          metadata={"name": skill.name, "dir": str(skill.directory)})


tool = SkillTool()

"""The system prompt: the agent's own prompt (or a default), the environment, instruction files."""

from __future__ import annotations

import glob
import os
import platform
from datetime import date
from pathlib import Path

DEFAULT_PROMPT = """\
You are opencode, a coding agent working inside the user's editor on the files of their workspace.

How to work:
- Understand the request first. Read the relevant files before changing them; search with glob
  and grep instead of guessing paths.
- Make the smallest change that fully solves the task, in the style of the surrounding code.
- Use the edit tool for changes to existing files and write only for new files. Never claim to
  have changed a file without calling a tool that changed it.
- Run the project's own tests or build when they exist and the change warrants it.
- Keep a todo list with todowrite for work of several steps, and keep it current.
- Be brief in your answers: say what you did and what the user should know, without filler.
  Refer to code as path:line so the editor can jump there.
- Never reveal or print secrets such as API keys, and never touch files outside the workspace
  unless the user asks for it.
"""

# Added to the system prompt when the user asked for structured output (as OpenCode 1.18.33 does).
STRUCTURED_OUTPUT_NOTE = (
    "The user wants the answer as structured data. Give your final answer only by calling the "
    "StructuredOutput tool with data that fits its schema; a plain-text final answer does not count."
)

MAX_STEPS_NOTE = """\
You have reached the maximum number of steps for this task. Do not call any more tools. Reply
now with a short summary of what you did, what is left to do, and what the user should check."""

QUEUED_REMINDER = """\
<system-reminder>
While you were working, the user sent this message:
{text}
Take it into account and carry on with your tasks.
</system-reminder>"""

INSTRUCTION_FILES = ("AGENTS.md", "CLAUDE.md", "CONTEXT.md")


def environment_block(root: Path, model_ref: str) -> str:
    is_git = any((p / ".git").exists() for p in (root, *root.parents))
    return (
        f"You are powered by the model {model_ref}.\n"
        "<env>\n"
        f"  Working directory: {root}\n"
        f"  Is directory a git repo: {'yes' if is_git else 'no'}\n"
        f"  Platform: {platform.system().lower()}\n"
        f"  Today's date: {date.today().isoformat()}\n"
        "</env>"
    )


def _global_config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "opencode"


def instruction_paths(root: Path, configured: list[str]) -> list[Path]:
    """AGENTS.md/CLAUDE.md from the workspace up the tree (the first kind found wins, as in
    OpenCode), the global AGENTS.md, and the config's ``instructions`` (paths or globs)."""
    found: list[Path] = []
    for name in INSTRUCTION_FILES:
        hits = [d / name for d in (root, *root.parents) if (d / name).is_file()]
        if hits:
            found.extend(hits)
            break
    global_file = _global_config_dir() / "AGENTS.md"
    if global_file.is_file():
        found.append(global_file)
    for entry in configured:
        pattern = os.path.expanduser(entry)
        if not os.path.isabs(pattern):
            pattern = str(root / pattern)
        found.extend(Path(p) for p in sorted(glob.glob(pattern, recursive=True)) if os.path.isfile(p))
    unique: list[Path] = []
    for path in found:
        if path.resolve() not in [u.resolve() for u in unique]:
            unique.append(path)
    return unique


def instructions(root: Path, configured: list[str]) -> list[str]:
    texts: list[str] = []
    for path in instruction_paths(root, configured):
        try:
            texts.append(f"Instructions from: {path}\n{path.read_text(encoding='utf-8')}")
        except OSError:
            continue
    return texts


def build_system(agent_prompt: str | None, root: Path, model_ref: str, configured: list[str],
                 extra: str | None = None) -> list[str]:
    parts = [agent_prompt or DEFAULT_PROMPT, environment_block(root, model_ref)]
    parts.extend(instructions(root, configured))
    if extra:
        parts.append(extra)
    return parts

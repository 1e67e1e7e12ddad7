"""Custom slash commands: prompt templates from config and from markdown files.

A command comes from ``command.<name>`` in the config (``{template, description, agent, model,
subtask}``) or from ``.opencode/command/<name>.md`` / ``.opencode/commands/<name>.md`` in the
workspace, whose front matter holds the same fields and whose body is the template. Markdown
files are read after the config, so a file wins over a config entry of the same name.

The front-matter reader lives here too (agents use it as well): no YAML library is a dependency,
so it understands the subset such files use: scalars, nested maps by indentation, simple lists
and ``|``/``>`` block strings.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import BaseModel, Field, ValidationError

from .message import Model, ModelRef

log = logging.getLogger(__name__)

COMMAND_DIRS = (".opencode/command", ".opencode/commands")


# --- front matter -----------------------------------------------------------------------


class FrontMatterError(ValueError):
    pass


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """``(fields, body)`` of a markdown file; no ``---`` header means no fields."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    if not text.startswith("---\n"):
        return {}, text.strip()
    lines = text.split("\n")
    for end in range(1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            fields, _ = _parse_map(lines[1:end], 0, 0)
            return fields, "\n".join(lines[end + 1 :]).strip()
    raise FrontMatterError("front matter is not closed by a '---' line")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _skippable(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _strip_comment(value: str) -> str:
    quote = None
    for i, ch in enumerate(value):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or value[i - 1] in " \t"):
            return value[:i].rstrip()
    return value.strip()


def _split_key(content: str, line_no: int) -> tuple[str, str]:
    if content[0] in "\"'":
        close = content.find(content[0], 1)
        if close < 0 or not content[close + 1 :].lstrip().startswith(":"):
            raise FrontMatterError(f"line {line_no}: bad quoted key")
        key = content[1:close]
        rest = content[close + 1 :].lstrip()[1:]
    else:
        match = re.match(r"([^:]+?)\s*:(?:\s+|$)(.*)", content)
        if not match:
            raise FrontMatterError(f"line {line_no}: expected 'key: value'")
        key, rest = match.group(1), match.group(2)
    return key, _strip_comment(rest)


def _scalar(raw: str) -> Any:
    if not raw:
        return None
    if raw[0] == '"' and raw.endswith('"') and len(raw) > 1:
        return json.loads(raw)
    if raw[0] == "'" and raw.endswith("'") and len(raw) > 1:
        return raw[1:-1].replace("''", "'")
    if raw.startswith("[") and raw.endswith("]"):
        inner = raw[1:-1].strip()
        return [_scalar(item.strip()) for item in inner.split(",")] if inner else []
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "~"):
        return None
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw


def _parse_map(lines: list[str], start: int, indent: int) -> tuple[dict[str, Any], int]:
    result: dict[str, Any] = {}
    i = start
    while i < len(lines):
        line = lines[i]
        if _skippable(line):
            i += 1
            continue
        if _indent(line) < indent:
            break
        if _indent(line) > indent:
            raise FrontMatterError(f"line {i + 2}: unexpected indentation")
        key, rest = _split_key(line.strip(), i + 2)
        i += 1
        if rest in ("|", "|-", "|+", ">", ">-", ">+"):
            result[key], i = _block_string(lines, i, indent, folded=rest[0] == ">")
        elif rest:
            result[key] = _scalar(rest)
        else:
            result[key], i = _nested(lines, i, indent)
    return result, i


def _nested(lines: list[str], i: int, indent: int) -> tuple[Any, int]:
    """The value under a bare ``key:``: a deeper map, a ``- item`` list, or nothing."""
    j = i
    while j < len(lines) and _skippable(lines[j]):
        j += 1
    if j == len(lines) or _indent(lines[j]) <= indent and not lines[j].lstrip().startswith("- "):
        return None, i
    child_indent = _indent(lines[j])
    if lines[j].lstrip().startswith("- "):
        items: list[Any] = []
        while j < len(lines) and (_skippable(lines[j]) or (
                _indent(lines[j]) == child_indent and lines[j].lstrip().startswith("- "))):
            if not _skippable(lines[j]):
                items.append(_scalar(_strip_comment(lines[j].lstrip()[2:])))
            j += 1
        return items, j
    return _parse_map(lines, j, child_indent)


def _block_string(lines: list[str], i: int, indent: int, *, folded: bool) -> tuple[str, int]:
    taken: list[str] = []
    while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > indent):
        taken.append(lines[i])
        i += 1
    while taken and not taken[-1].strip():
        taken.pop()
    depth = min((_indent(t) for t in taken if t.strip()), default=0)
    body = [t[depth:] for t in taken]
    return (" ".join(b.strip() for b in body if b.strip()) if folded else "\n".join(body)), i


def markdown_files(root: Path, dirs: tuple[str, ...]) -> list[tuple[str, Path]]:
    """``(name, path)`` of every ``*.md`` under the given workspace dirs; nested files are
    named by their relative path (``git/commit.md`` -> ``git/commit``)."""
    found: list[tuple[str, Path]] = []
    for rel in dirs:
        base = root / rel
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*.md")):
            if path.is_file():
                found.append((path.relative_to(base).with_suffix("").as_posix(), path))
    return found


def read_markdown_definition(path: Path) -> dict[str, Any] | None:
    """Front-matter fields plus ``body``; None (and a log line) when the file is unusable."""
    try:
        fields, body = split_front_matter(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        log.error("ignoring %s: %s", path, exc)
        return None
    return {**fields, "body": body}


# --- commands -----------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\$ARGUMENTS|\$(\d+)")
_ARGUMENT = re.compile(r"\[Image\s+\d+\]|\"[^\"]*\"|'[^']*'|[^\s\"']+", re.IGNORECASE)


def split_arguments(arguments: str) -> list[str]:
    """Shell-ish words: quoted runs stay together (quotes dropped), ``[Image 1]`` is one word."""
    words: list[str] = []
    for word in _ARGUMENT.findall(arguments):
        if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'":
            word = word[1:-1]
        words.append(word)
    return words


def placeholders(template: str) -> list[str]:
    """The placeholders a template uses, in order of first use (``$1``, ``$ARGUMENTS``...)."""
    seen: list[str] = []
    for match in _PLACEHOLDER.finditer(template):
        if match.group(0) not in seen:
            seen.append(match.group(0))
    return seen


def render(template: str, arguments: str) -> str:
    """Fill ``$1..$N`` and ``$ARGUMENTS``. The highest ``$N`` takes every remaining word, so
    ``/fix $1 $2`` with ``a b c`` gives ``a`` and ``b c``. Text after a template with no
    placeholder is appended, so what the user typed is never lost."""
    words = split_arguments(arguments)
    numbers = [int(m.group(1)) for m in _PLACEHOLDER.finditer(template) if m.group(1)]
    last = max(numbers, default=0)

    def fill(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return arguments
        position = int(match.group(1))
        if position < 1 or position > len(words):
            return ""
        return " ".join(words[position - 1 :]) if position == last else words[position - 1]

    if _PLACEHOLDER.search(template) is None:
        return f"{template}\n\n{arguments}" if arguments.strip() else template
    # One pass over the template, so argument text that looks like "$2" is left alone.
    return _PLACEHOLDER.sub(fill, template)


class CommandInfo(Model):
    name: str
    description: str | None = None
    agent: str | None = None
    model: str | None = None  # "provider/model"
    subtask: bool | None = None
    template: str
    source: Literal["command"] = "command"
    hints: list[str] = Field(default_factory=list)

    @property
    def model_ref(self) -> ModelRef | None:
        return ModelRef.parse_or_none(self.model)

    def render(self, arguments: str) -> str:
        return render(self.template, arguments)


_INIT_TEMPLATE = """Study this repository and write (or improve, if it exists) an AGENTS.md file at its root.
It is read by coding agents that will work here, so keep it short (about 20-30 lines) and useful:
- how to build, lint and test, including how to run one single test;
- code style: imports, formatting, naming, types, error handling;
- anything surprising a newcomer would get wrong.
Fold in rules already written down elsewhere (.cursorrules, .cursor/rules/, .github/copilot-instructions.md).
$ARGUMENTS"""

BUILTIN_COMMANDS: dict[str, dict[str, Any]] = {
    "init": {"description": "create or update AGENTS.md for this repository", "template": _INIT_TEMPLATE},
}


class CommandRegistry:
    def __init__(self, config: Mapping[str, Any] | BaseModel | None, workspace_root: Path):
        if isinstance(config, BaseModel):
            config = config.model_dump(mode="json", exclude_none=True)
        config = config or {}
        self.root = Path(workspace_root)
        entries: dict[str, dict[str, Any]] = {k: dict(v) for k, v in BUILTIN_COMMANDS.items()}
        commands: dict[str, Any] = config.get("command") or {}
        for name, value in commands.items():
            if isinstance(value, Mapping):
                entries[name] = {**entries.get(name, {}), **value}
            else:
                log.error("ignoring command.%s: expected an object", name)
        for name, path in markdown_files(self.root, COMMAND_DIRS):
            fields = read_markdown_definition(path)
            if fields is not None:
                template = fields.pop("body")
                entries[name] = {**entries.get(name, {}), **fields, "template": template}
        self._commands: dict[str, CommandInfo] = {}
        for name, value in entries.items():
            try:
                info = CommandInfo.model_validate({**value, "name": name})
            except ValidationError as exc:
                log.error("ignoring command %s: %s", name, exc.errors()[0].get("msg"))
                continue
            info.hints = placeholders(info.template)
            self._commands[name] = info

    def get(self, name: str) -> CommandInfo | None:
        return self._commands.get(name)

    def list(self) -> list[CommandInfo]:
        return sorted(self._commands.values(), key=lambda c: c.name)
